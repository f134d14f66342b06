"""Frame-to-subscriber latency of the ocppLogs subscription while chargers send frames at a fixed total rate.

    python -m benchmarks.ocpplogs_latency --ocpp-port 9000 --api-url http://127.0.0.1:8000 --api-key KEY

N chargers (default 100) send DataTransfer CALLs at --rate CALLs/s in total (default 1,000), each carrying
its send time (CLOCK_MONOTONIC, ns) in `data`. A graphql-transport-ws subscriber watches one charger's
ocppLogs; for each of that charger's CALLs it sees, latency = arrival at the subscriber - send time. Sender
and subscriber are in this one process, so the clocks are the same clock. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from array import array
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from benchmarks._ocpp import CHARGE_POINT_PREFIX, Messages, charge_point_id
from benchmarks._stats import cpu_percent, percentiles, sample, wait_percent
from benchmarks._wire import OcppClient, Refused
from benchmarks.loadgen import raise_open_files_limit, run_loop

SUBSCRIPTION = """subscription($c: ID!) {
  ocppLogs(chargerId: $c) { direction messageType uniqueId action payload }
}"""


async def find_charger(api_url: str, key: str, cpid: str) -> str:
    """The charger's ID, paging through `chargers` (the API has no lookup by chargePointId)."""
    query = "query($a: String) { chargers(first: 500, after: $a) { edges { node { id chargePointId } } pageInfo { hasNextPage endCursor } } }"  # noqa: E501
    after = None
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        while True:
            body = (await client.post("/graphql", json={"query": query, "variables": {"a": after}})).json()
            page = body["data"]["chargers"]
            for edge in page["edges"]:
                if edge["node"]["chargePointId"] == cpid:
                    return str(edge["node"]["id"])
            if not page["pageInfo"]["hasNextPage"]:
                raise SystemExit(f"no charger {cpid} in this tenant")
            after = page["pageInfo"]["endCursor"]


