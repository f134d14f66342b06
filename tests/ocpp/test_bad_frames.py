"""Bad input is answered with the CALLERROR each version's spec names, logged, and the connection stays usable."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from domain.model import LogDirection, OcppMessageType
from tests.ocpp.conftest import Env, raw_socket

BOOT_16 = [2, "ok-1", "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "M"}]


async def exchange(ws: ClientConnection, frame: str | bytes) -> list[Any]:
    await ws.send(frame)
    answer: list[Any] = orjson.loads(await ws.recv())
    return answer


async def still_works(ws: ClientConnection, version: str) -> None:
    frame = BOOT_16 if version == "1.6" else [2, "ok-1", "Heartbeat", {}]
    answer = await exchange(ws, orjson.dumps(frame).decode())
    assert answer[:2] == [3, "ok-1"]


CASES_16 = [
    ("not json", "-1", "FormationViolation"),
    ('{"an": "object"}', "-1", "FormationViolation"),
    ("[]", "-1", "FormationViolation"),
    ('[7, "u1", "Heartbeat", {}]', "u1", "FormationViolation"),
    ('[2, "u2", "Heartbeat"]', "u2", "ProtocolError"),
    ('[2, 42, "Heartbeat", {}]', "-1", "FormationViolation"),
    ('[2, "u3", "FlyToTheMoon", {}]', "u3", "NotImplemented"),
    ('[2, "u4", "Reset", {"type": "Hard"}]', "u4", "NotSupported"),  # a real 1.6 action, but CSMS-to-charger
    ('[2, "u5", "Authorize", {"idTag": 12}]', "u5", "TypeConstraintViolation"),
    ('[2, "u6", "Authorize", {}]', "u6", "ProtocolError"),
    ('[2, "u7", "Authorize", {"idTag": "A", "extra": 1}]', "u7", "FormationViolation"),
    ('[2, "u8", "Authorize", {"idTag": "123456789012345678901"}]', "u8", "TypeConstraintViolation"),
    (
        '[2, "u9", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}]',
        "u9",
        "FormationViolation",
    ),
    # OCPP-J 1.6: a payload that is not an object does not "conform the PDU structure": FormationViolation.
    ('[2, "u10", "Heartbeat", [1, 2]]', "u10", "FormationViolation"),
    (
        '[2, "u11", "StartTransaction", {"connectorId": 1, "idTag": "X", "meterStart": 0, "timestamp": "yesterday"}]',
        "u11",
        "PropertyConstraintViolation",
    ),
    # The uniqueId is at most 36 characters; an over-long one is echoed whole, the only id the charger can match.
    ('[2, "' + "L" * 37 + '", "Heartbeat", {}]', "L" * 37, "FormationViolation"),
    ('[2, "", "Heartbeat", {}]', "", "FormationViolation"),
    ('[2, "u12", 5, {}]', "u12", "FormationViolation"),
    ('[2, "u13", "Heartbeat", {}, "extra"]', "u13", "FormationViolation"),
    ('[3, "u14", "not an object"]', "u14", "FormationViolation"),
    # A lone surrogate is no Unicode text: the frame cannot be read, so neither can its uniqueId.
    ('[2, "u16", "DataTransfer", {"vendorId": "\\ud800"}]', "-1", "FormationViolation"),
]


@pytest.mark.parametrize(("frame", "unique_id", "code"), CASES_16)
async def test_bad_frames_on_16(env: Env, frame: str, unique_id: str, code: str) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        answer = await exchange(ws, frame)
        assert answer[:3] == [4, unique_id, code]
        assert isinstance(answer[3], str) and isinstance(answer[4], dict)
        await still_works(ws, "1.6")
    errors = [e for e in env.entries() if e.message_type is OcppMessageType.CALL_ERROR]
    assert [(e.direction, e.unique_id) for e in errors] == [(LogDirection.TO_CHARGER, unique_id)]
    first = env.entries()[0]
    assert first.direction is LogDirection.FROM_CHARGER and first.unique_id == unique_id


CASES_201 = [
    ("not json", "-1", "FormatViolation"),
    ('"just a string"', "-1", "RpcFrameworkError"),
    ('[5, "u1", "Heartbeat", {}]', "u1", "MessageTypeNotSupported"),
    ('[2, "u2"]', "u2", "ProtocolError"),
    ('[2, "u3", "FlyToTheMoon", {}]', "u3", "NotImplemented"),
    ('[2, "u4", "Authorize", {"idToken": {"idToken": "A", "type": "Fingerprint"}}]', "u4", "FormatViolation"),
    ('[2, "u5", "Authorize", {"idToken": {"idToken": 5, "type": "Central"}}]', "u5", "TypeConstraintViolation"),
    ('[2, "' + "L" * 37 + '", "Heartbeat", {}]', "L" * 37, "RpcFrameworkError"),
    ('[2, 7, "Heartbeat", {}]', "-1", "RpcFrameworkError"),
    ('[2, "u6", "Heartbeat", "not an object"]', "u6", "FormatViolation"),
    ('[2, "u7", "DataTransfer", {"vendorId": "\\udc00"}]', "-1", "FormatViolation"),
]


@pytest.mark.parametrize(("frame", "unique_id", "code"), CASES_201)
async def test_bad_frames_on_201(env: Env, frame: str, unique_id: str, code: str) -> None:
    await env.charger()
    async with raw_socket(env, version="2.0.1") as ws:
        answer = await exchange(ws, frame)
        assert answer[:3] == [4, unique_id, code]
        await still_works(ws, "2.0.1")


async def test_an_unparseable_frame_is_logged_as_its_raw_text(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        await exchange(ws, "{{ not json")
    # (A binary frame is not read as text: it closes the connection with 1003, see tests/e2e/test_ocpp_hygiene.py.)
    first, reply = env.entries()
    assert (first.payload, first.unique_id, first.action) == ("{{ not json", "-1", None)
    assert reply.payload["errorCode"] == "FormationViolation"


async def test_a_database_outage_is_an_internal_error_and_nothing_is_half_written(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        env.power.on = False
        start = {"connectorId": 1, "idTag": "X", "meterStart": 0, "timestamp": "2026-11-21T08:00:00Z"}
        frame = orjson.dumps([2, "s1", "StartTransaction", start]).decode()
        answer = await exchange(ws, frame)
        assert answer[:3] == [4, "s1", "InternalError"]
        env.power.on = True
        assert env.transactions() == []
        answer = await exchange(ws, frame.replace("s1", "s2"))
        assert answer[0] == 3 and len(env.transactions()) == 1


async def test_a_deleted_charger_is_an_internal_error(env: Env) -> None:
    charger = await env.charger()
    async with raw_socket(env) as ws:
        env.store.table("chargers").pop(charger.id)
        answer = await exchange(ws, '[2, "h1", "Heartbeat", {}]')
    assert answer[:3] == [4, "h1", "InternalError"]


async def test_an_oversize_frame_closes_the_connection_with_1009(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        await ws.send('[2, "big", "DataTransfer", {"vendorId": "x", "data": "' + "x" * 9000 + '"}]')
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
