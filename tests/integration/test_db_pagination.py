"""Keyset pagination: one cursor per item, has_next from one extra row, total_count with the same filters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.errors import Invalid
from domain.model import TransactionOrigin, VehicleStatus
from domain.pagination import Page, PageRequest, encode_cursor
from domain.queries import TransactionFilter
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_transaction
from tests.databases import Seed


async def _walk(fetch: Any, first: int) -> list[Page[Any]]:
    pages, after = [], None
    while True:
        page = await fetch(PageRequest(first=first, after=after))
        pages.append(page)
        if not page.has_next:
            return pages
        after = page.end_cursor


async def test_users_oldest_first_page_by_page(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    users = [await seed.user(tenant.id, name=f"Driver {i}") for i in range(5)]
    await seed.user((await seed.tenant()).id)  # another tenant's user counts nowhere
    async with uow_factory(tenant.id) as uow:
        pages = await _walk(uow.users.page, first=2)
        assert [len(p.items) for p in pages] == [2, 2, 1]
        assert [u for p in pages for u in p.items] == users
        assert all(p.total_count == 5 and len(p.cursors) == len(p.items) for p in pages)
        # Any item's cursor resumes right after that item.
        resumed = await uow.users.page(PageRequest(first=10, after=pages[0].cursors[0]))
        assert list(resumed.items) == users[1:] and not resumed.has_next


async def test_users_search_name_or_email_case_insensitively(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    ada = await seed.user(tenant.id, name="Ada Lovelace", email="ada@example.com")
    await seed.user(tenant.id, name="Grace", email="grace@example.com")
    percent = await seed.user(tenant.id, name="100% Electric", email="x@example.com")
    async with uow_factory(tenant.id) as uow:
        assert list((await uow.users.page(PageRequest(), search="LOVE")).items) == [ada]
        assert (await uow.users.page(PageRequest(), search="example")).total_count == 3
        assert list((await uow.users.page(PageRequest(), search="0%")).items) == [percent]  # % is literal


async def test_vehicles_search_plate_make_model_and_status(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    user = await seed.user(tenant.id)
    zoe = await seed.vehicle(user, license_plate="AB12CD", make="Renault", model="Zoe")
    old = await seed.vehicle(user, license_plate="ZZ99", make="Nissan", status=VehicleStatus.RETIRED, retired_at=T0)
    async with uow_factory(tenant.id) as uow:
        assert list((await uow.vehicles.page(PageRequest(), search="ab-12 c")).items) == [zoe]
        assert list((await uow.vehicles.page(PageRequest(), search="nissan")).items) == [old]
        assert list((await uow.vehicles.page(PageRequest(), status=VehicleStatus.ACTIVE)).items) == [zoe]
        retired = await uow.vehicles.page(PageRequest(), search="z", status=VehicleStatus.RETIRED)
        assert list(retired.items) == [old] and retired.total_count == 1


async def test_chargers_oldest_first(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    chargers = [await seed.charger(tenant.id) for _ in range(3)]
    async with uow_factory(tenant.id) as uow:
        pages = await _walk(uow.chargers.page, first=1)
    assert [c for p in pages for c in p.items] == chargers


async def test_transactions_newest_first_by_start_then_id(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    car = await seed.vehicle(await seed.user(tenant.id))
    # Three start at the same instant: the id breaks the tie, so no page repeats or skips one.
    same = T0 + timedelta(hours=1)
    transactions = [
        a_transaction(charger, n, started_at=same if n < 4 else T0 + timedelta(minutes=n), vehicle_id=car.id)
        for n in range(1, 7)
    ]
    transactions[5].origin = TransactionOrigin.AUTOCHARGE
    async with uow_factory(tenant.id) as uow:
        for transaction in transactions:
            await uow.transactions.add(transaction)
        await uow.commit()
    expected = sorted(transactions, key=lambda t: (t.started_at, t.id), reverse=True)
    async with uow_factory(tenant.id) as uow:
        pages = await _walk(lambda request: uow.transactions.page(request, TransactionFilter()), first=2)
        assert [t.id for p in pages for t in p.items] == [t.id for t in expected]
        assert {p.total_count for p in pages} == {6}
        window = TransactionFilter(vehicle_id=car.id, started_from=T0 + timedelta(minutes=5), started_to=same)
        assert [t.id for t in (await uow.transactions.page(PageRequest(), window)).items] == [
            transactions[5].id,
            transactions[4].id,
        ]
        autocharge = await uow.transactions.page(PageRequest(), TransactionFilter(origin=TransactionOrigin.AUTOCHARGE))
        assert [t.id for t in autocharge.items] == [transactions[5].id] and autocharge.total_count == 1


async def test_first_zero_counts_without_items(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    await seed.user(tenant.id)
    async with uow_factory(tenant.id) as uow:
        page = await uow.users.page(PageRequest(first=0))
    assert page.items == [] and page.has_next and page.total_count == 1 and page.end_cursor is None


@pytest.mark.parametrize("key", [["not-a-uuid"], ["a", "b"], []])
async def test_a_cursor_that_does_not_parse_is_invalid(
    key: list[str], seed: Seed, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tenant = await seed.tenant()
    async with uow_factory(tenant.id) as uow:
        with pytest.raises(Invalid):
            await uow.users.page(PageRequest(after=encode_cursor(key)))
        with pytest.raises(Invalid):
            await uow.transactions.page(PageRequest(after=encode_cursor([*key, "x"])), TransactionFilter())
        with pytest.raises(Invalid):  # a naive timestamp is not one we issued
            await uow.transactions.page(
                PageRequest(after=encode_cursor(["2025-01-01T00:00:00", str(UUID(int=1))])), TransactionFilter()
            )
    with pytest.raises(Invalid):
        PageRequest(after="%%% not base64 %%%")
