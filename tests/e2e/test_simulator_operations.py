"""The simulator answers every station operation like a real charger, on both versions: the settings it reports
(with its Autocharge switch) are read after its boot, and each operation changes what it keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger, eventually, running, tenant_access
from tests.e2e.harness import test_settings as settings_for
from tests.graphql_documents import (
    CHANGE_AVAILABILITY,
    CHANGE_SETTING,
    CHARGER_SETTINGS,
    RESET_CHARGER,
    SEND_LOCAL_LIST,
    SET_AUTOCHARGE,
    TRIGGER_MESSAGE,
    UNLOCK_CONNECTOR,
)

VERSIONS = ["1.6", "2.0.1"]
ACCEPTED = {"status": "Accepted", "accepted": True}
LOGS = """query($c: ID!, $a: String) { ocppLogs(chargerId: $c, action: $a) {
    edges { node { direction messageType } } } }"""
CONNECTORS = "query($c: ID!) { charger(id: $c) { connectors { connectorId status } } }"


@pytest.fixture
async def booting_server(database_url: str) -> AsyncIterator[Autocharge]:
    settings = settings_for(database_url, ocpp_read_settings_after_boot=True, local_list_sync_seconds=0.2)
    async with running(settings) as app:
        yield app


@pytest.fixture
async def acme(booting_server: Autocharge) -> TenantAccess:
    return await tenant_access(booting_server, "Acme Fleet")


async def settings_of(acme: TenantAccess, charger_id: str, search: str | None = None) -> dict[str, Any]:
    charger: dict[str, Any] = (await acme.read_only(CHARGER_SETTINGS, c=charger_id, s=search))["charger"]
    return charger


async def log_count(acme: TenantAccess, charger_id: str, action: str, count: int) -> None:
    async def written() -> bool:
        data = await acme.read_only(LOGS, c=charger_id, a=action)
        return len(data["ocppLogs"]["edges"]) >= count

    await eventually(written)


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_simulators_settings_are_read_after_boot_and_autocharge_is_switched_on(
    booting_server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("SIM-1", autocharge=False)
    switch = "AutoChargeEnabled" if version == "1.6" else "AutoCharge/Enabled"
    async with charger(booting_server, "SIM-1", version) as station:
        await station.boot()

        async def read() -> bool:
            return bool((await settings_of(acme, charger_id))["settings"])

        await eventually(read)
        before = await settings_of(acme, charger_id)
        assert (before["autochargeReadiness"], before["autochargeSettingKey"]) == ("DISABLED", switch)
        assert {s["key"] for s in before["settings"]} == set(station.station.settings)
        if version == "2.0.1":  # 7 variables, 4 to a NotifyReport: a report in 2 parts, each answered
            await log_count(acme, charger_id, "NotifyReport", 2 * 2)

        assert (await acme.admin(SET_AUTOCHARGE, c=charger_id, e=True))["setAutochargeEnabled"] == ACCEPTED
        assert station.station.autocharge_enabled is True
        after = await settings_of(acme, charger_id)
        assert (after["autochargeReadiness"], after["autochargeSupported"]) == ("ENABLED", True)

        heartbeat = "HeartbeatInterval" if version == "1.6" else "OCPPCommCtrlr/HeartbeatInterval"
        assert (await acme.admin(CHANGE_SETTING, c=charger_id, k=heartbeat, v="120"))[
            "changeChargerSetting"
        ] == ACCEPTED
        assert station.station.settings[heartbeat].value == "120"


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_simulator_resets_unlocks_changes_availability_and_sends_what_is_triggered(
    booting_server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("SIM-1")
    async with charger(booting_server, "SIM-1", version, connectors=2) as station:
        await station.boot()
        assert (await acme.admin(RESET_CHARGER, c=charger_id, k="HARD"))["resetCharger"] == ACCEPTED
        await log_count(acme, charger_id, "BootNotification", 4)  # it booted again, as after a reboot
        assert station.station.resets == ["Reset"]

        unlocked = (await acme.admin(UNLOCK_CONNECTOR, c=charger_id, n=2))["unlockConnector"]
        assert unlocked == {"status": "Unlocked", "accepted": True}
        unknown = (await acme.admin(UNLOCK_CONNECTOR, c=charger_id, n=5))["unlockConnector"]
        assert unknown == {"status": "NotSupported" if version == "1.6" else "UnknownConnector", "accepted": False}

        changed = await acme.admin(CHANGE_AVAILABILITY, c=charger_id, a="INOPERATIVE", n=0)
        assert changed["changeAvailability"] == ACCEPTED

        async def unavailable() -> bool:
            connectors = (await acme.read_only(CONNECTORS, c=charger_id))["charger"]["connectors"]
            return {c["connectorId"]: c["status"] for c in connectors} == {1: "Unavailable", 2: "Unavailable"}

        await eventually(unavailable)

        triggered = await acme.admin(TRIGGER_MESSAGE, c=charger_id, m="HEARTBEAT")
        assert triggered["triggerMessage"] == ACCEPTED
        await log_count(acme, charger_id, "Heartbeat", 2)
        metered = await acme.admin(TRIGGER_MESSAGE, c=charger_id, m="METER_VALUES", n=1)
        assert metered["triggerMessage"] == ACCEPTED
        await log_count(acme, charger_id, "MeterValues", 2)
        assert station.errors == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_simulator_keeps_the_local_list_and_its_version(
    booting_server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("SIM-1")
    user_id = await acme.admin.create_user("ana@example.com", rfid="RFID-ANA")
    vehicle_id = await acme.admin.add_vehicle(user_id, "B-AC 1")
    await acme.admin.add_identifier(vehicle_id, "VID:0A1B2C3D4E5F")
    async with charger(booting_server, "SIM-1", version) as station:
        await station.boot()
        assert (await acme.admin(SEND_LOCAL_LIST, c=charger_id))["sendLocalList"] == ACCEPTED
        vehicle = "VID:0A1B2C3D4E5F" if version == "1.6" else "0A1B2C3D4E5F"
        assert station.station.local_list == {"RFID-ANA": "Accepted", vehicle: "Accepted"}
        assert station.station.local_list_version == 1
        assert (await settings_of(acme, charger_id))["localListVersion"] == 1

        await acme.admin('mutation($u: ID!) { removeRfidTag(userId: $u, idTag: "RFID-ANA") { id } }', u=user_id)

        async def updated() -> bool:
            return (await settings_of(acme, charger_id))["localListVersion"] == 2

        await eventually(updated)  # a Differential update, kept by the simulator
        assert station.station.local_list == {vehicle: "Accepted"}
        assert station.station.local_list_version == 2
