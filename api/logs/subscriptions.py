from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.fields import subscription
from api.logs.types import OcppLogEntry
from api.streams import require_charger, watch
from domain.events import OcppFrameLogged, logs_topic
from domain.ids import parse_id


@strawberry.type
class LogSubscriptions:
    @subscription(description="Every frame of the charger, live")
    async def ocpp_logs(self, info: Info, charger_id: strawberry.ID) -> AsyncGenerator[OcppLogEntry, None]:
        ctx = info.context
        charger = parse_id(charger_id, "chargerId")
        await require_charger(ctx, charger)
        async with watch(ctx, logs_topic(charger)) as events:
            async for event in events:
                if isinstance(event, OcppFrameLogged) and event.entry.charger_id == charger:
                    yield OcppLogEntry.from_entity(event.entry)
