"""Cursor connections over HTTP on real data: first defaults to 50, at most 500, and `after` walks every row once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from autocharge.main import Autocharge
from tests.builders import T0, a_charger, a_log_entry, a_transaction, a_user, a_vehicle
from tests.e2e.harness import Api, TenantAccess

ROWS = 60  # more than the default page
PAGE = "edges { cursor node { id } } pageInfo { hasNextPage endCursor }"
ARGS = "first: $first, after: $after"

# Each connection: its query (with $first and $after, and the ids it needs) and the path to it in the data.
CONNECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "users": (f"query($first: Int, $after: String) {{ users({ARGS}) {{ {PAGE} }} }}", ("users",)),
    "vehicles": (f"query($first: Int, $after: String) {{ vehicles({ARGS}) {{ {PAGE} }} }}", ("vehicles",)),
    "chargers": (f"query($first: Int, $after: String) {{ chargers({ARGS}) {{ {PAGE} }} }}", ("chargers",)),
    "transactions": (
        f"query($first: Int, $after: String) {{ transactions({ARGS}) {{ {PAGE} }} }}",
        ("transactions",),
    ),
    "ocppLogs": (
        f"query($first: Int, $after: String, $charger: ID!) {{ ocppLogs(chargerId: $charger, {ARGS}) {{ {PAGE} }} }}",
        ("ocppLogs",),
    ),
    "Vehicle.transactions": (
        "query($first: Int, $after: String, $vehicle: ID!)"
        f" {{ vehicle(id: $vehicle) {{ transactions({ARGS}) {{ {PAGE} }} }} }}",
        ("vehicle", "transactions"),
    ),
    "Charger.logs": (
        "query($first: Int, $after: String, $charger: ID!)"
        f" {{ charger(id: $charger) {{ logs({ARGS}) {{ {PAGE} }} }} }}",
        ("charger", "logs"),
    ),
}


@dataclass
class Rows:
    """The ids each connection must list, in the order it must list them; and the ids the queries need."""

    expected: dict[str, list[str]]
    variables: dict[str, dict[str, str]]


@pytest.fixture
async def rows(server: Autocharge, acme: TenantAccess) -> Rows:
    tenant = acme.tenant.id
    users = [a_user(tenant) for _ in range(ROWS)]
    vehicles = [a_vehicle(user) for user in users]
    chargers = [a_charger(tenant) for _ in range(ROWS)]
    # Three sessions start at each minute: the cursor must break ties on the id, not skip or repeat them.
    transactions = [
        a_transaction(chargers[0], n, vehicle_id=vehicles[0].id, started_at=T0 + timedelta(minutes=n // 3))
        for n in range(ROWS)
    ]
    async with server.deps.uow(tenant) as uow:
        for user, vehicle in zip(users, vehicles, strict=True):
            await uow.users.add(user)
            await uow.vehicles.add(vehicle)
        for charger in chargers:
            await uow.chargers.add(charger)
        for transaction in transactions:
            await uow.transactions.add(transaction)
        await uow.commit()
    logs = [a_log_entry(chargers[0], unique_id=str(n)) for n in range(ROWS)]
    for entry in logs:
        server.journal.append(entry)
    await server.journal.flush()

    def ascending(entities: list[Any]) -> list[str]:
        return [str(entity.id) for entity in sorted(entities, key=lambda entity: entity.id)]

    newest_first = [str(t.id) for t in sorted(transactions, key=lambda t: (t.started_at, t.id), reverse=True)]
    charger, vehicle = {"charger": str(chargers[0].id)}, {"vehicle": str(vehicles[0].id)}
    return Rows(
        expected={
            "users": ascending(users),
            "vehicles": ascending(vehicles),
            "chargers": ascending(chargers),
            "transactions": newest_first,
            "ocppLogs": list(reversed(ascending(logs))),
            "Vehicle.transactions": newest_first,
            "Charger.logs": list(reversed(ascending(logs))),
        },
        variables={"ocppLogs": charger, "Charger.logs": charger, "Vehicle.transactions": vehicle},
    )


async def _page(api: Api, rows: Rows, name: str, **arguments: Any) -> dict[str, Any]:
    query, path = CONNECTIONS[name]
    data: Any = await api(query, **rows.variables.get(name, {}), **arguments)
    for key in path:
        data = data[key]
    page: dict[str, Any] = data
    return page


async def test_first_defaults_to_50(acme: TenantAccess, rows: Rows) -> None:
    shown = {}
    for name in CONNECTIONS:
        page = await _page(acme.read_only, rows, name)
        shown[name] = ([edge["node"]["id"] for edge in page["edges"]], page["pageInfo"]["hasNextPage"])

    assert shown == {name: (ids[:50], True) for name, ids in rows.expected.items()}


async def test_after_walks_every_page_once_in_order(acme: TenantAccess, rows: Rows) -> None:
    walked = {}
    for name in CONNECTIONS:
        ids: list[str] = []
        after, pages = None, 0
        while True:
            page = await _page(acme.read_only, rows, name, first=25, after=after)
            pages += 1
            ids += [edge["node"]["id"] for edge in page["edges"]]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        walked[name] = (ids, pages)

    assert walked == {name: (ids, 3) for name, ids in rows.expected.items()}


async def test_first_500_is_allowed_and_anything_outside_0_to_500_is_validation(acme: TenantAccess, rows: Rows) -> None:
    answers = {}
    for name in CONNECTIONS:
        query, _ = CONNECTIONS[name]
        variables = rows.variables.get(name, {})
        everything = await _page(acme.read_only, rows, name, first=500)
        refused = [await acme.read_only.raw(query, **variables, first=first) for first in (501, -1)]
        answers[name] = (
            len(everything["edges"]),
            [(body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]) for body in refused],
        )

    expected = [
        ("VALIDATION", "first must be between 0 and 500, got 501"),
        ("VALIDATION", "first must be between 0 and 500, got -1"),
    ]
    assert answers == {name: (ROWS, expected) for name in CONNECTIONS}


async def test_a_cursor_the_api_did_not_issue_is_validation(acme: TenantAccess, rows: Rows) -> None:
    codes = {}
    for name in CONNECTIONS:
        query, _ = CONNECTIONS[name]
        body = await acme.read_only.raw(query, **rows.variables.get(name, {}), after="bm90LWEtY3Vyc29y")
        codes[name] = body["errors"][0]["extensions"]["code"]

    assert codes == dict.fromkeys(CONNECTIONS, "VALIDATION")
