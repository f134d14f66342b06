"""Servers that tests start as real processes: `autocharge serve` nodes, and a PostgreSQL and a Redis of a
test's own, which it may stop, kill and restart without touching the shared ones."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

HOST = "127.0.0.1"
# For tests that send CALLs as fast as they are answered: the per-connection CALL budget is not their subject.
UNLIMITED_CALLS = {"AUTOCHARGE_OCPP_CALL_RATE_PER_SECOND": "100000", "AUTOCHARGE_OCPP_CALL_BURST": "100000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def autocharge_command() -> str:
    """The `autocharge` script of the running interpreter's environment."""
    return str(Path(sys.executable).with_name("autocharge"))


@dataclass
class Node:
    """One `autocharge serve` process. Api() reads api_url, api_port and settings.host off it, as off a server."""

    node_id: str
    api_port: int
    ocpp_port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    settings: Any = field(default_factory=lambda: SimpleNamespace(host=HOST))

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def ocpp(self, cpid: str) -> str:
        return f"ws://{HOST}:{self.ocpp_port}/ocpp/{cpid}"

    async def start(self, env: dict[str, str]) -> None:
        command = [autocharge_command(), "serve", "--no-migrate"]
        ports = ["--host", HOST, "--api-port", str(self.api_port), "--ocpp-port", str(self.ocpp_port)]
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *command, *ports, env={**env, "AUTOCHARGE_NODE_ID": self.node_id}, stdout=out, stderr=out
            )

    async def ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=2) as client, asyncio.timeout(30):
            while True:
                assert self.process is not None and self.process.returncode is None, self.output()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.1)

    async def stop(self, within: float = 10) -> int:
        """SIGTERM, then the exit code; killed (and failed) if it takes longer than `within` seconds."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"{self.node_id} did not exit within {within}s:\n{self.output()}") from None

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class OwnPostgres:
    """A PostgreSQL server of the test's own (initdb, pg_ctl) on a free port, trust auth, user postgres."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin): install postgresql")
        self._bin = Path(found[-1]).parent
        # Not under pytest's tmp_path: as root, that is private to root, and the server runs as postgres.
        self._dir = Path(tempfile.mkdtemp(prefix="autocharge-postgres-"))
        self._data = self._dir / "data"
        self.port = free_port()

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://postgres@{HOST}:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres_user([str(self._bin / args[0]), *args[1:]]), check=True, capture_output=True)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self._dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -k {self._dir} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._dir / "log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: what an upgrade's restart does; `immediate`: a crash."""
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self._dir, ignore_errors=True)


class OwnRedis:
    """A redis-server of the test's own on a free port, keeping nothing on disk."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is missing: install redis-server")
        self.port = free_port()
        self._dir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, cwd=self._dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), timeout=0.1):
                return
            time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None
