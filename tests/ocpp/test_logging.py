"""Real-Time Logs: every frame both ways, in wire order, with the action filled on results and errors."""

from __future__ import annotations

from ocpp.v16 import call

from domain.model import LogDirection, OcppMessageType
from tests.ocpp.conftest import Env, client

FROM, TO = LogDirection.FROM_CHARGER, LogDirection.TO_CHARGER
CALL, RESULT, ERROR = OcppMessageType.CALL, OcppMessageType.CALL_RESULT, OcppMessageType.CALL_ERROR


async def test_frames_are_logged_both_ways_with_the_action_on_answers(env: Env) -> None:
    charger = await env.charger()
    async with client(env) as cp:
        await cp.call(call.Heartbeat(), unique_id="h1")
        await cp.call(call.Authorize(id_tag="TAG"), unique_id="a1")
        await cp.call(call.Authorize(id_tag=1), unique_id="a2", skip_schema_validation=True, suppress=True)
    entries = env.entries()
    assert [(e.direction, e.message_type, e.unique_id, e.action) for e in entries] == [
        (FROM, CALL, "h1", "Heartbeat"),
        (TO, RESULT, "h1", "Heartbeat"),
        (FROM, CALL, "a1", "Authorize"),
        (TO, RESULT, "a1", "Authorize"),
        (FROM, CALL, "a2", "Authorize"),
        (TO, ERROR, "a2", "Authorize"),
    ]
    assert entries[2].payload == {"idTag": "TAG"}
    assert entries[3].payload == {"idTagInfo": {"status": "Invalid"}}
    assert entries[5].payload["errorCode"] == "TypeConstraintViolation"
    assert [e.id for e in entries] == sorted(e.id for e in entries)  # id order is wire order
    assert {(e.tenant_id, e.charger_id, e.charge_point_id) for e in entries} == {(env.tenant_a, charger.id, "CP-1")}
    assert env.metric("ocpp_frames_total", direction="FROM_CHARGER", message_type="CALL", action="Authorize") == 2
    assert env.metric("ocpp_handler_seconds_count", action="Heartbeat") == 1
    assert env.metric("ocpp_call_errors_total", code="TypeConstraintViolation") == 1
