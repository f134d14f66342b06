"""OCPP Heartbeat latency while API clients send the costliest query the limits allow (issue 10, part 4).

    python -m benchmarks.api_abuse [--duration 10] [--chargers 20] [--clients 2] [--unlimited]

Makes a throwaway PostgreSQL database (127.0.0.1:5432) with one tenant and --chargers chargers, runs
`autocharge serve` on loopback ports with its default limits, connects the chargers, and has each send a
Heartbeat every --interval seconds throughout. Three phases of --duration seconds each:

- idle: Heartbeats only;
- max_cost: --clients clients each sending, in a loop, the costliest query the default cost limit allows
  (49 aliases of `chargers(first: 50) { edges { node { id chargePointId } } }`: 49 x 201 = 9,849 <= 10,000);
- abusive: the same clients sending issue 10's query (500 aliases of that page), which is refused.

With --unlimited, a fourth phase runs the abusive query against a server whose limits are lifted (the state
before the limits existed), so the figures show what the limits buy. With --split, the same phases run against
a cluster of two processes joined by Redis (--redis-url): `serve --role ocpp` answers the chargers and
`serve --role api` the API clients. Prints JSON: per phase, Heartbeat latency percentiles (ms), API answers/s
and their latency, and each server process's CPU and peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks._ocpp import Messages, charge_point_id
from benchmarks._seeding import (
    DEFAULT_SERVER_URL,
    create_database,
    create_tenant,
    database_url,
    drop_database,
    migrate,
    seed_fleet,
    throwaway_name,
)
from benchmarks._servers import AutochargeServer
from benchmarks._stats import cpu_percent, percentiles, sample
from benchmarks._wire import OcppClient

PAGE = "chargers(first: 50) { edges { node { id chargePointId } } }"
PAGE_COST = 1 + 50 * 4  # chargers, then per item: edges, node, id, chargePointId
DEFAULT_MAX_COST = 10_000
ABUSIVE_ALIASES = 500
# Lifted limits for --unlimited: what the server allowed before issue 10.
UNLIMITED = {"AUTOCHARGE_GRAPHQL_MAX_COST": str(10**12), "AUTOCHARGE_GRAPHQL_MAX_ALIASES": "100000"}


def aliased(count: int) -> str:
    return "{ " + " ".join(f"c{i}: {PAGE}" for i in range(count)) + " }"


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """AutochargeServer copies os.environ when it is made: these values, for that moment only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Heartbeats:
    """Every charger sends a Heartbeat each `interval` seconds; latencies are kept by phase."""

    def __init__(self, clients: list[OcppClient], interval: float) -> None:
        self.clients = clients
        self.interval = interval
        self.phase = "warmup"
        self.latencies: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}

    async def run(self, until: float) -> None:
        await asyncio.gather(
            *(self._beat(c, i * self.interval / len(self.clients), until) for i, c in enumerate(self.clients))
        )

    async def _beat(self, client: OcppClient, offset: float, until: float) -> None:
        due = time.monotonic() + offset
        while due < until and not client.closed:
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            phase, sent = self.phase, time.monotonic()
            try:
                await asyncio.wait_for(client.call("Heartbeat", {}), 30)
            except Exception:  # timeouts and closes count as failures of this phase
                self.failures[phase] = self.failures.get(phase, 0) + 1
            else:
                self.latencies.setdefault(phase, []).append(time.monotonic() - sent)
            due = max(due + self.interval, time.monotonic())


