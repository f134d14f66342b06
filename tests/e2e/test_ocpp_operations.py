"""Station operations on both versions, with the `ocpp` package's ChargePoint as the charger on a real socket: each
operation's call reaches the charger, its answer comes back as the result, and both are in the Real-Time Logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as Client16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Client201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, eventually, ocpp_charge_point, running, tenant_access
from tests.e2e.harness import test_settings as settings_for
from tests.graphql_documents import (
    CHANGE_AVAILABILITY,
    CHANGE_SETTING,
    CHARGER_SETTINGS,
    REFRESH_SETTINGS,
    RESET_CHARGER,
    SEND_LOCAL_LIST,
    SET_AUTOCHARGE,
    TRIGGER_MESSAGE,
    UNLOCK_CONNECTOR,
)

VERSIONS = ["1.6", "2.0.1"]
LOGS = """query($c: ID!, $a: String) { ocppLogs(chargerId: $c, action: $a) {
    edges { node { direction messageType action payload } } } }"""


class Station16(Client16):  # type: ignore[misc]
    """A 1.6 charger: a few settings, an Autocharge switch (off), every command answered and remembered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.settings: dict[str, tuple[str, bool]] = {
            "HeartbeatInterval": ("300", False),
            "AutoChargeEnabled": ("false", False),
            "NumberOfConnectors": ("2", True),
        }

    @on("Reset")
    async def on_reset(self, **kw: Any) -> Any:
        self.received.append(("Reset", kw))
        return result16.Reset(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, **kw: Any) -> Any:
        self.received.append(("UnlockConnector", kw))
        return result16.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")
    async def on_change_availability(self, **kw: Any) -> Any:
        self.received.append(("ChangeAvailability", kw))
        return result16.ChangeAvailability(status="Scheduled")

    @on("TriggerMessage")
    async def on_trigger(self, **kw: Any) -> Any:
        self.received.append(("TriggerMessage", kw))
        return result16.TriggerMessage(status="Rejected")

    @on("GetConfiguration")
    async def on_get_configuration(self, **kw: Any) -> Any:
        self.received.append(("GetConfiguration", kw))
        keys = [{"key": k, "value": v, "readonly": ro} for k, (v, ro) in self.settings.items()]
        return result16.GetConfiguration(configuration_key=keys)

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        self.received.append(("ChangeConfiguration", {"key": key, "value": value}))
        self.settings[key] = (value, False)
        return result16.ChangeConfiguration(status="Accepted")

    @on("SendLocalList")
    async def on_send_local_list(self, **kw: Any) -> Any:
        self.received.append(("SendLocalList", kw))
        return result16.SendLocalList(status="Accepted")

    async def boot(self) -> None:
        await self.call(call16.BootNotification(charge_point_vendor="ABB", charge_point_model="Terra 184"))


def _variable(component: str, variable: str, value: str, readonly: bool, evse: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "component": {"name": component, **({"evse": {"id": evse}} if evse else {})},
        "variable": {"name": variable},
        "variable_attribute": [{"value": value, "mutability": "ReadOnly" if readonly else "ReadWrite"}],
    }
    return item


