"""A subscriber that stops reading must cost the charger nothing and the server a bounded amount.

How it goes (api/streams.py, infra/pubsub/_fanout.py): each subscription has a bounded queue
(subscription_queue_size, 1000 events). The websocket write waits for the socket to drain, so a client that
stops reading stops its subscription's generator; the queue then fills, and on overflow the bus drops the
backlog and ends the subscription, which reaches the client as an UNAVAILABLE "too slow" error once it reads
again. Publishing never waits on a subscriber, so the charger's round trips do not change.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from autocharge.main import Autocharge
from domain.events import SUBSCRIBER_TOO_SLOW as TOO_SLOW
from domain.events import logs_topic
from tests.api.wsclient import PROTOCOL, GraphQLWs
from tests.e2e.harness import TenantAccess, ocpp_charge_point, subscribed

LOGS = "subscription($c: ID!) { ocppLogs(chargerId: $c) { direction messageType action payload } }"
BEFORE = 50  # DataTransfers before anyone subscribes
# About 32 KB of base64 noise, like a diagnostics dump: incompressible, so the socket buffers fill at once.
BLOB = base64.b64encode(os.urandom(24_000)).decode()


def enough_to_overflow(server: Autocharge) -> int:
    """DataTransfers that make more frames than the kernel's socket buffers and the subscription's queue hold."""
    try:  # the most the kernel buffers for the server's socket (Linux); 4 MiB elsewhere
        socket_buffer = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        socket_buffer = 4 * 1024 * 1024
    # Two frames per DataTransfer: its CALL (BLOB and a little more) and a small CALL_RESULT.
    frames = server.settings.subscription_queue_size + 2 * socket_buffer // len(BLOB)
    return int(frames * 1.2) // 2


@asynccontextmanager
async def stalled_subscriber(server: Autocharge, key: str) -> AsyncIterator[GraphQLWs]:
    """A graphql-transport-ws client that reads nothing until the test says so."""
    # A small receive buffer and no compression: what the server sent and the client has not read piles up
    # on the server's side, as it would behind a stalled mobile client.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (server.settings.host, server.api_port))
    url = f"ws://{server.settings.host}:{server.api_port}/graphql"
    async with connect(url, subprotocols=[Subprotocol(PROTOCOL)], sock=sock, compression=None, max_queue=4) as conn:
        await conn.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        ws = GraphQLWs(conn)
        assert (await ws.receive())["type"] == "connection_ack"
        yield ws


async def round_trip(charge_point: Any, number: int) -> float:
    started = time.perf_counter()
    await charge_point.call(call.DataTransfer(vendor_id="com.example", message_id=str(number), data=BLOB))
    return time.perf_counter() - started


async def round_trips(watched: Any, quiet: Any, first: int, count: int) -> tuple[list[float], list[float]]:
    """Seconds per DataTransfer (numbered by messageId) of the watched charger, and of the quiet one every other."""
    # Taking turns, both chargers see the same load on this machine: their times compare.
    times: tuple[list[float], list[float]] = ([], [])
    for number in range(first, first + count):
        times[0].append(await round_trip(watched, number))
        if number % 2:
            times[1].append(await round_trip(quiet, number))
    return times


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95(values) * 1000:.2f} ms"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def test_a_subscriber_that_stops_reading_is_cut_off_as_too_slow_without_slowing_the_charger(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    await acme.admin.register_charger("CP-2")  # nobody subscribes to its logs: the control
    async with ocpp_charge_point(server, "CP-1") as watched, ocpp_charge_point(server, "CP-2") as quiet:
        before, quiet_before = await round_trips(watched, quiet, 0, BEFORE)
        await server.journal.flush()  # the frames above are published before anyone subscribes
        async with stalled_subscriber(server, acme.read_only.key) as ws:
            op = await ws.subscribe(LOGS, {"c": charger_id})
            await subscribed(server, acme.tenant, logs_topic(UUID(charger_id)))

            during, quiet_during = await round_trips(watched, quiet, BEFORE, count := enough_to_overflow(server))
            async with asyncio.timeout(5):
                await server.journal.flush()  # every frame is written and published: none waits in the server

            received: list[dict[str, Any]] = []
            while (message := await ws.receive())["type"] == "next" and "errors" not in message["payload"]:
                received.append(message["payload"]["data"]["ocppLogs"])
            assert await ws.receive() == {"id": op, "type": "complete"}
    print(  # the figures for the record (pytest -s)
        f"\n{count} DataTransfers ({2 * count} frames) of {len(BLOB)} bytes watched; delivered {len(received)}"
        f"\nwatched charger, before the subscriber: {ms(before)}"
        f"\nwatched charger, with it stalled:      {ms(during)}, max {max(during) * 1000:.1f} ms"
        f"\nquiet charger, meanwhile:              {ms(quiet_during)}, max {max(quiet_during) * 1000:.1f} ms"
        f" (before: {ms(quiet_before)})"
    )

    # The subscription ended with a reason, not silently, and the server holds nothing for it any more.
    assert message["id"] == op
    [error] = message["payload"]["errors"]
    assert (error["message"], error["extensions"]["code"]) == (TOO_SLOW, "UNAVAILABLE")
    assert server.bus.subscribers(acme.tenant.id, logs_topic(UUID(charger_id))) == 0
    # What it did receive is an unbroken prefix of the wire, in order: the rest was dropped, not kept.
    assert 0 < len(received) < 2 * count
    sent = [
        step
        for number in range(BEFORE, BEFORE + count)
        for step in [("FROM_CHARGER", "CALL", str(number)), ("TO_CHARGER", "CALL_RESULT", None)]
    ]
    assert [(log["direction"], log["messageType"], log["payload"].get("messageId")) for log in received] == sent[
        : len(received)
    ]
    # And the charger did not notice: it fares like the charger nobody watches, under the same load, and no
    # round trip waited (one held up by a subscriber would wait for its whole response timeout).
    assert statistics.median(during) < 1.5 * statistics.median(quiet_during) + 0.002
    assert max(during) < 2.0
