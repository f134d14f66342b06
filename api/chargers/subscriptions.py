from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.chargers.types import Charger
from api.context import Info
from api.fields import subscription
from api.streams import require_charger, watch
from domain.events import CHARGERS_TOPIC, ChargerStatusChanged
from domain.ids import parse_id


@strawberry.type
class ChargerSubscriptions:
    @subscription(description="Connect, disconnect, boot and connector status changes")
    async def charger_status(
        self, info: Info, charger_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Charger, None]:
        ctx = info.context
        charger = parse_id(charger_id, "chargerId") if charger_id is not None else None
        if charger is not None:
            await require_charger(ctx, charger)
        async with watch(ctx, CHARGERS_TOPIC) as events:
            async for event in events:
                if isinstance(event, ChargerStatusChanged) and (charger is None or event.charger.id == charger):
                    yield Charger.from_entity(event.charger)
