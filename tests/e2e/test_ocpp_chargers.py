"""What a charger tells about itself shows on its Charger: boot fields, connection state, connector statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from domain.commands import ReportConnected
from domain.services import chargers
from tests.e2e import harness
from tests.e2e.harness import TenantAccess, eventually, ocpp_charge_point, running, tenant_access

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


async def test_a_connection_left_recorded_by_a_crash_is_ended_while_a_live_one_stays(database_url: str) -> None:
    """A process that died without recording its chargers' disconnection leaves them CONNECTED: the server
    ends every recorded connection it does not serve once it is older than the grace period."""
    settings = harness.test_settings(database_url, presence_ttl_seconds=1, presence_refresh_seconds=0.2)
    async with running(settings) as server:
        acme = await tenant_access(server, "Acme Fleet")
        orphan_id = await acme.admin.register_charger("CP-CRASHED")
        live_id = await acme.admin.register_charger("CP-LIVE")
        # What a killed process leaves behind: a connection recorded a minute ago that no socket serves.
        a_minute_ago = server.deps.clock() - timedelta(minutes=1)
        await chargers.charger_connected(
            server.deps.uow(acme.tenant.id), ReportConnected(UUID(orphan_id), "1.6"), clock=lambda: a_minute_ago
        )
        async with ocpp_charge_point(server, "CP-LIVE", "1.6") as live:
            await live.call(call16.Heartbeat())

            async def state(charger_id: str) -> str:
                return str((await acme.admin(CHARGER, c=charger_id))["charger"]["connectionState"])

            await eventually(lambda: _is(state(orphan_id), "DISCONNECTED"), within=5)
            await asyncio.sleep(1.5)  # the live charger is past the grace period now, and still held
            assert await state(live_id) == "CONNECTED"


async def _is(value: Awaitable[str], expected: str) -> bool:
    return await value == expected
