"""`autocharge serve` on SIGTERM stores every OCPP frame it logged, or says how many it could not and exits non-zero.

Real processes: the installed command, a charger on a real websocket; the unreachable database is a throwaway
PostgreSQL database reached through a local TCP relay the test cuts (the shared server itself is never touched).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.databases import throwaway_postgres
from tests.e2e.harness import TcpRelay
from tests.e2e.test_cli_serve_simulate import GraphQL, autocharge, autocharge_json, environment, serving
from tests.servers import UNLIMITED_CALLS

REGISTER = 'mutation { registerCharger(input: {chargePointId: "CP-1", name: "Depot"}) { id } }'
EXIT_FRAMES_NOT_STORED = 3


async def _admin_key(env: dict[str, str]) -> str:
    tenant = await autocharge_json(env, "tenant", "create", "Acme Fleet")
    key = await autocharge_json(env, "apikey", "create", "--tenant", tenant["slug"], "--role", "admin")
    return str(key["key"])


async def _heartbeats(ws: ClientConnection, count: int, prefix: str) -> list[list[Any]]:
    answers = []
    for i in range(count):
        await ws.send(json.dumps([2, f"{prefix}-{i}", "Heartbeat", {}]))
        answers.append(json.loads(await ws.recv()))
    return answers


def _json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # a line of another kind (a traceback's continuation)
    return lines


async def test_sigterm_stores_every_logged_frame_and_exits_0(tmp_path: Path) -> None:
    env = environment(tmp_path) | UNLIMITED_CALLS
    key = await _admin_key(env)

    async with serving(env, tmp_path) as served:
        await GraphQL(served.api_url, key)(REGISTER)
        async with connect(f"{served.ocpp_url}/CP-1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
            answers = await _heartbeats(ws, 50, "hb")
            code = await served.stop()  # at once: the last frames may still be queued in the journal

    assert code == 0, served.log.read_text()
    assert [answer[0] for answer in answers] == [3] * 50
    database = make_url(env["AUTOCHARGE_DATABASE_URL"]).database
    assert database is not None
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT unique_id, direction FROM ocpp_log_entries").fetchall()
    assert sorted(stored) == sorted((f"hb-{i}", way) for i in range(50) for way in ("FROM_CHARGER", "TO_CHARGER"))


async def test_sigterm_with_the_database_unreachable_logs_the_frames_not_stored_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    async with throwaway_postgres() as url:
        target = make_url(url)
        relay = TcpRelay(target.host or "127.0.0.1", target.port or 5432)
        await relay.start()
        try:
            relayed = target.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
            env = environment(tmp_path) | UNLIMITED_CALLS | {"AUTOCHARGE_DATABASE_URL": relayed}
            code, out = await autocharge(env, "migrate")
            assert code == 0, out
            key = await _admin_key(env)

            async with serving(env, tmp_path) as served:
                await GraphQL(served.api_url, key)(REGISTER)
                async with connect(f"{served.ocpp_url}/CP-1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
                    before = await _heartbeats(ws, 3, "before")
                    await relay.cut()  # the database is gone: what is logged from now on stays queued
                    during = await _heartbeats(ws, 5, "during")
                    code = await served.stop()
        finally:
            await relay.cut()

    assert [answer[:2] for answer in before] == [[3, f"before-{i}"] for i in range(3)]
    assert [answer[:3] for answer in during] == [[4, f"during-{i}", "InternalError"] for i in range(5)]
    assert code == EXIT_FRAMES_NOT_STORED, served.log.read_text()[-3000:]
    lines = _json_lines(served.log)
    (journal,) = [line for line in lines if "not stored after" in line.get("event", "")]
    (summary,) = [line for line in lines if line.get("event") == "autocharge_frames_not_stored"]
    assert journal["level"] == "error" and summary["level"] == "error"
    # The 5 heartbeats and their 5 CALLERRORs at least; the last answers before the cut may still be queued too.
    assert summary["frames"] >= 10
    assert f"with {summary['frames']} OCPP frame(s) not stored" in journal["event"]
    # One line for the outage, however many retries it took.
    assert len([line for line in lines if "frame journal: database unavailable" in line.get("event", "")]) == 1