class Station201(Client201):  # type: ignore[misc]
    """A 2.0.1 charging station: its inventory comes in `parts` NotifyReports (all of them unless `stop_after`)."""

    parts = 3
    stop_after: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.inventory = [
            _variable("OCPPCommCtrlr", "HeartbeatInterval", "300", False),
            _variable("AutoCharge", "Enabled", "false", False),
            _variable("Connector", "AvailabilityState", "Available", True, evse=1),
        ]

    @on("Reset")
    async def on_reset(self, **kw: Any) -> Any:
        self.received.append(("Reset", kw))
        return result201.Reset(status="Scheduled")

    @on("UnlockConnector")
    async def on_unlock(self, **kw: Any) -> Any:
        self.received.append(("UnlockConnector", kw))
        return result201.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")
    async def on_change_availability(self, **kw: Any) -> Any:
        self.received.append(("ChangeAvailability", kw))
        return result201.ChangeAvailability(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger(self, **kw: Any) -> Any:
        self.received.append(("TriggerMessage", kw))
        return result201.TriggerMessage(status="Rejected")

    @on("GetBaseReport")
    async def on_get_base_report(self, **kw: Any) -> Any:
        self.received.append(("GetBaseReport", kw))
        return result201.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    async def send_report(self, request_id: int, **_: Any) -> None:
        count = self.parts if self.stop_after is None else self.stop_after
        for seq_no in range(count):
            part = self.inventory[seq_no :: self.parts]
            report = call201.NotifyReport(
                request_id=request_id,
                generated_at="2026-12-05T12:00:00Z",
                seq_no=seq_no,
                tbc=seq_no < self.parts - 1,
                report_data=part or None,
            )
            await self.call(report)

    @on("SetVariables")
    async def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self.received.append(("SetVariables", {"set_variable_data": set_variable_data}))
        results = [
            {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"]}
            for d in set_variable_data
        ]
        return result201.SetVariables(set_variable_result=results)

    @on("SendLocalList")
    async def on_send_local_list(self, **kw: Any) -> Any:
        self.received.append(("SendLocalList", kw))
        return result201.SendLocalList(status="Accepted")

    async def boot(self) -> None:
        station = types201.ChargingStationType(vendor_name="ABB", model="Terra 184", firmware_version="1.0")
        await self.call(call201.BootNotification(charging_station=station, reason="PowerUp"))


def station(version: str) -> type[Any]:
    return Station16 if version == "1.6" else Station201


@pytest.fixture
async def booting_server(database_url: str) -> AsyncIterator[Autocharge]:
    """A server that reads a charger's settings after its boot, with a short command timeout."""
    settings = settings_for(database_url, ocpp_read_settings_after_boot=True, ocpp_command_timeout_seconds=3)
    async with running(settings) as app:
        yield app


async def logged(tenant: TenantAccess, charger_id: str, action: str, count: int = 2) -> list[tuple[str, str]]:
    """The (direction, messageType) of the action's log entries, newest first, once `count` are written."""
    entries: list[dict[str, Any]] = []

    async def written() -> bool:
        nonlocal entries
        data = await tenant.read_only(LOGS, c=charger_id, a=action)
        entries = [edge["node"] for edge in data["ocppLogs"]["edges"]]
        return len(entries) >= count

    await eventually(written)
    return [(e["direction"], e["messageType"]) for e in entries]


CALL_AND_ANSWER = [("FROM_CHARGER", "CALL_RESULT"), ("TO_CHARGER", "CALL")]


@pytest.mark.parametrize("version", VERSIONS)
async def test_reset_unlock_availability_and_trigger_reach_the_charger_and_return_its_answer(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with ocpp_charge_point(server, "CP-1", version, cls=station(version)) as cp:
        await cp.boot()
        reset = await acme.admin(RESET_CHARGER, c=charger_id, k="HARD")
        unlock = await acme.admin(UNLOCK_CONNECTOR, c=charger_id, n=1)
        availability = await acme.admin(CHANGE_AVAILABILITY, c=charger_id, a="INOPERATIVE", n=0)
        trigger = await acme.admin(TRIGGER_MESSAGE, c=charger_id, m="STATUS_NOTIFICATION", n=1)

        assert unlock["unlockConnector"] == {"status": "Unlocked", "accepted": True}
        assert trigger["triggerMessage"] == {"status": "Rejected", "accepted": False}
        if version == "1.6":
            assert reset["resetCharger"] == {"status": "Accepted", "accepted": True}
            assert availability["changeAvailability"] == {"status": "Scheduled", "accepted": True}
            assert cp.received == [
                ("Reset", {"type": "Hard"}),
                ("UnlockConnector", {"connector_id": 1}),
                ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"}),
                ("TriggerMessage", {"requested_message": "StatusNotification", "connector_id": 1}),
            ]
        else:
            assert reset["resetCharger"] == {"status": "Scheduled", "accepted": True}
            assert availability["changeAvailability"] == {"status": "Accepted", "accepted": True}
            assert cp.received == [
                ("Reset", {"type": "Immediate"}),
                ("UnlockConnector", {"evse_id": 1, "connector_id": 1}),
                ("ChangeAvailability", {"operational_status": "Inoperative"}),
                ("TriggerMessage", {"requested_message": "StatusNotification", "evse": {"id": 1}}),
            ]
        for action in ("Reset", "UnlockConnector", "ChangeAvailability", "TriggerMessage"):
            assert await logged(acme, charger_id, action) == CALL_AND_ANSWER


@pytest.mark.parametrize("version", VERSIONS)
async def test_settings_are_read_after_the_first_boot_and_autocharge_is_switched_on(
    booting_server: Autocharge, version: str
) -> None:
    acme = await tenant_access(booting_server, "Acme Fleet")
    charger_id = await acme.admin.register_charger("CP-1", autocharge=False)
    switch = "AutoChargeEnabled" if version == "1.6" else "AutoCharge/Enabled"
    async with ocpp_charge_point(booting_server, "CP-1", version, cls=station(version)) as cp:
        await cp.boot()

        async def read() -> bool:
            return bool((await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]["settings"])

        await eventually(read)
        charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]
        assert (charger["autochargeReadiness"], charger["autochargeSettingKey"]) == ("DISABLED", switch)
        assert charger["autochargeSupported"] is False
        keys = {s["key"]: (s["value"], s["readonly"]) for s in charger["settings"]}
        if version == "1.6":
            assert keys == {"AutoChargeEnabled": ("false", False), "HeartbeatInterval": ("300", False),
                            "NumberOfConnectors": ("2", True)}  # fmt: skip
        else:  # every part of the multi-part report
            assert keys == {"AutoCharge/Enabled": ("false", False), "OCPPCommCtrlr/HeartbeatInterval": ("300", False),
                            "Connector@1/AvailabilityState": ("Available", True)}  # fmt: skip
        searched = (await acme.read_only(CHARGER_SETTINGS, c=charger_id, s="heartbeat"))["charger"]["settings"]
        assert [s["key"] for s in searched] == [k for k in keys if "Heartbeat" in k]

        result = await acme.admin(SET_AUTOCHARGE, c=charger_id, e=True)
        assert result["setAutochargeEnabled"] == {"status": "Accepted", "accepted": True}
        if version == "1.6":
            assert cp.received[-1] == ("ChangeConfiguration", {"key": "AutoChargeEnabled", "value": "true"})
            assert await logged(acme, charger_id, "ChangeConfiguration") == CALL_AND_ANSWER
            assert await logged(acme, charger_id, "GetConfiguration") == CALL_AND_ANSWER
        else:
            ((_, sent),) = [r for r in cp.received if r[0] == "SetVariables"]
            assert sent["set_variable_data"] == [
                {"attribute_value": "true", "component": {"name": "AutoCharge"}, "variable": {"name": "Enabled"}}
            ]
            assert await logged(acme, charger_id, "SetVariables") == CALL_AND_ANSWER
            assert await logged(acme, charger_id, "GetBaseReport") == CALL_AND_ANSWER
            assert await logged(acme, charger_id, "NotifyReport", 6) == [("TO_CHARGER", "CALL_RESULT"),
                                                                        ("FROM_CHARGER", "CALL")] * 3  # fmt: skip
        charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id, s=switch))["charger"]
        assert charger["autochargeReadiness"] == "ENABLED" and charger["autochargeSupported"] is True
        assert [s["value"] for s in charger["settings"]] == ["true"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_setting_changes_only_when_reported_writable_and_accepted(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    heartbeat = "HeartbeatInterval" if version == "1.6" else "OCPPCommCtrlr/HeartbeatInterval"
    readonly = "NumberOfConnectors" if version == "1.6" else "Connector@1/AvailabilityState"
    async with ocpp_charge_point(server, "CP-1", version, cls=station(version)) as cp:
        await cp.boot()
        assert await acme.admin.error_code(CHANGE_SETTING, c=charger_id, k=heartbeat, v="60") == "VALIDATION"
        refreshed = (await acme.admin(REFRESH_SETTINGS, c=charger_id))["refreshChargerSettings"]
        assert {s["key"] for s in refreshed["settings"]} >= {heartbeat, readonly}

        assert await acme.admin.error_code(CHANGE_SETTING, c=charger_id, k=readonly, v="2") == "VALIDATION"
        assert await acme.admin.error_code(CHANGE_SETTING, c=charger_id, k="NoSuchKey", v="2") == "VALIDATION"
        result = await acme.admin(CHANGE_SETTING, c=charger_id, k=heartbeat, v="60")
        assert result["changeChargerSetting"] == {"status": "Accepted", "accepted": True}
    charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id, s=heartbeat))["charger"]
    assert [(s["key"], s["value"]) for s in charger["settings"]] == [(heartbeat, "60")]


