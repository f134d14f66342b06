"""Bad frames: each kind is answered with its CALLERROR and the connection kept; an oversize frame closes it."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, exchange, raw_connection

# (kind of bad frame, OCPP version, the frame, the uniqueId and error code of the answer)
BAD_FRAMES = [
    ("not JSON", "1.6", "this is not JSON", "-1", "FormationViolation"),
    ("not JSON", "2.0.1", "this is not JSON", "-1", "FormatViolation"),
    ("not an array", "1.6", '{"not": "an array"}', "-1", "FormationViolation"),
    ("not an array", "2.0.1", '{"not": "an array"}', "-1", "RpcFrameworkError"),
    ("unknown action", "1.6", '[2, "u1", "FlyToTheMoon", {}]', "u1", "NotImplemented"),
    ("unknown action", "2.0.1", '[2, "u1", "FlyToTheMoon", {}]', "u1", "NotImplemented"),
    ("schema violation", "1.6", '[2, "u2", "Authorize", {"idTag": 12}]', "u2", "TypeConstraintViolation"),
    (
        "schema violation",
        "2.0.1",
        '[2, "u2", "Authorize", {"idToken": {"idToken": 5, "type": "MacAddress"}}]',
        "u2",
        "TypeConstraintViolation",
    ),
]


@pytest.mark.parametrize(
    ("version", "frame", "unique_id", "code"),
    [case[1:] for case in BAD_FRAMES],
    ids=[f"{kind}-{version}" for kind, version, *_ in BAD_FRAMES],
)
async def test_a_bad_frame_is_answered_with_its_call_error_and_the_connection_stays_open(
    server: Autocharge, acme: TenantAccess, version: str, frame: str, unique_id: str, code: str
) -> None:
    await acme.admin.register_charger("CP-1")

    async with raw_connection(server, "CP-1", version) as ws:
        error = await exchange(ws, frame)
        heartbeat = await exchange(ws, [2, "still-there", "Heartbeat", {}])

    assert error[:3] == [4, unique_id, code]
    assert isinstance(error[3], str) and isinstance(error[4], dict)
    assert heartbeat[:2] == [3, "still-there"] and "currentTime" in heartbeat[2]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_frame_over_the_size_limit_closes_the_connection_with_1009(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    oversize = [2, "big", "DataTransfer", {"vendorId": "acme", "data": "x" * server.settings.ocpp_max_frame_bytes}]

    async with raw_connection(server, "CP-1", version) as ws:
        await ws.send(json.dumps(oversize))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
