from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.pagination import DEFAULT_PAGE_SIZE, page_request, selects
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
        request = page_request(first, after, info)
        where = filter.to_value() if filter is not None else TransactionFilterValue()
        async with info.context.uow() as uow:
            page = await uow.transactions.page(request, where)
            if selects(info, "edges", "node", "charger"):
                await info.context.loaders.prime_chargers(uow, {t.charger_id for t in page.items})
        return TransactionConnection.from_page(page)

    @query()
    async def transaction(self, info: Info, id: strawberry.ID) -> Transaction | None:
        transaction_id = parse_id(id, "id")
        async with info.context.uow() as uow:
            transaction = await uow.transactions.get(transaction_id)
        return Transaction.from_entity(transaction) if transaction else None
