from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import mutation
from domain.commands import RemoteStartTransaction, RemoteStopTransaction
from domain.ids import parse_id
from domain.services import remote


@strawberry.type
class TransactionMutations:
    @mutation(description="UNAVAILABLE when the charger is not connected; origin REMOTE")
    async def remote_start_transaction(
        self, info: Info, charger_id: strawberry.ID, connector_id: int, user_id: strawberry.ID
    ) -> bool:
        ctx = info.context
        cmd = RemoteStartTransaction(parse_id(charger_id, "chargerId"), connector_id, parse_id(user_id, "userId"))
        return await remote.remote_start(ctx.uow(), ctx.deps.commands, cmd, ctx.deps.clock)

    @mutation()
    async def remote_stop_transaction(self, info: Info, transaction_id: strawberry.ID) -> bool:
        ctx = info.context
        cmd = RemoteStopTransaction(parse_id(transaction_id, "transactionId"))
        return await remote.remote_stop(ctx.uow(), ctx.deps.commands, cmd)
