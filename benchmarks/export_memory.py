"""Does GET /exports/users.csv keep the server's memory flat as the rows grow? Measures it, prints JSON.

    .venv/bin/python benchmarks/export_memory.py                      # SQLite, in a temporary folder
    .venv/bin/python benchmarks/export_memory.py --database-url postgresql+asyncpg://postgres@127.0.0.1/bench

For each size (1,000 then 100,000 users by default) it seeds a tenant with that many users (bulk inserts,
one user in ten with an RFID tag), runs `autocharge serve` in a child process, streams the tenant's
users.csv once to warm up, then again while sampling the child's /proc/PID/status. It reports the peak
resident memory (VmHWM, reset before each export through /proc/PID/clear_refs, and the highest VmRSS
sampled) above the resident memory just before the export. Linux only. A PostgreSQL database is
migrated and keeps the rows written: give it a throwaway one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from domain.commands import CreateApiKey, CreateTenant
from domain.ids import new_id
from domain.model import ApiRole, RfidTag, User
from domain.services.api_keys import create_key
from domain.services.tenants import create_tenant
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.mapping import to_values
from infra.db.migrate import upgrade_database
from infra.db.tables import rfid_tags, users

BATCH = 5_000
SAMPLE_SECONDS = 0.005
AUTOCHARGE = Path(sys.executable).with_name("autocharge")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- seeding ---


async def seed_tenant(url: str, rows: int) -> str:
    """A new tenant with `rows` users; returns a READ_ONLY key of it (exports need no more)."""
    database = Database(url)
    try:
        directory = SqlDirectory(database.session_factory)
        tenant = await create_tenant(directory, CreateTenant(f"Export bench {rows} {new_id().hex[-6:]}"))
        _, key = await create_key(directory, CreateApiKey(tenant.id, ApiRole.READ_ONLY))
        now = datetime.now(UTC)
        started = time.perf_counter()
        for first in range(0, rows, BATCH):
            people = [
                User(
                    id=new_id(),
                    tenant_id=tenant.id,
                    email=f"driver{n}@bench.example",
                    name=f"Driver {n}",
                    created_at=now,
                )
                for n in range(first, min(first + BATCH, rows))
            ]
            tags = [
                RfidTag(id=new_id(), tenant_id=tenant.id, user_id=user.id, id_tag=f"TAG{first + i:08X}", created_at=now)
                for i, user in enumerate(people)
                if (first + i) % 10 == 0
            ]
            async with database.engine.begin() as connection:
                await connection.execute(insert(users), [to_values(user) for user in people])
                await connection.execute(insert(rfid_tags), [to_values(tag) for tag in tags])
            progress(f"  seeded {first + len(people):>7,} / {rows:,} users ({time.perf_counter() - started:.1f} s)")
        return key
    finally:
        await database.dispose()


# --- the server in a child process ---


class Server:
    """`autocharge serve` on ephemeral ports; its JSON log line autocharge_started tells where it listens."""

    def __init__(self, url: str) -> None:
        env = os.environ | {"AUTOCHARGE_LOG_FORMAT": "json", "AUTOCHARGE_LOG_LEVEL": "INFO"}
        command = [str(AUTOCHARGE), "serve", "--api-port", "0", "--ocpp-port", "0", "--database-url", url]
        self.process = subprocess.Popen(
            [*command, "--no-migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.api_url = self._wait_for_start()
        # Keep reading its logs, so a full pipe never blocks it.
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for_start(self) -> str:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if '"autocharge_started"' in line:
                return str(json.loads(line)["api"])
        raise SystemExit(f"autocharge serve exited with {self.process.wait()} before it started")

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- measuring ---


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass
class Export:
    rows: int
    bytes: int
    seconds: float
    rss_before_kib: int
    peak_rss_kib: int
    peak_rss_growth_kib: int


def measure_export(server: Server, key: str) -> Export:
    pid = server.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS (Linux >= 4.0)
    before = status_kib(pid, "VmRSS")
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, status_kib(pid, "VmRSS"))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    size = lines = 0
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.stream("GET", f"{server.api_url}/exports/users.csv", headers=headers, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    peak = max(peak, status_kib(pid, "VmHWM"))
    return Export(lines - 1, size, round(seconds, 3), before, peak, peak - before)


# --- the run ---


def run(url: str, sizes: list[int]) -> dict[str, Any]:
    progress(f"migrating {url}")
    asyncio.run(upgrade_database(url))
    keys = {}
    for rows in sizes:
        progress(f"seeding a tenant with {rows:,} users")
        keys[rows] = asyncio.run(seed_tenant(url, rows))
    progress("starting autocharge serve")
    server = Server(url)
    try:
        progress("warming up with one export of the smallest tenant")
        measure_export(server, keys[min(sizes)])
        exports = []
        for rows in sizes:
            progress(f"exporting {rows:,} users")
            exports.append(measure_export(server, keys[rows]))
            progress(f"  {asdict(exports[-1])}")
    finally:
        server.stop()
    small, large = exports[0], exports[-1]
    return {
        "database": url.split(":", 1)[0],
        "server_pid_rss_kib_at_start": exports[0].rss_before_kib,
        "exports": [asdict(export) for export in exports],
        "rows_ratio": round(large.rows / max(small.rows, 1), 1),
        "peak_growth_ratio": round(large.peak_rss_growth_kib / max(small.peak_rss_growth_kib, 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="a throwaway postgresql+asyncpg:// database (default: a new SQLite file)"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000], help="users per export")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("reads /proc: Linux only")
    if args.database_url:
        print(json.dumps(run(args.database_url, args.sizes), indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        print(json.dumps(run(f"sqlite+aiosqlite:///{folder}/bench.db", args.sizes), indent=2))


if __name__ == "__main__":
    main()
