"""The servers under test, each its own process pinned to a core: the bare reference and `autocharge serve`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from benchmarks._seeding import AUTOCHARGE, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: list[str], cpu: str | None) -> list[str]:
    """`taskset -c CPU argv...` (taskset execs the command, so the process keeps the PID we are given)."""
    if cpu is None or shutil.which("taskset") is None:
        return argv
    return ["taskset", "-c", cpu, *argv]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class Server:
    """A server process; `stop()` sends SIGTERM, waits, then kills."""

    name = "server"

    def __init__(self, argv: list[str], log_path: Path, cpu: str | None, env: dict[str, str] | None = None) -> None:
        self.argv = pinned(argv, cpu)
        self.log_path = log_path
        self._log: IO[bytes] | None = None
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.ocpp_port = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, env=self._env, start_new_session=True
        )

    def stop(self, timeout: float = 60) -> float:
        """Seconds the process took to exit after SIGTERM (it was killed if it took longer than timeout)."""
        began = time.monotonic()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
        return time.monotonic() - began

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BareServer(Server):
    name = "bare"

    def __init__(self, log_path: Path, cpu: str | None, uvloop: bool = False) -> None:
        argv = [sys.executable, "-m", "benchmarks.bare_server", "--port", "0"]
        super().__init__([*argv, "--uvloop"] if uvloop else argv, log_path, cpu)

    def start(self) -> None:
        super().start()
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the bare server did not start; see {self.log_path}")
        self.ocpp_port = int(json.loads(line)["port"])


class AutochargeServer(Server):
    name = "autocharge"

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        cpu: str | None,
        log_level: str = "INFO",
        *,
        role: str = "all",
        redis_url: str | None = None,
        workers: int = 1,
        api_rate_limit: str | None = None,
    ) -> None:
        """One process: `role` all (alone, events in memory) or, with `redis_url`, ocpp / api of a cluster; with
        `workers` > 1 (and `redis_url`), that many worker processes sharing the ports (`serve --workers`);
        `api_rate_limit` replaces the API's per-key limit (AUTOCHARGE_API_RATE_LIMIT)."""
        self.api_port = free_port()
        ocpp_port = free_port()
        argv = [
            AUTOCHARGE,
            "serve",
            "--database-url",
            database_url,
            "--api-port",
            str(self.api_port),
            "--ocpp-port",
            str(ocpp_port),
            "--no-migrate",
            "--role",
            role,
            "--workers",
            str(workers),
        ]
        env = {**os.environ, "AUTOCHARGE_LOG_LEVEL": log_level}
        env.pop("AUTOCHARGE_REDIS_URL", None)  # one process: events stay in memory
        if redis_url is not None:
            env |= {"AUTOCHARGE_REDIS_URL": redis_url, "AUTOCHARGE_NODE_ID": f"bench-{role}-{ocpp_port}"}
            env.setdefault("AUTOCHARGE_REDIS_PREFIX", f"bench-{ocpp_port}")
        # Closed-loop chargers call as fast as they are answered, far past a real charger's rate: the per-connection
        # CALL budget (20 a second by default) would measure itself, not the server.
        env |= {"AUTOCHARGE_OCPP_CALL_RATE_PER_SECOND": "100000", "AUTOCHARGE_OCPP_CALL_BURST": "100000"}
        if api_rate_limit is not None:
            env["AUTOCHARGE_API_RATE_LIMIT"] = api_rate_limit
        super().__init__(argv, log_path, cpu, env)
        self.role = role
        self.ocpp_port = ocpp_port

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 60) -> None:
        super().start()
        assert self.process is not None
        if self.role != "api":
            wait_for_port(self.ocpp_port, timeout, self.process)
        wait_for_port(self.api_port, timeout, self.process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api_url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"autocharge is not ready after {timeout} s; see {self.log_path}")