async def api_load(url: str, key: str, query: str, until: float) -> tuple[list[float], dict[str, int]]:
    """One client sending `query` in a loop until `until`: its latencies, and its answers by outcome."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        while time.monotonic() < until:
            sent = time.monotonic()
            try:
                response = await client.post("/graphql", json={"query": query})
                body = response.json()
                outcome = body["errors"][0]["extensions"]["code"] if body.get("errors") else "ok"
            except (httpx.HTTPError, ValueError) as error:
                outcome = type(error).__name__
            latencies.append(time.monotonic() - sent)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return latencies, outcomes


def api_load_process(url: str, key: str, query: str, until: float) -> tuple[list[float], dict[str, int]]:
    """api_load in a process of its own: decoding the answers must not delay this process's Heartbeats.

    (CLOCK_MONOTONIC is the machine's: `until` means the same moment in every process.)
    """
    return asyncio.run(api_load(url, key, query, until))


def _ready() -> None:
    """Nothing: submitted once so the worker processes have started (and imported) before measuring."""


async def phase(
    name: str,
    beats: Heartbeats,
    servers: dict[str, AutochargeServer],
    key: str,
    query: str | None,
    args: argparse.Namespace,
    workers: ProcessPoolExecutor,
) -> dict[str, Any]:
    """One phase; `servers` by role, the API clients sending to the one that serves the API."""
    beats.phase = name
    before = {role: sample(server.pid) for role, server in servers.items()}
    started = time.monotonic()
    until = started + args.duration
    peak_kib = dict.fromkeys(servers, 0)

    async def watch_memory() -> None:
        while time.monotonic() < until:
            for role, server in servers.items():
                if (now := sample(server.pid)) is not None:
                    peak_kib[role] = max(peak_kib[role], now.rss_kib)
            await asyncio.sleep(0.25)

    api_url = servers["api" if "api" in servers else "all"].api_url
    loop = asyncio.get_running_loop()
    loads = [
        loop.run_in_executor(workers, api_load_process, api_url, key, query, until)
        for _ in range(args.clients if query else 0)
    ]
    results = await asyncio.gather(watch_memory(), *loads)
    took = time.monotonic() - started
    after = {role: sample(server.pid) for role, server in servers.items()}
    api_latencies = [seconds for latencies, _ in results[1:] for seconds in latencies]
    outcomes: dict[str, int] = {}
    for _, counted in results[1:]:
        for outcome, n in counted.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    await asyncio.sleep(0.5)  # Heartbeats sent during the phase are answered (and filed under it) by now
    return {
        "heartbeat_ms": percentiles(beats.latencies.get(name, [])),
        "heartbeats": len(beats.latencies.get(name, [])),
        "heartbeat_failures": beats.failures.get(name, 0),
        "api_answers_per_s": round(len(api_latencies) / took, 2),
        "api_outcomes": outcomes,
        "api_ms": percentiles(api_latencies),
        "servers": {
            role: {
                "cpu_pct": cpu_percent(before[role], after[role], took),
                "peak_rss_mib": round(peak_kib[role] / 1024, 1),
            }
            for role in servers
        },
    }


def start_servers(url: str, log: Path, args: argparse.Namespace, prefix: str) -> dict[str, AutochargeServer]:
    """One `serve` process for everything, or with --split an OCPP process and an API process joined by Redis."""
    if not args.split:
        servers = {"all": AutochargeServer(url, log, args.server_cpu, log_level="WARNING")}
    else:
        with environment({"AUTOCHARGE_REDIS_PREFIX": prefix}):
            servers = {
                role: AutochargeServer(
                    url, log, args.server_cpu, log_level="WARNING", role=role, redis_url=args.redis_url
                )
                for role in ("ocpp", "api")
            }
    for server in servers.values():
        server.start()
    return servers


async def measure(
    url: str, key: str, args: argparse.Namespace, log: Path, phases: list[tuple[str, str | None]], env: dict[str, str]
) -> dict[str, Any]:
    with environment(env):
        servers = start_servers(url, log, args, prefix=log.stem)
    chargers_server = servers["ocpp" if "ocpp" in servers else "all"]
    workers = ProcessPoolExecutor(args.clients, mp_context=multiprocessing.get_context("spawn"))
    try:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(workers, _ready) for _ in range(args.clients)))
        clients = []
        for i in range(args.chargers):
            client = await OcppClient.open("127.0.0.1", chargers_server.ocpp_port, "/ocpp/" + charge_point_id(i), "1.6")
            await client.call(*Messages("1.6", i).boot())
            clients.append(client)
        beats = Heartbeats(clients, args.interval)
        beating = asyncio.create_task(beats.run(time.monotonic() + 1 + len(phases) * (args.duration + 1)))
        await asyncio.sleep(1)  # warm up: connections settled, first queries parsed
        figures = {name: await phase(name, beats, servers, key, query, args, workers) for name, query in phases}
        beating.cancel()
        for client in clients:
            client.close()
        return figures
    finally:
        workers.shutdown(cancel_futures=True)
        for server in servers.values():
            server.stop()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    name = throwaway_name("abuse")
    await create_database(args.server_url, name)
    url = database_url(args.server_url, name)
    try:
        migrate(url)
        tenant = create_tenant(url, "Abuse bench")
        await seed_fleet(url, tenant.id, args.chargers if args.chargers >= 50 else 50, 1)
        costliest = aliased(DEFAULT_MAX_COST // PAGE_COST)
        abusive = aliased(ABUSIVE_ALIASES)
        log = Path(tempfile.gettempdir()) / f"{name}.log"
        phases = [("idle", None), ("max_cost", costliest), ("abusive", abusive)]
        figures: dict[str, Any] = {
            "scenario": "api_abuse",
            "chargers": args.chargers,
            "heartbeats_per_s": round(args.chargers / args.interval, 1),
            "api_clients": args.clients,
            "processes": "ocpp + api (Redis)" if args.split else "one",
            "max_cost_query": {
                "aliases": DEFAULT_MAX_COST // PAGE_COST,
                "cost": DEFAULT_MAX_COST // PAGE_COST * PAGE_COST,
            },
            "abusive_query": {"aliases": ABUSIVE_ALIASES, "cost": ABUSIVE_ALIASES * PAGE_COST},
            "with_limits": await measure(url, tenant.key, args, log, phases, {}),
        }
        if args.unlimited:
            figures["without_limits"] = await measure(url, tenant.key, args, log, [("abusive", abusive)], UNLIMITED)
        figures["server_log"] = str(log)
        return figures
    finally:
        await drop_database(args.server_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL, help="PostgreSQL server (loopback only)")
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between one charger's Heartbeats")
    parser.add_argument("--clients", type=int, default=2, help="API clients sending the query in a loop")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--unlimited", action="store_true", help="also: the abusive query with the limits lifted")
    parser.add_argument("--server-cpu", help="pin the server (both with --split) to this CPU (taskset -c)")
    parser.add_argument("--split", action="store_true", help="an OCPP process and an API process, joined by Redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for --split (loopback only)")
    args = parser.parse_args()
    if "127.0.0.1" not in args.server_url and "localhost" not in args.server_url:
        raise SystemExit("this benchmark only uses a PostgreSQL server on the loopback interface")
    if not 1 <= args.chargers <= 1000 or not 1 <= args.clients <= 16 or not 0 < args.duration <= 120:
        raise SystemExit("--chargers 1..1000, --clients 1..16, --duration up to 120 s")
    if not math.isfinite(args.interval) or args.interval < 0.01:
        raise SystemExit("--interval must be at least 0.01 s")
    json.dump(asyncio.run(main_async(args)), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
