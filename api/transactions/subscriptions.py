from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.fields import subscription
from api.streams import require_charger, require_vehicle, watch
from api.transactions.types import Transaction
from domain.events import TRANSACTIONS_TOPIC, TransactionChanged
from domain.ids import parse_id


@strawberry.type
class TransactionSubscriptions:
    @subscription(description="Started, meter values, stopped; optionally filtered")
    async def transaction_updates(
        self, info: Info, charger_id: strawberry.ID | None = None, vehicle_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Transaction, None]:
        ctx = info.context
        charger = parse_id(charger_id, "chargerId") if charger_id is not None else None
        vehicle = parse_id(vehicle_id, "vehicleId") if vehicle_id is not None else None
        if charger is not None:
            await require_charger(ctx, charger)
        if vehicle is not None:
            await require_vehicle(ctx, vehicle)
        async with watch(ctx, TRANSACTIONS_TOPIC) as events:
            async for event in events:
                if not isinstance(event, TransactionChanged):
                    continue
                snapshot = event.transaction
                if charger is not None and snapshot.charger_id != charger:
                    continue
                if vehicle is not None and snapshot.vehicle_id != vehicle:
                    continue
                yield Transaction.from_entity(snapshot)
