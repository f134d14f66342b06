"""What a charger tells about itself shows on its Charger: boot fields, connection state, connector statuses."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, eventually, ocpp_charge_point

CHARGER = """query($c: ID!) { charger(id: $c) {
    chargePointId vendor model firmwareVersion ocppVersion connectionState lastSeenAt
    connectors { connectorId status } } }"""


def at(minute: int) -> str:
    return f"2026-01-05T08:{minute:02d}:00Z"


def boot(version: str) -> Any:
    if version == "1.6":
        return call16.BootNotification(
            charge_point_vendor="ABB", charge_point_model="Terra 184", firmware_version="1.8.2"
        )
    station = types201.ChargingStationType(vendor_name="ABB", model="Terra 184", firmware_version="1.8.2")
    return call201.BootNotification(charging_station=station, reason="PowerUp")


def status(version: str, connector: int, value: str, minute: int) -> Any:
    if version == "1.6":
        return call16.StatusNotification(
            connector_id=connector, error_code="NoError", status=value, timestamp=at(minute)
        )
    # On 2.0.1 the EVSE is what charges: the back office shows each EVSE as a connector.
    return call201.StatusNotification(timestamp=at(minute), connector_status=value, evse_id=connector, connector_id=1)


async def read_charger(tenant: TenantAccess, charger_id: str) -> dict[str, Any]:
    data = await tenant.read_only(CHARGER, c=charger_id)
    return dict(data["charger"])


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_booted_charger_shows_its_vendor_model_firmware_and_ocpp_version(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with ocpp_charge_point(server, "CP-1", version) as cp:
        answer = await cp.call(boot(version))
        charger = await read_charger(acme, charger_id)

    assert answer.status == "Accepted"
    assert answer.interval == server.settings.heartbeat_interval_seconds
    assert (charger["vendor"], charger["model"], charger["firmwareVersion"], charger["ocppVersion"]) == (
        "ABB",
        "Terra 184",
        "1.8.2",
        version,
    )
    assert charger["lastSeenAt"] is not None


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_charger_is_connected_while_its_websocket_is_open_and_disconnected_after_it_closes(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    before = await read_charger(acme, charger_id)

    async with ocpp_charge_point(server, "CP-1", version) as cp:
        await cp.call(boot(version))
        during = await read_charger(acme, charger_id)

    async def disconnected() -> bool:
        return (await read_charger(acme, charger_id))["connectionState"] == "DISCONNECTED"

    await eventually(disconnected)  # the server records the close once its side of the socket has ended
    assert (before["connectionState"], during["connectionState"]) == ("NEVER_CONNECTED", "CONNECTED")


@pytest.mark.parametrize(("version", "busy"), [("1.6", "Preparing"), ("2.0.1", "Occupied")])
async def test_connector_statuses_reported_by_the_charger_show_on_the_charger(
    server: Autocharge, acme: TenantAccess, version: str, busy: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with ocpp_charge_point(server, "CP-1", version) as cp:
        await cp.call(boot(version))
        await cp.call(status(version, 2, "Available", 0))
        await cp.call(status(version, 1, "Available", 0))
        await cp.call(status(version, 1, busy, 1))
        charger = await read_charger(acme, charger_id)

    assert charger["connectors"] == [
        {"connectorId": 1, "status": busy},
        {"connectorId": 2, "status": "Available"},
    ]