class Subscriber:
    def __init__(self, window: tuple[float, float]) -> None:
        self.window = window
        self.latencies: array[float] = array("d")
        self.calls_seen = 0
        self.in_window = 0
        self.frames_seen = 0
        self.errors: list[Any] = []
        self.ready = asyncio.Event()

    async def run(self, url: str, key: str, charger_id: str) -> None:
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=2**22) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
            ack = json.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise SystemExit(f"the API refused the subscription: {ack}")
            payload = {"query": SUBSCRIPTION, "variables": {"c": charger_id}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready.set()
            async for raw in ws:
                arrived = time.monotonic_ns()
                message = orjson.loads(raw)
                if message.get("type") != "next":
                    self.errors.append(message)
                    continue
                if message["payload"].get("errors"):
                    self.errors.append(message["payload"]["errors"])
                    continue
                self._entry(message["payload"]["data"]["ocppLogs"], arrived)

    def _entry(self, entry: dict[str, Any], arrived_ns: int) -> None:
        self.frames_seen += 1
        if entry["messageType"] != "CALL" or entry["action"] != "DataTransfer":
            return
        data = (entry.get("payload") or {}).get("data")
        if not isinstance(data, str) or not data.isdigit():
            return
        self.calls_seen += 1
        sent_ns = int(data)
        if self.window[0] <= sent_ns / 1e9 < self.window[1]:  # sent inside the window, however late it arrives
            self.latencies.append((arrived_ns - sent_ns) / 1e9)
            self.in_window += 1


async def send_frames(client: OcppClient, messages: Messages, start: float, interval: float, end: float) -> int:
    """DataTransfer every `interval` seconds from `start` until `end`; how many were answered."""
    answered, due = 0, start
    while due < end and not client.closed:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            await client.call(*messages.data_transfer(str(time.monotonic_ns())))
            answered += 1
        except Exception:
            pass
        due += interval
    return answered


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    watched_cpid = charge_point_id(args.watch, args.prefix)
    charger_id = args.charger_id or await find_charger(args.api_url, args.api_key, watched_cpid)
    clients: list[tuple[OcppClient, Messages]] = []
    refused = 0
    for i in range(args.chargers):
        path = "/ocpp/" + charge_point_id(args.first + i, args.prefix)
        try:
            client = await OcppClient.open(args.ocpp_host, args.ocpp_port, path, args.ocpp)
        except Refused:
            refused += 1
            continue
        messages = Messages(args.ocpp, args.first + i)
        await client.call(*messages.boot())
        clients.append((client, messages))
    start = time.monotonic() + 1.0
    window = (start + args.warmup, start + args.warmup + args.duration)
    subscriber = Subscriber(window)
    api_ws = args.api_url.replace("http://", "ws://", 1) + "/graphql"
    listening = asyncio.create_task(subscriber.run(api_ws, args.api_key, charger_id))
    await asyncio.wait_for(subscriber.ready.wait(), 30)
    interval = len(clients) / args.rate
    end = window[1]
    before, sampled_from = (sample(args.server_pid) if args.server_pid else None), time.monotonic()
    senders = [
        asyncio.create_task(send_frames(client, messages, start + interval * i / len(clients), interval, end))
        for i, (client, messages) in enumerate(clients)
    ]
    answered = await asyncio.gather(*senders)
    after, sampled_for = (sample(args.server_pid) if args.server_pid else None), time.monotonic() - sampled_from
    watched_answered = next(
        (n for n, (_, messages) in zip(answered, clients, strict=True) if messages.index == args.watch), 0
    )
    drain_until = time.monotonic() + args.drain
    # The last frames are still on their way to the subscriber: polling a counter, there is no event to await.
    while subscriber.calls_seen < watched_answered and time.monotonic() < drain_until:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    listening.cancel()
    for client, _ in clients:
        client.close()
    sent_seconds = end - start
    figures: dict[str, Any] = {
        "scenario": "ocpplogs",
        "ocpp": args.ocpp,
        "chargers": args.chargers,
        "connected": len(clients),
        "refused": refused,
        "rate_target": args.rate,
        "calls_per_s": round(sum(answered) / sent_seconds, 1),
        "logged_frames_per_s": round(2 * sum(answered) / sent_seconds, 1),
        "watched": watched_cpid,
        "watched_calls_answered": watched_answered,
        "watched_calls_seen": subscriber.calls_seen,
        "watched_frames_seen": subscriber.frames_seen,
        "latency_ms": percentiles(subscriber.latencies),
        "samples": len(subscriber.latencies),
        "subscription_errors": subscriber.errors[:5],
    }
    if args.server_pid:
        figures["server"] = {
            "cpu_pct": cpu_percent(before, after, sampled_for),
            "runqueue_wait_pct": wait_percent(before, after, sampled_for),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ocpp-host", default="127.0.0.1")
    parser.add_argument("--ocpp-port", type=int, default=9000)
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", required=True, help="a key of the chargers' tenant")
    parser.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--first", type=int, default=0, help="index of the first charger")
    parser.add_argument("--prefix", default=CHARGE_POINT_PREFIX)
    parser.add_argument("--watch", type=int, default=0, help="index of the charger the subscriber watches")
    parser.add_argument("--charger-id", help="its ID, when known (saves looking it up)")
    parser.add_argument("--rate", type=float, default=1000.0, help="DataTransfer CALLs/s across all chargers")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for the last frames")
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()
    if args.ocpp_host not in ("127.0.0.1", "localhost", "::1") or not args.api_url.startswith(
        ("http://127.0.0.1", "http://localhost")
    ):
        raise SystemExit("this benchmark only targets the loopback interface")
    if not 1 <= args.chargers <= 10_000 or not 0 < args.rate <= 100_000 or not 0 < args.duration <= 600:
        raise SystemExit("chargers 1..10000, rate 0..100000/s, duration 0..600 s")
    args.watch = max(args.first, min(args.watch, args.first + args.chargers - 1))
    raise_open_files_limit()
    figures = run_loop(measure(args), use_uvloop=True)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
