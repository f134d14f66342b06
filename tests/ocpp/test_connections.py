"""Connection lifecycle: connected state, replacement by a new connection, idle timeout, shutdown, handover."""

from __future__ import annotations

import asyncio
import time

import pytest
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed

from domain.model import ConnectionState
from tests.ocpp.conftest import Env, client, eventually, raw_socket


def state(env: Env, cpid: str = "CP-1") -> ConnectionState:
    return env.charger_row(cpid).connection_state


async def test_connect_and_disconnect_are_recorded(env: Env) -> None:
    await env.charger()
    async with client(env, version="2.0.1"):
        assert state(env) is ConnectionState.CONNECTED and env.registry.is_connected("CP-1")
        assert env.charger_row().ocpp_version == "2.0.1"
        assert env.metric("ocpp_connected_chargers", version="2.0.1") == 1
    await eventually(lambda: state(env) is ConnectionState.DISCONNECTED)
    assert not env.registry.is_connected("CP-1")
    assert env.metric("ocpp_connected_chargers", version="2.0.1") == 0


async def test_a_new_connection_replaces_the_old_one(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as old, client(env) as new:
        with pytest.raises(ConnectionClosed) as closed:
            await old.recv()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "replaced by a new connection")
        await asyncio.sleep(0.05)  # the old session's cleanup ran; the charger is still connected
        assert state(env) is ConnectionState.CONNECTED and env.registry.is_connected("CP-1")
        assert (await new.call(call.Heartbeat())).current_time
    await eventually(lambda: state(env) is ConnectionState.DISCONNECTED)


async def test_a_silent_charger_is_closed_and_marked_disconnected(env: Env) -> None:
    await env.charger()
    await env.start(charger_idle_timeout_seconds=0.3)
    async with raw_socket(env) as ws:
        await ws.send('[2, "h1", "Heartbeat", {}]')  # a frame resets the clock
        await ws.recv()
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    await eventually(lambda: state(env) is ConnectionState.DISCONNECTED)


async def test_a_charger_sending_frames_more_often_than_the_idle_timeout_stays_connected(env: Env) -> None:
    await env.charger()
    await env.start(charger_idle_timeout_seconds=0.4)
    async with raw_socket(env) as ws:
        for number in range(8):  # 1.2 s in all, three idle timeouts' worth, never 0.4 s silent
            await ws.send(f'[2, "h{number}", "Heartbeat", {{}}]')
            await ws.recv()
            await asyncio.sleep(0.15)
        assert state(env) is ConnectionState.CONNECTED
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert 0.2 <= time.monotonic() - started < 2  # closed once silent for the timeout (0.4 s minus the 0.15 slept)


async def test_stop_closes_chargers_with_1001_and_records_it(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        await env.servers[-1].stop()
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert state(env) is ConnectionState.DISCONNECTED  # recorded before stop() returned


async def test_the_registry_closes_one_charger_for_handover(env: Env) -> None:
    await env.charger()
    await env.charger("CP-2")
    async with raw_socket(env) as one, raw_socket(env, "CP-2"):
        assert env.registry.connected() == ["CP-1", "CP-2"]
        assert await env.registry.close("CP-1", 1012, "moved")
        with pytest.raises(ConnectionClosed):
            await one.recv()
        await eventually(lambda: env.registry.connected() == ["CP-2"])
    assert not await env.registry.close("CP-1")


async def test_a_connection_the_database_cannot_record_is_closed(env: Env) -> None:
    await env.charger()
    env.power.on = False
    async with raw_socket(env) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert not env.registry.is_connected("CP-1")


async def test_any_request_keeps_last_seen_current_when_heartbeats_are_skipped(env: Env) -> None:
    charger = await env.charger()
    await env.start(heartbeat_interval_seconds=0)  # every frame is past the interval
    async with client(env) as cp:
        env.row("chargers", charger.id).last_seen_at = None
        await cp.call(call.Authorize(id_tag="TAG"))
        assert env.charger_row().last_seen_at is not None


async def test_an_unsolicited_answer_is_logged_and_ignored(env: Env) -> None:
    await env.charger()
    async with raw_socket(env) as ws:
        await ws.send('[3, "nobody-asked", {"status": "Accepted"}]')
        await ws.send('[4, "nor-this", "GenericError", "", {}]')
        await ws.send('[2, "h1", "Heartbeat", {}]')
        assert (await ws.recv()).startswith('[3,"h1"')  # the next frame we get is the heartbeat's answer
    kinds = [(e.unique_id, e.message_type.value) for e in env.entries()]
    assert kinds[:2] == [("nobody-asked", "CALL_RESULT"), ("nor-this", "CALL_ERROR")]
