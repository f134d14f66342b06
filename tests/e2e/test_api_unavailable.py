"""A dead database, seen through the running server's API: UNAVAILABLE (never INTERNAL), and nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, running_with_outages, tenant_access

CREATE_USER = 'mutation { createUser(input: {email: "eve@acme.example", name: "Eve"}) { id } }'
IDENTIFIERS = "query($v: ID!) { vehicle(id: $v) { identifiers { value status } } }"


@contextmanager
def connection_lost_at(server: Autocharge, statement_start: str) -> Iterator[None]:
    """The database connection fails, as a lost one does, when the server sends a statement starting so."""
    engine = server.database.engine.sync_engine

    def fail(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(statement_start):
            raise conn.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)


async def test_a_mutation_while_the_database_is_unreachable_is_unavailable_and_writes_nothing(
    database_url: str,
) -> None:
    async with running_with_outages(database_url) as outage:
        acme = await tenant_access(outage.server, "Acme Fleet")
        await outage.begin()
        try:
            body = await acme.admin.raw(CREATE_USER)
        finally:
            await outage.end()
        after = await acme.admin("{ users { totalCount } }")

    [error] = body["errors"]
    assert (body["data"], error["extensions"]["code"]) == (None, "UNAVAILABLE")
    assert error["message"].startswith("database unavailable: ")
    assert after["users"]["totalCount"] == 0


async def test_a_connection_lost_in_the_middle_of_a_mutation_is_unavailable_and_rolls_back_its_first_writes(
    server: Autocharge, acme: TenantAccess
) -> None:
    driver = await acme.admin.create_user("dana@acme.example")
    car = await acme.admin.add_vehicle(driver, "AB123CD")
    await acme.admin.add_identifier(car, "0A1B2C3D4E5F")

    # Replacing the identifier retires the old one (UPDATE), then stores the new one (INSERT): lost in between.
    with connection_lost_at(server, "INSERT INTO vehicle_identifiers"):
        body = await acme.admin.raw(
            'mutation($v: ID!) { addVehicleIdentifier(vehicleId: $v, value: "0A1B2C3D4E60") { id } }', v=car
        )

    [error] = body["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAVAILABLE",
        "database unavailable: server closed the connection unexpectedly",
    )
    assert (await acme.admin(IDENTIFIERS, v=car))["vehicle"]["identifiers"] == [
        {"value": "VID:0A1B2C3D4E5F", "status": "ACTIVE"}
    ]
