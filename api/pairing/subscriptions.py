from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.fields import subscription
from api.pairing.types import PairingSession
from api.streams import watch
from domain.errors import NotFound
from domain.events import PairingSessionChanged, pairing_topic
from domain.ids import parse_id


@strawberry.type
class PairingSubscriptions:
    @subscription(description="The current state first, then each change until it ends")
    async def pairing_progress(self, info: Info, session_id: strawberry.ID) -> AsyncGenerator[PairingSession, None]:
        ctx = info.context
        sid = parse_id(session_id, "sessionId")
        # Listen before reading, so a change committed between the read and the subscription is not lost.
        async with watch(ctx, pairing_topic(sid)) as events:
            async with ctx.uow() as uow:
                current = await uow.pairing.get(sid)
            if current is None:
                raise NotFound(f"pairing session {sid} not found")
            yield PairingSession.from_entity(current)
            last = current.status
            if current.is_waiting:
                async for event in events:
                    if not isinstance(event, PairingSessionChanged) or event.session.id != sid:
                        continue
                    session = event.session
                    # The status only ever leaves WAITING once: an event with the status already sent is
                    # the one the read above had seen.
                    if session.status is last:
                        continue
                    yield PairingSession.from_entity(session)
                    last = session.status
                    if not session.is_waiting:
                        return
