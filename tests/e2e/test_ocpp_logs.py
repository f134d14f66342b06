"""Real-Time Logs: every frame of a charger, both directions, readable through the API as soon as it is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger, eventually, exchange, ocpp_charge_point, raw_connection

NODE = "chargePointId direction messageType uniqueId action payload timestamp"
OCPP_LOGS = f"""query($c: ID!, $a: String) {{ ocppLogs(chargerId: $c, action: $a) {{
    edges {{ node {{ {NODE} }} }} }} }}"""
CHARGER_LOGS = f"""query($c: ID!, $a: String) {{ charger(id: $c) {{ logs(action: $a) {{
    edges {{ node {{ {NODE} }} }} }} }} }}"""


def boot(version: str) -> Any:
    if version == "1.6":
        return call16.BootNotification(charge_point_vendor="ABB", charge_point_model="Terra 184")
    station = types201.ChargingStationType(vendor_name="ABB", model="Terra 184")
    return call201.BootNotification(charging_station=station, reason="PowerUp")


def heartbeat(version: str) -> Any:
    return call16.Heartbeat() if version == "1.6" else call201.Heartbeat()


async def ocpp_logs(tenant: TenantAccess, charger_id: str, action: str | None = None) -> list[dict[str, Any]]:
    data = await tenant.read_only(OCPP_LOGS, c=charger_id, a=action)
    return [edge["node"] for edge in data["ocppLogs"]["edges"]]


async def charger_logs(tenant: TenantAccess, charger_id: str, action: str | None = None) -> list[dict[str, Any]]:
    data = await tenant.read_only(CHARGER_LOGS, c=charger_id, a=action)
    return [edge["node"] for edge in data["charger"]["logs"]["edges"]]


async def wait_for_logs(tenant: TenantAccess, charger_id: str, count: int, action: str | None = None) -> None:
    """The frame journal writes in the background: wait until `count` entries are readable."""

    async def written() -> bool:
        return len(await ocpp_logs(tenant, charger_id, action)) >= count

    await eventually(written)


def shape(entries: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(e["direction"], e["messageType"], e["action"]) for e in entries]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_ocpp_logs_list_every_frame_newest_first_in_both_directions_with_the_action_on_answers(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with ocpp_charge_point(server, "CP-1", version) as cp:
        await cp.call(boot(version))
        await cp.call(heartbeat(version))
        await wait_for_logs(acme, charger_id, 4)
        entries = await ocpp_logs(acme, charger_id)

    assert shape(entries) == [
        ("TO_CHARGER", "CALL_RESULT", "Heartbeat"),
        ("FROM_CHARGER", "CALL", "Heartbeat"),
        ("TO_CHARGER", "CALL_RESULT", "BootNotification"),
        ("FROM_CHARGER", "CALL", "BootNotification"),
    ]
    assert entries[0]["uniqueId"] == entries[1]["uniqueId"] != entries[2]["uniqueId"] == entries[3]["uniqueId"]
    assert {e["chargePointId"] for e in entries} == {"CP-1"}
    times = [datetime.fromisoformat(e["timestamp"]) for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[2]["payload"]["status"] == "Accepted"
    assert "ABB" in str(entries[3]["payload"])


async def test_charger_logs_show_the_same_frames_as_the_ocpp_logs_query(server: Autocharge, acme: TenantAccess) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with ocpp_charge_point(server, "CP-1", "1.6") as cp:
        await cp.call(boot("1.6"))
        await cp.call(heartbeat("1.6"))
        await wait_for_logs(acme, charger_id, 4)

    from_charger = await charger_logs(acme, charger_id)
    assert len(from_charger) == 4
    assert from_charger == await ocpp_logs(acme, charger_id)


async def test_logs_filtered_by_action_hold_only_that_actions_calls_and_answers(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with ocpp_charge_point(server, "CP-1", "1.6") as cp:
        await cp.call(boot("1.6"))
        await cp.call(heartbeat("1.6"))
        await cp.call(heartbeat("1.6"))
        await wait_for_logs(acme, charger_id, 6)

    heartbeats = await ocpp_logs(acme, charger_id, "Heartbeat")
    assert (
        shape(heartbeats)
        == [
            ("TO_CHARGER", "CALL_RESULT", "Heartbeat"),
            ("FROM_CHARGER", "CALL", "Heartbeat"),
        ]
        * 2
    )
    assert shape(await charger_logs(acme, charger_id, "BootNotification")) == [
        ("TO_CHARGER", "CALL_RESULT", "BootNotification"),
        ("FROM_CHARGER", "CALL", "BootNotification"),
    ]


async def test_a_call_error_is_logged_with_the_action_of_the_call_it_answers(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    async with raw_connection(server, "CP-1") as ws:
        await exchange(ws, [2, "odd-1", "FlyToTheMoon", {"speed": "warp"}])
        await wait_for_logs(acme, charger_id, 2)

    error, request = await ocpp_logs(acme, charger_id)
    assert (error["direction"], error["messageType"], error["uniqueId"], error["action"]) == (
        "TO_CHARGER",
        "CALL_ERROR",
        "odd-1",
        "FlyToTheMoon",
    )
    assert error["payload"]["errorCode"] == "NotImplemented"
    assert (request["direction"], request["payload"]) == ("FROM_CHARGER", {"speed": "warp"})


@pytest.mark.parametrize(
    ("version", "action"), [("1.6", "RemoteStartTransaction"), ("2.0.1", "RequestStartTransaction")]
)
async def test_a_command_sent_to_the_charger_is_logged_to_the_charger_and_its_answer_from_it(
    server: Autocharge, acme: TenantAccess, version: str, action: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    user = await acme.admin.create_user("dana@acme.example")
    remote_start = "mutation($c: ID!, $u: ID!) { remoteStartTransaction(chargerId: $c, connectorId: 1, userId: $u) }"

    async with charger(server, "CP-1", version) as station:
        await station.boot()
        assert (await acme.admin(remote_start, c=charger_id, u=user))["remoteStartTransaction"] is True
        await station.remote_starts.get()  # the charger has started the transaction: no more frames of this action
        await wait_for_logs(acme, charger_id, 2, action)

    answer, command = await ocpp_logs(acme, charger_id, action)
    assert shape([answer, command]) == [("FROM_CHARGER", "CALL_RESULT", action), ("TO_CHARGER", "CALL", action)]
    assert answer["uniqueId"] == command["uniqueId"]
    assert answer["payload"] == {"status": "Accepted"}
