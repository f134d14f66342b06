"""DataLoaders on the real database: a page of vehicles with their relations costs the same statements at any size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from autocharge.main import Autocharge
from tests.builders import a_charger, a_transaction, a_user, a_vehicle, an_identifier
from tests.e2e.harness import TenantAccess

VEHICLES = 500
PAGE = (
    "query($first: Int!) { vehicles(first: $first) { edges { node {"
    " licensePlate user { email } activeIdentifier { value } transactionCount } } } }"
)
# The page's rows, then one batch each for users, active identifiers, counts. The key was looked up by the first
# request and is remembered (api.auth.PrincipalCache); the query does not select totalCount, so nothing counts it.
STATEMENTS_PER_PAGE = 4


@contextmanager
def counting_statements(server: Autocharge) -> Iterator[list[str]]:
    """Every SQL statement the server's engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The pairing-expiry, orphaned-connection and revocation sweeps poll on their own timers: not part of
        # any request.
        timers = ("pairing_sessions", "chargers.last_seen_at <", "api_keys.revoked_at >")
        if not any(timer in statement for timer in timers):
            statements.append(statement)

    engine = server.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _seed_fleet(server: Autocharge, tenant_id: Any) -> None:
    """500 drivers, each with a vehicle, an active identifier and 0 to 2 charging sessions."""
    charger = a_charger(tenant_id)
    async with server.deps.uow(tenant_id) as uow:
        await uow.chargers.add(charger)
        number = 0
        for n in range(VEHICLES):
            user = a_user(tenant_id, email=f"driver{n:03}@acme.example")
            vehicle = a_vehicle(user, license_plate=f"PLATE{n:03}")
            await uow.users.add(user)
            await uow.vehicles.add(vehicle)
            await uow.identifiers.add(an_identifier(vehicle, f"VID:0A1B2C3D{n:04X}"))
            for _ in range(n % 3):
                number += 1
                await uow.transactions.add(a_transaction(charger, number, user_id=user.id, vehicle_id=vehicle.id))
        await uow.commit()


async def test_a_page_of_vehicles_with_users_identifiers_and_counts_costs_the_same_statements_at_any_size(
    server: Autocharge, acme: TenantAccess
) -> None:
    await _seed_fleet(server, acme.tenant.id)
    await acme.read_only(PAGE, first=1)  # first use of the key and of the pool, outside the count

    costs, sizes = {}, {}
    for first in (5, 50, 500):
        with counting_statements(server) as statements:
            data = await acme.read_only(PAGE, first=first)
        costs[first] = len(statements)
        sizes[first] = len(data["vehicles"]["edges"])

    assert sizes == {5: 5, 50: 50, 500: 500}
    assert costs == dict.fromkeys((5, 50, 500), STATEMENTS_PER_PAGE)
    last = data["vehicles"]["edges"][-1]["node"]
    assert last == {
        "licensePlate": "PLATE499",
        "user": {"email": "driver499@acme.example"},
        "activeIdentifier": {"value": "VID:0A1B2C3D01F3"},
        "transactionCount": 499 % 3,
    }
