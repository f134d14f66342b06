"""Structured logs: `autocharge serve`, run as a user runs it, writes one JSON object per line on stderr."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx

AUTOCHARGE = str(Path(sys.executable).with_name("autocharge"))


async def _read_until_started(stderr: asyncio.StreamReader, lines: list[str]) -> dict[str, Any]:
    while line := (await stderr.readline()).decode():
        lines.append(line)
        if '"autocharge_started"' in line:
            started: dict[str, Any] = json.loads(line)
            return started
    raise AssertionError("autocharge serve ended before it started:\n" + "".join(lines))


async def test_serve_logs_json_lines_each_with_an_event(database_url: str) -> None:
    env = os.environ | {"AUTOCHARGE_LOG_FORMAT": "json", "AUTOCHARGE_LOG_LEVEL": "INFO"}
    serve = await asyncio.create_subprocess_exec(
        *(AUTOCHARGE, "serve", "--api-port", "0", "--ocpp-port", "0", "--database-url", database_url),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert serve.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(20):
            started = await _read_until_started(serve.stderr, lines)
            async with httpx.AsyncClient(base_url=started["api"]) as client:
                health = await client.get("/health")
    finally:
        if serve.returncode is None:
            serve.send_signal(signal.SIGTERM)
        stdout, rest = await asyncio.wait_for(serve.communicate(), 20)
    lines += rest.decode().splitlines(keepends=True)

    records = [json.loads(line) for line in lines]
    assert (serve.returncode, health.status_code, stdout) == (0, 200, b"")
    assert [record for record in records if not isinstance(record.get("event"), str)] == []
    events = [record["event"] for record in records]
    assert {"autocharge_started", "autocharge_stopping", "autocharge_stopped"} <= set(events)
    assert {record["level"] for record in records} <= {"debug", "info", "warning", "error", "critical"}
