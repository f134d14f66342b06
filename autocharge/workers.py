"""`autocharge serve --workers N`: N server processes on the same two ports, one cluster through Redis.

Each worker is an ordinary `autocharge serve` process (its own event loop, database pool and node id) that
binds the ports with SO_REUSEPORT, so the kernel spreads new connections, chargers and API clients alike,
over the workers. They share events, presence and commands through Redis as any cluster does, so a charger
connected to one worker is reached from the API of every other.

This process only supervises: it starts the workers, forwards SIGTERM or SIGINT to every one, and exits with
the worst of their exit codes (3 when a worker could not store frames). A worker that exits by itself (a crash,
a port taken) stops the others, and this process exits with that worker's code: restarting is the job of the
service manager (systemd, Kubernetes), which sees the failure.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import structlog

from autocharge.settings import Settings

log = structlog.get_logger(__name__)


def worker_environment(settings: Settings, index: int) -> dict[str, str]:
    """The environment of worker `index`: these settings for one process, its own node id, ports shared."""
    values = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "HOST": settings.host,
        "API_PORT": str(settings.api_port),
        "OCPP_PORT": str(settings.ocpp_port),
        "ROLE": settings.role,
        "NODE_ID": f"{settings.node_id}-w{index}",
        "WORKERS": "1",
        "REUSE_PORT": "true",
        "OCPP_TLS_PORT": str(settings.ocpp_tls_port),
    }
    tls_files = {
        "OCPP_TLS_CERT": settings.ocpp_tls_cert,
        "OCPP_TLS_KEY": settings.ocpp_tls_key,
        "OCPP_TLS_CLIENT_CA": settings.ocpp_tls_client_ca,
    }
    values |= {name: str(path) for name, path in tls_files.items() if path is not None}
    return {**os.environ, **{f"AUTOCHARGE_{name}": value for name, value in values.items()}}


async def supervise(settings: Settings) -> int:
    """Run `settings.workers` workers until SIGTERM or SIGINT, or until one exits; returns the exit code."""
    command = [sys.executable, "-m", "autocharge", "serve", "--no-migrate"]
    workers = [
        await asyncio.create_subprocess_exec(*command, env=worker_environment(settings, index))
        for index in range(settings.workers)
    ]
    log.info("workers_started", workers=len(workers), pids=[worker.pid for worker in workers])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    exits = [asyncio.create_task(worker.wait()) for worker in workers]
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopping, *exits], return_when=asyncio.FIRST_COMPLETED)
    if stopping not in done:
        first = next(index for index, task in enumerate(exits) if task in done)
        log.error("worker_exited", worker=first, pid=workers[first].pid, code=workers[first].returncode)
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    codes = await asyncio.gather(*exits)
    stopping.cancel()
    log.info("workers_stopped", codes=codes)
    return max(codes, key=_severity)


def _severity(code: int) -> tuple[bool, int]:
    # A worker killed by a signal has a negative code: still a failure, ranked by how far from 0.
    return (code != 0, abs(code))
