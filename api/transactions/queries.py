from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from api.transactions.types import Transaction, TransactionConnection, TransactionFilter
from domain.ids import parse_id
from domain.queries import TransactionFilter as TransactionFilterValue


@strawberry.type
class TransactionQueries:
    @query(description="Newest first")
    async def transactions(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> TransactionConnection:
        request = page_request(first, after)
        where = filter.to_value() if filter is not None else TransactionFilterValue()
        async with info.context.uow() as uow:
            return TransactionConnection.from_page(await uow.transactions.page(request, where))

    @query()
    async def transaction(self, info: Info, id: strawberry.ID) -> Transaction | None:
        transaction_id = parse_id(id, "id")
        async with info.context.uow() as uow:
            transaction = await uow.transactions.get(transaction_id)
        return Transaction.from_entity(transaction) if transaction else None
