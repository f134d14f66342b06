"""Websocket hygiene on the running server, over real sockets: handshakes that never finish, binary and oversized
frames, peers that stop answering pings, and a charger flooding CALLs next to a well-behaved one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, eventually, ocpp_charge_point, raw_connection, running, tenant_access
from tests.e2e.harness import test_settings as settings_for

HEARTBEAT = [2, "hb-1", "Heartbeat", {}]


@asynccontextmanager
async def serving(database_url: str, **settings: Any) -> AsyncIterator[tuple[Autocharge, TenantAccess]]:
    async with running(settings_for(database_url, **settings)) as server:
        yield server, await tenant_access(server, "Acme Fleet")


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent before it closed the TCP connection; fails if it is still open after `seconds`."""
    async with asyncio.timeout(seconds):
        return await reader.read()  # b"" or whatever came before EOF


async def until_closed(ws: Any) -> tuple[list[Any], int]:
    """Every frame the server sends until it closes the websocket (parsed), and its close code."""
    received: list[Any] = []
    async with asyncio.timeout(10):
        try:
            while True:
                received.append(json.loads(await ws.recv()))
        except ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd is not None else -1  # -1: dropped without a close


async def close_code(ws: Any) -> int:
    """Wait for the server to close the websocket; its close code."""
    _, code = await until_closed(ws)
    return code


async def test_a_tcp_connection_that_never_sends_the_upgrade_is_closed_after_the_handshake_timeout(
    database_url: str,
) -> None:
    async with serving(database_url, ocpp_handshake_timeout_seconds=0.5) as (server, _):
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", server.ocpp_port)
        # A slow client: half a request line, then nothing (the slowloris pattern).
        slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", server.ocpp_port)
        slow_writer.write(b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: x\r\n")
        await slow_writer.drain()
        started = asyncio.get_running_loop().time()

        assert await closed_within(idle_reader, 5) == b""
        assert await closed_within(slow_reader, 5) == b""
        took = asyncio.get_running_loop().time() - started
        for writer in (idle_writer, slow_writer):
            writer.close()

    print(f"\nconnections without a finished upgrade closed after {took:.2f} s (handshake timeout 0.5 s)")
    assert took < 3


async def test_a_binary_frame_closes_the_connection_with_1003(server: Autocharge, acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")

    async with raw_connection(server, "CP-1") as ws:
        await ws.send(json.dumps(HEARTBEAT).encode())  # the right message, as a binary frame

        assert await close_code(ws) == 1003


async def test_a_frame_over_one_mebibyte_closes_with_1009_and_one_below_is_answered(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    assert server.settings.ocpp_max_frame_bytes == 1024 * 1024

    def data_transfer(unique_id: str, size: int) -> str:
        frame = json.dumps([2, unique_id, "DataTransfer", {"vendorId": "ACME", "data": ""}])
        return frame.replace('"data": ""', '"data": "' + "x" * (size - len(frame)) + '"')

    async with raw_connection(server, "CP-1") as ws:
        big = data_transfer("big", 900 * 1024)  # well over the old 64 KiB limit
        await ws.send(big)
        answer = json.loads(await ws.recv())
        assert answer[:2] == [3, "big"]

        await ws.send(data_transfer("huge", 1024 * 1024 + 1))
        assert await close_code(ws) == 1009


async def test_a_peer_that_stops_answering_pings_is_closed_and_marked_disconnected(database_url: str) -> None:
    async with serving(database_url, ocpp_ping_interval_seconds=0.2, ocpp_ping_timeout_seconds=0.3) as (server, acme):
        charger_id = await acme.admin.register_charger("CP-1")

        async def state() -> str:
            data = await acme.read_only("query($c: ID!) { charger(id: $c) { connectionState } }", c=charger_id)
            return str(data["charger"]["connectionState"])

        async with raw_connection(server, "CP-1") as ws:
            await ws.send(json.dumps(HEARTBEAT))
            assert json.loads(await ws.recv())[:2] == [3, "hb-1"]
            await asyncio.sleep(0.5)  # a few pings answered: a live peer stays connected
            assert await state() == "CONNECTED"

            ws.transport.pause_reading()  # the peer's end goes silent: pings are no longer read, nor answered
            started = asyncio.get_running_loop().time()

            async def disconnected() -> bool:
                return await state() == "DISCONNECTED"

            await eventually(disconnected, within=5)
            took = asyncio.get_running_loop().time() - started
            ws.transport.resume_reading()

    print(f"\nsilent peer marked disconnected after {took:.2f} s (ping every 0.2 s, timeout 0.3 s)")


async def test_a_charger_flooding_calls_gets_callerrors_then_is_closed_while_another_is_still_answered(
    database_url: str,
) -> None:
    limits = {"ocpp_call_rate_per_second": 5, "ocpp_call_burst": 5, "ocpp_call_flood_close_after": 30}
    async with serving(database_url, **limits) as (server, acme):
        await acme.admin.register_charger("CP-FLOOD")
        await acme.admin.register_charger("CP-CALM")

        async with (
            raw_connection(server, "CP-FLOOD") as flood,
            ocpp_charge_point(server, "CP-CALM") as calm,
        ):
            for n in range(200):  # without waiting for answers, as no OCPP-J client should
                await flood.send(json.dumps([2, f"f-{n}", "Heartbeat", {}]))
            heartbeat = await asyncio.wait_for(calm.call(call.Heartbeat()), timeout=5)
            answers, code = await until_closed(flood)

    results = [a for a in answers if a[0] == 3]
    errors = [a for a in answers if a[0] == 4]
    print(f"\nflooding charger: {len(results)} answered, {len(errors)} CALLERRORs, then closed")
    assert heartbeat.current_time  # the calm charger's Heartbeat was answered during the flood
    assert 5 <= len(results) < 20  # the burst, plus what the rate refilled meanwhile
    assert errors, "no CALLERROR before the close"
    assert {tuple(e[2:4]) for e in errors} == {
        ("GenericError", "Rate limit exceeded: at most 5 CALLs a second (bursts of 5); slow down")
    }
    assert code == 1008
    assert server.metrics.get_sample_value("ocpp_throttled_calls_total", {"outcome": "closed"}) == 1


def test_the_settings_reject_a_limit_the_limits_library_cannot_read(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from autocharge.settings import Settings

    with pytest.raises(ValidationError, match="is not a rate limit"):
        Settings(auth_failure_limit_per_address="plenty")
