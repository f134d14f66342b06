"""Real-Time Logs never stop: frames no column takes as they are get their CALLERROR, are stored escaped, and
every other charger's frames keep being logged, readable through ocppLogs and pushed to its subscription."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from autocharge.main import Autocharge
from domain.events import logs_topic
from tests.e2e.harness import TenantAccess, eventually, exchange, ocpp_charge_point, raw_connection, subscribed

LOGS = (
    "query($c: ID!) { ocppLogs(chargerId: $c, first: 100) {"
    " edges { node { direction messageType uniqueId action payload } } } }"
)
SUBSCRIBE_LOGS = "subscription($c: ID!) { ocppLogs(chargerId: $c) { direction messageType uniqueId action } }"

LONG_ID = "I" * 100
LONG_ACTION = "A" * 100


async def logs(tenant: TenantAccess, charger_id: str) -> list[dict[str, Any]]:
    data = await tenant.read_only(LOGS, c=charger_id)
    return [edge["node"] for edge in data["ocppLogs"]["edges"]]


@pytest.mark.parametrize(
    ("version", "bad_id_code", "bad_json_code"),
    [
        ("1.6", "FormationViolation", "FormationViolation"),
        ("2.0.1", "RpcFrameworkError", "FormatViolation"),
    ],
)
async def test_odd_frames_are_answered_and_stored_escaped_and_another_charger_is_still_logged(
    server: Autocharge, acme: TenantAccess, version: str, bad_id_code: str, bad_json_code: str
) -> None:
    odd_id = await acme.admin.register_charger("CP-ODD")
    fine_id = await acme.admin.register_charger("CP-FINE")

    async with raw_connection(server, "CP-ODD", version) as ws:
        long_id = await exchange(ws, [2, LONG_ID, "Heartbeat", {}])
        nul = await exchange(ws, '[2, "nul-1", "DataTransfer", {"vendorId": "acme", "data": "a\\u0000b"}]')
        surrogate = await exchange(ws, '[2, "sur-1", "DataTransfer", {"vendorId": "\\ud800"}]')
        long_action = await exchange(ws, [2, "act-1", LONG_ACTION, {}])
        raw_nul = await exchange(ws, "not JSON \x00 at all")
        heartbeat = await exchange(ws, [2, "still-there", "Heartbeat", {}])

    assert long_id[:3] == [4, LONG_ID, bad_id_code]  # echoed whole: the only id the charger can match
    assert nul[:2] == [3, "nul-1"]  # NUL is valid JSON text: a DataTransfer like any other
    assert surrogate[:3] == [4, "-1", bad_json_code]
    assert "surrogate" in surrogate[4]["cause"]
    assert long_action[:3] == [4, "act-1", "NotImplemented"]
    assert raw_nul[:3] == [4, "-1", bad_json_code]
    assert heartbeat[:2] == [3, "still-there"]

    # Another charger, with the ocpp package's own client, is logged, readable and pushed as before.
    async with acme.read_only.ws() as subscription:
        await subscription.subscribe(SUBSCRIBE_LOGS, {"c": fine_id})
        await subscribed(server, acme.tenant, logs_topic(UUID(fine_id)))
        async with ocpp_charge_point(server, "CP-FINE", version) as cp:
            await cp.call(call16.Heartbeat() if version == "1.6" else call201.Heartbeat())
        pushed = [(await subscription.next_data())["ocppLogs"] for _ in range(2)]
    assert [(e["direction"], e["messageType"], e["action"]) for e in pushed] == [
        ("FROM_CHARGER", "CALL", "Heartbeat"),
        ("TO_CHARGER", "CALL_RESULT", "Heartbeat"),
    ]

    async def fine_logged() -> bool:
        return len(await logs(acme, fine_id)) == 2

    await eventually(fine_logged)

    # Every odd frame, and every answer to it, is stored: 6 frames in, 6 answers out.
    async def odd_logged() -> bool:
        return len(await logs(acme, odd_id)) == 12

    await eventually(odd_logged)
    entries = list(reversed(await logs(acme, odd_id)))  # oldest first
    received = [e for e in entries if e["direction"] == "FROM_CHARGER"]
    assert [e["uniqueId"] for e in received] == [LONG_ID[:64], "nul-1", "-1", "act-1", "-1", "still-there"]
    assert received[0]["payload"] == [2, LONG_ID, "Heartbeat", {}]  # the whole frame, its full uniqueId in it
    assert received[1]["payload"] == {"vendorId": "acme", "data": "a\\u0000b"}  # NUL as its JSON escape
    assert received[2]["payload"] == '[2, "sur-1", "DataTransfer", {"vendorId": "\\ud800"}]'  # the text received
    assert received[3]["action"] == LONG_ACTION[:64]
    assert received[4]["payload"] == "not JSON \\u0000 at all"
    answers = [e for e in entries if e["direction"] == "TO_CHARGER"]
    assert [e["uniqueId"] for e in answers] == [LONG_ID[:64], "nul-1", "-1", "act-1", "-1", "still-there"]
    assert answers[0]["payload"]["errorCode"] == bad_id_code
    assert json.dumps(entries).isascii()
