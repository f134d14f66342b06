"""Latency of the contract's per-vehicle queries on a seeded database (benchmarks/seed.py), as JSON.

    python -m benchmarks.vehicle_queries                          # starts `autocharge serve` on autocharge_bench_seed
    python -m benchmarks.vehicle_queries --api-url http://127.0.0.1:8000 --api-key KEY --database ...

For random vehicles of the seeded tenant, one request at a time (or --concurrency), over a kept-alive
HTTP connection: `Vehicle.transactions(first: 50)` (with totalCount and each session's charger), the same
within a 90-day window, `Vehicle.chargingSummary` over all time and over a 30-day window. Reports p50/p95/p99
per query. Without --api-url it starts the server itself pinned to --server-cpu and pins itself to
--client-cpu, with a read-only key it creates. With the server's process known (started here, or
--server-pid), each query also reports the server's CPU per request and how long it waited for a CPU
(`server_runqueue_wait_pct`): a busy machine shows there first, while CPU per request moves much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks import _seeding
from benchmarks._servers import AutochargeServer
from benchmarks._stats import percentiles, sample, wait_percent

_TRANSACTION_FIELDS = (
    "totalCount pageInfo { hasNextPage endCursor } edges { cursor node {"
    " id startedAt stoppedAt energyWh origin status idTag connectorId charger { chargePointId } } }"
)
_SUMMARY_FIELDS = "sessions autochargeSessions energyWh chargingSeconds"
_WINDOW = "$from: DateTime, $to: DateTime"
QUERIES = {
    "transactions_first_50": (
        f"query($v: ID!) {{ vehicle(id: $v) {{ transactions(first: 50) {{ {_TRANSACTION_FIELDS} }} }} }}"
    ),
    "transactions_first_50_last_90_days": (
        f"query($v: ID!, {_WINDOW}) {{ vehicle(id: $v) {{"
        f" transactions(first: 50, from: $from, to: $to) {{ {_TRANSACTION_FIELDS} }} }} }}"
    ),
    "charging_summary": f"query($v: ID!) {{ vehicle(id: $v) {{ chargingSummary {{ {_SUMMARY_FIELDS} }} }} }}",
    "charging_summary_last_30_days": (
        f"query($v: ID!, {_WINDOW}) {{ vehicle(id: $v) {{"
        f" chargingSummary(from: $from, to: $to) {{ {_SUMMARY_FIELDS} }} }} }}"
    ),
}
WINDOWS = {
    "transactions_first_50_last_90_days": timedelta(days=90),
    "charging_summary_last_30_days": timedelta(days=30),
}


async def sample_vehicles(url: str, count: int) -> list[str]:
    connection = await asyncpg.connect(_seeding.asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT id FROM vehicles ORDER BY random() LIMIT $1", count)
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


async def tenant_slug(url: str) -> str:
    connection = await asyncpg.connect(_seeding.asyncpg_dsn(url))
    try:
        slug = await connection.fetchval("SELECT slug FROM tenants ORDER BY created_at LIMIT 1")
    finally:
        await connection.close()
    if slug is None:
        raise SystemExit("the database has no tenant: seed it first (python -m benchmarks.seed)")
    return str(slug)


class QueryRun:
    """One query over many vehicles: latencies of the answers that carried the vehicle, errors otherwise."""

    def __init__(
        self, client: httpx.AsyncClient, query: str, variables: dict[str, str], server_pid: int | None = None
    ) -> None:
        self.client, self.query, self.variables, self.server_pid = client, query, variables, server_pid
        self.latencies: list[float] = []
        self.errors: list[Any] = []
        self.edges = 0

    async def one(self, vehicle: str, record: bool = True) -> None:
        began = time.perf_counter()
        body = {"query": self.query, "variables": {"v": vehicle, **self.variables}}
        response = await self.client.post("/graphql", json=body)
        elapsed = time.perf_counter() - began
        answer = response.json()
        if response.status_code != 200 or answer.get("errors") or not (answer.get("data") or {}).get("vehicle"):
            self.errors.append(answer.get("errors") or response.status_code)
            return
        if record:
            self.latencies.append(elapsed)
            connection = answer["data"]["vehicle"].get("transactions")
            self.edges += len(connection["edges"]) if connection else 0

    async def run(self, vehicles: list[str], samples: int, concurrency: int) -> dict[str, Any]:
        for vehicle in vehicles[:10]:  # warm the connection pools and the statement caches
            await self.one(vehicle, record=False)
        gate = asyncio.Semaphore(concurrency)

        async def gated(vehicle: str) -> None:
            async with gate:
                await self.one(vehicle)

        before = sample(self.server_pid) if self.server_pid else None
        began = time.perf_counter()
        await asyncio.gather(*(gated(random.choice(vehicles)) for _ in range(samples)))
        elapsed = time.perf_counter() - began
        after = sample(self.server_pid) if self.server_pid else None
        n = len(self.latencies)
        cpu = after.cpu_seconds - before.cpu_seconds if before and after else None
        return {
            "requests": n,
            "per_s": round(n / elapsed, 1),
            "latency_ms": percentiles(self.latencies),
            "server_cpu_ms_per_request": round(cpu / samples * 1000, 2) if cpu is not None else None,
            "server_runqueue_wait_pct": wait_percent(before, after, elapsed),
            "avg_edges": round(self.edges / n, 1) if n and self.edges else None,
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else None,
        }


async def measure(
    api_url: str, key: str, vehicles: list[str], samples: int, concurrency: int, server_pid: int | None
) -> dict[str, Any]:
    now = datetime.now(UTC)
    limits = httpx.Limits(max_keepalive_connections=concurrency, max_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    figures: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, limits=limits, timeout=60) as client:
        for name, query in QUERIES.items():
            window = WINDOWS.get(name)
            variables = {"from": (now - window).isoformat(), "to": now.isoformat()} if window else {}
            run = QueryRun(client, query, variables, server_pid)
            figures[name] = await run.run(vehicles, samples, concurrency)
    return figures


async def counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(_seeding.asyncpg_dsn(url))
    try:
        return {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("chargers", "users", "vehicles", "transactions")
        }
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="autocharge_bench_seed")
    parser.add_argument("--database-server-url", default=_seeding.DEFAULT_SERVER_URL)
    parser.add_argument("--api-url", help="a running server on that database (else one is started)")
    parser.add_argument("--api-key", help="a key of the seeded tenant (needed with --api-url)")
    parser.add_argument("--server-pid", type=int, help="the running server's process, for its CPU figures")
    parser.add_argument("--samples", type=int, default=300, help="requests per query")
    parser.add_argument("--vehicles", type=int, default=2000, help="random vehicles to draw from")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    args = parser.parse_args()
    if args.api_url and not args.api_key:
        parser.error("--api-url needs --api-key")
    if not 1 <= args.samples <= 100_000 or not 1 <= args.concurrency <= 256:
        parser.error("samples 1..100000, concurrency 1..256")
    url = _seeding.database_url(args.database_server_url, args.database)
    server = None
    api_url, key, server_pid = args.api_url, args.api_key, args.server_pid
    if api_url is None:
        slug = asyncio.run(tenant_slug(url))
        key = json.loads(
            _seeding.autocharge(
                "apikey", "create", "--tenant", slug, "--role", "read_only", "--json", "--database-url", url
            )
        )["key"]
        # One key asks as fast as it is answered: the API's per-key rate limit would measure itself, not the queries.
        server = AutochargeServer(
            url,
            Path(f"/tmp/autocharge-vehicle-queries-{os.getpid()}.log"),
            args.server_cpu,
            api_rate_limit="1000000/second",
        )
        server.start()
        api_url, server_pid = server.api_url, server.pid
        if args.client_cpu and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {int(cpu) for cpu in args.client_cpu.split(",")})
    try:
        vehicles = asyncio.run(sample_vehicles(url, args.vehicles))
        result = {
            "database": args.database,
            "rows": asyncio.run(counts(url)),
            "samples": args.samples,
            "concurrency": args.concurrency,
            "queries": asyncio.run(measure(api_url, key, vehicles, args.samples, args.concurrency, server_pid)),
        }
    finally:
        if server is not None:
            server.stop()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
