from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.pairing.types import PairingSession
from domain.ids import parse_id


@strawberry.type
class PairingQueries:
    @query()
    async def pairing_session(self, info: Info, id: strawberry.ID) -> PairingSession | None:
        session_id = parse_id(id, "id")
        async with info.context.uow() as uow:
            session = await uow.pairing.get(session_id)
        return PairingSession.from_entity(session) if session else None
