"""The whole stack answers: a charger on OCPP and an admin on GraphQL, over real sockets."""

from __future__ import annotations

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger


async def test_an_autocharge_session_appears_in_the_api_with_its_origin_and_vehicle(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    user = await acme.admin.create_user("dana@acme.example")
    vehicle = await acme.admin.add_vehicle(user, "AB-123-CD")
    await acme.admin.add_identifier(vehicle, "0a:1b:2c:3d:4e:5f")

    async with charger(server, "CP-1") as station:
        await station.boot()
        result = await station.run_session("0A1B2C3D4E5F", meter_values=2)

    assert result.completed
    [tx] = await acme.admin.transactions()
    assert (tx["origin"], tx["status"], tx["vehicle"]["licensePlate"], tx["energyWh"]) == (
        "AUTOCHARGE",
        "COMPLETED",
        "AB123CD",
        2000,
    )