@pytest.mark.parametrize("version", VERSIONS)
async def test_readiness_is_unknown_without_a_switch_until_the_charger_presents_an_autocharge_token(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with ocpp_charge_point(server, "CP-1", version, cls=station(version)) as cp:
        if version == "1.6":
            del cp.settings["AutoChargeEnabled"]
        else:
            del cp.inventory[1]
        await cp.boot()
        await acme.admin(REFRESH_SETTINGS, c=charger_id)
        charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]
        assert (charger["autochargeReadiness"], charger["autochargeSettingKey"]) == ("UNKNOWN", None)
        assert await acme.admin.error_code(SET_AUTOCHARGE, c=charger_id, e=True) == "VALIDATION"

        if version == "1.6":
            await cp.call(call16.Authorize(id_tag="VID:0A1B2C3D4E5F"))
        else:
            await cp.call(call201.Authorize(id_token={"id_token": "0A1B2C3D4E5F", "type": "MacAddress"}))
        charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]
        assert (charger["autochargeReadiness"], charger["autochargeSettingKey"]) == ("ENABLED", None)


async def test_a_report_whose_parts_stop_arriving_is_unavailable(booting_server: Autocharge) -> None:
    acme = await tenant_access(booting_server, "Acme Fleet")
    charger_id = await acme.admin.register_charger("CP-1")

    class Stalling(Station201):
        stop_after = 1

    async with ocpp_charge_point(booting_server, "CP-1", "2.0.1", cls=Stalling) as cp:
        await cp.call(call201.Heartbeat())  # no boot: no read in the background
        failure = await acme.admin.raw(REFRESH_SETTINGS, c=charger_id)
    (error,) = failure["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "did not answer GetBaseReport within 3s" in error["message"]
    assert (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]["settings"] == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_local_list_holds_every_active_identifier_and_tag_and_its_version_follows(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    user_id = await acme.admin.create_user("ana@example.com", rfid="RFID-ANA")
    vehicle_id = await acme.admin.add_vehicle(user_id, "B-AC 1")
    await acme.admin.add_identifier(vehicle_id, "VID:0A1B2C3D4E5F")
    async with ocpp_charge_point(server, "CP-1", version, cls=station(version)) as cp:
        await cp.boot()
        for expected_version in (1, 2):
            result = await acme.admin(SEND_LOCAL_LIST, c=charger_id)
            assert result["sendLocalList"] == {"status": "Accepted", "accepted": True}
            charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]
            assert charger["localListVersion"] == expected_version
    (_, first), (_, second) = cp.received
    if version == "1.6":
        assert (first["list_version"], first["update_type"], second["list_version"]) == (1, "Full", 2)
        assert sorted(e["id_tag"] for e in first["local_authorization_list"]) == ["RFID-ANA", "VID:0A1B2C3D4E5F"]
    else:
        assert (first["version_number"], first["update_type"], second["version_number"]) == (1, "Full", 2)
        tokens = sorted((e["id_token"]["id_token"], e["id_token"]["type"]) for e in first["local_authorization_list"])
        assert tokens == [("0A1B2C3D4E5F", "MacAddress"), ("RFID-ANA", "ISO14443")]
    assert await logged(acme, charger_id, "SendLocalList", 4) == CALL_AND_ANSWER * 2


async def test_operations_are_forbidden_to_read_only_keys_and_unavailable_when_not_connected(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    assert await acme.read_only.error_code(RESET_CHARGER, c=charger_id) == "FORBIDDEN"
    assert await acme.read_only.error_code(SEND_LOCAL_LIST, c=charger_id) == "FORBIDDEN"
    failure = await acme.admin.raw(RESET_CHARGER, c=charger_id)
    (error,) = failure["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("UNAVAILABLE", "charger CP-1 is not connected")


async def test_a_charger_that_does_not_answer_is_unavailable_and_never_asked_twice(booting_server: Autocharge) -> None:
    acme = await tenant_access(booting_server, "Acme Fleet")
    charger_id = await acme.admin.register_charger("CP-1")

    class Silent(Station16):
        @on("Reset")
        async def on_reset(self, **kw: Any) -> Any:
            self.received.append(("Reset", kw))
            await asyncio.sleep(10)  # past the command timeout (3 s)
            return result16.Reset(status="Accepted")

    async with ocpp_charge_point(booting_server, "CP-1", "1.6", cls=Silent) as cp:
        await cp.call(call16.Heartbeat())
        failure = await acme.admin.raw(RESET_CHARGER, c=charger_id)
        (error,) = failure["errors"]
        assert error["extensions"]["code"] == "UNAVAILABLE"
        assert error["message"] == "charger CP-1 did not answer Reset within 3s"
        assert cp.received == [("Reset", {"type": "Soft"})]


@pytest.fixture
async def syncing_server(database_url: str) -> AsyncIterator[Autocharge]:
    """A server that sends local list changes every 0.2 s (instead of every 30)."""
    async with running(settings_for(database_url, local_list_sync_seconds=0.2)) as app:
        yield app


RETIRE_IDENTIFIER = "mutation($i: ID!) { retireVehicleIdentifier(identifierId: $i) { status } }"
ADD_TAG = "mutation($u: ID!, $t: String!) { addRfidTag(userId: $u, idTag: $t) { id } }"


@pytest.mark.parametrize("version", VERSIONS)
async def test_changes_after_the_local_list_reach_the_charger_as_differential_updates(
    syncing_server: Autocharge, version: str
) -> None:
    acme = await tenant_access(syncing_server, "Acme Fleet")
    charger_id = await acme.admin.register_charger("CP-1")
    user_id = await acme.admin.create_user("ana@example.com", rfid="RFID-ANA")
    vehicle_id = await acme.admin.add_vehicle(user_id, "B-AC 1")
    identifier = await acme.admin.add_identifier(vehicle_id, "VID:0A1B2C3D4E5F")
    async with ocpp_charge_point(syncing_server, "CP-1", version, cls=station(version)) as cp:
        await cp.boot()
        assert (await acme.admin(SEND_LOCAL_LIST, c=charger_id))["sendLocalList"]["accepted"]
        await acme.admin(RETIRE_IDENTIFIER, i=identifier["id"])
        await acme.admin(ADD_TAG, u=user_id, t="RFID-NEW")

        def updates() -> list[dict[str, Any]]:
            return [sent for action, sent in cp.received if action == "SendLocalList"][1:]  # after the Full

        def entries(update: dict[str, Any]) -> list[tuple[str, bool]]:  # (token, still on the list)
            if version == "1.6":
                return [(e["id_tag"], "id_tag_info" in e) for e in update["local_authorization_list"]]
            return [(e["id_token"]["id_token"], "id_token_info" in e) for e in update["local_authorization_list"]]

        removed = "VID:0A1B2C3D4E5F" if version == "1.6" else "0A1B2C3D4E5F"

        async def both_sent_and_accepted() -> bool:  # in one update or two, as the changes fell between syncs
            sent = [entry for update in updates() for entry in entries(update)]
            if ("RFID-NEW", True) not in sent or (removed, False) not in sent:
                return False
            charger = (await acme.read_only(CHARGER_SETTINGS, c=charger_id))["charger"]
            return bool(charger["localListVersion"] == 1 + len(updates()))

        await eventually(both_sent_and_accepted)
    sent = updates()
    assert {u["update_type"] for u in sent} == {"Differential"}
    numbers = [u["list_version" if version == "1.6" else "version_number"] for u in sent]
    assert numbers == list(range(2, 2 + len(sent))) and len(sent) <= 2
    if version == "2.0.1":
        types = {e["id_token"]["id_token"]: e["id_token"]["type"] for u in sent for e in u["local_authorization_list"]}
        assert types == {"RFID-NEW": "ISO14443", "0A1B2C3D4E5F": "MacAddress"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_charger_without_the_operation_answers_with_its_callerror_code(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with ocpp_charge_point(server, "CP-1", version) as cp:  # the package's ChargePoint: no handlers
        await cp.call(call16.Heartbeat() if version == "1.6" else call201.Heartbeat())
        result = await acme.admin(UNLOCK_CONNECTOR, c=charger_id, n=1)
        assert result["unlockConnector"] == {"status": "NotImplemented", "accepted": False}
        assert await logged(acme, charger_id, "UnlockConnector") == [
            ("FROM_CHARGER", "CALL_ERROR"),
            ("TO_CHARGER", "CALL"),
        ]


async def test_a_charger_booting_again_while_its_settings_are_read_is_not_asked_twice(
    booting_server: Autocharge,
) -> None:
    acme = await tenant_access(booting_server, "Acme Fleet")
    await acme.admin.register_charger("CP-1")

    class Slow(Station16):
        @on("GetConfiguration")
        async def on_get_configuration(self, **kw: Any) -> Any:
            self.received.append(("GetConfiguration", kw))
            await asyncio.sleep(1)
            return result16.GetConfiguration(configuration_key=[])

    async with ocpp_charge_point(booting_server, "CP-1", "1.6", cls=Slow) as cp:
        for firmware in ("1.0", "1.1", "1.2"):  # each a new firmware: each would call for a read
            boot = call16.BootNotification(
                charge_point_vendor="ABB", charge_point_model="Terra 184", firmware_version=firmware
            )
            await cp.call(boot)
        await eventually(lambda: _answered(cp))
        await asyncio.sleep(0.3)  # a second read would be on its way by now
        assert [action for action, _ in cp.received] == ["GetConfiguration"]


async def _answered(cp: Any) -> bool:
    return bool(cp.received)
