"""The opening handshake: path, known charger, Basic auth, subprotocol negotiation."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.ocpp.conftest import Env, basic, client, raw_socket


async def refused(env: Env, path: str, subprotocols: list[str], headers: dict[str, str] | None = None) -> int:
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(
            f"ws://127.0.0.1:{env.port}{path}",
            subprotocols=subprotocols,  # type: ignore[arg-type]
            additional_headers=headers,
        ):
            pass
    return refusal.value.response.status_code


async def test_unknown_charger_and_foreign_paths_are_404(env: Env) -> None:
    await env.charger()
    assert await refused(env, "/ocpp/NOPE", ["ocpp1.6"]) == 404
    assert await refused(env, "/other/CP-1", ["ocpp1.6"]) == 404
    assert await refused(env, "/ocpp/CP-1/extra", ["ocpp1.6"]) == 404
    assert env.metric("ocpp_handshakes_total", outcome="unknown") == 1


async def test_a_charger_with_a_password_needs_it(env: Env) -> None:
    await env.charger(password="s3cret-pass")
    assert await refused(env, "/ocpp/CP-1", ["ocpp1.6"]) == 401
    assert await refused(env, "/ocpp/CP-1", ["ocpp1.6"], basic("CP-1", "wrong-pass")) == 401
    assert await refused(env, "/ocpp/CP-1", ["ocpp1.6"], basic("CP-2", "s3cret-pass")) == 401
    async with client(env, headers=basic("CP-1", "s3cret-pass")) as cp:
        assert (await cp.call(call.Heartbeat())).current_time


async def test_no_common_subprotocol_is_400(env: Env) -> None:
    await env.charger()
    assert await refused(env, "/ocpp/CP-1", ["ocpp1.5"]) == 400
    assert await refused(env, "/ocpp/CP-1", []) == 400


async def test_201_is_preferred_when_both_are_offered(env: Env) -> None:
    await env.charger()
    async with connect(f"ws://127.0.0.1:{env.port}/ocpp/CP-1", subprotocols=["ocpp1.6", "ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "ocpp2.0.1"
    async with raw_socket(env, version="1.6") as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_directory_down_is_503(env: Env) -> None:
    await env.charger()
    env.directory.down = True
    assert await refused(env, "/ocpp/CP-1", ["ocpp1.6"]) == 503
