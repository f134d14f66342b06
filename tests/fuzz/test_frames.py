"""Fuzzing the OCPP server with Hypothesis: whatever a charger sends, valid or broken, it gets an answer or a
close, the server keeps running, and the Real-Time Logs keep being written.

A short run by default (CI); `AUTOCHARGE_FUZZ_EXAMPLES=20000 ./scripts/test tests/fuzz` is a long one.
The server is a real `autocharge serve` process, on SQLite, or on a throwaway PostgreSQL database when
AUTOCHARGE_TEST_DATABASE_URL points at PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.databases import TEST_DATABASE_URL_ENV, create_postgres_database, drop_postgres_database
from tests.fuzz.frames import wire_messages
from tests.servers import UNLIMITED_CALLS, Node, autocharge_command, free_port

EXAMPLES = int(os.environ.get("AUTOCHARGE_FUZZ_EXAMPLES", "150"))
ANSWER_SECONDS = 10.0
LOGS = "query($c: ID!) { ocppLogs(chargerId: $c, first: 5) { edges { node { uniqueId messageType } } } }"


@dataclass
class FuzzTarget:
    node: Node
    key: str
    charger_ids: dict[str, str]  # chargePointId -> id

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.node.api_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]


def _cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([autocharge_command(), *args], env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout) if "--json" in args else done.stdout


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    workdir = tmp_path_factory.mktemp("fuzz")
    test_url = os.environ.get(TEST_DATABASE_URL_ENV)
    database_url = (
        asyncio.run(create_postgres_database(test_url.rsplit("/", 1)[0]))
        if test_url and test_url.startswith("postgresql")
        else f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
    )
    env = {**os.environ, **UNLIMITED_CALLS, "AUTOCHARGE_DATABASE_URL": database_url, "AUTOCHARGE_LOG_FORMAT": "console"}
    _cli(env, "migrate")
    tenant = _cli(env, "tenant", "create", "Fuzz Fleet", "--json")
    key = _cli(env, "apikey", "create", "--tenant", tenant["slug"], "--role", "admin", "--json")["key"]
    node = Node("fuzz", free_port(), free_port(), workdir / "server.log")
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(node.start(env))
        loop.run_until_complete(node.ready())
        fuzz = FuzzTarget(node, key, {})
        for cpid in ("FUZZ-16", "FUZZ-201", "PROBE"):
            data = fuzz.graphql(
                "mutation($i: RegisterChargerInput!) { registerCharger(input: $i) { id } }",
                i={"chargePointId": cpid, "name": cpid, "autochargeSupported": True},
            )
            fuzz.charger_ids[cpid] = data["registerCharger"]["id"]
        yield fuzz
        assert loop.run_until_complete(node.stop(within=30)) == 0, node.output()
    finally:
        if node.process is not None and node.process.returncode is None:
            loop.run_until_complete(node.kill())
        loop.close()
        if database_url.startswith("postgresql"):
            asyncio.run(drop_postgres_database(database_url))


class Charger:
    """One charger's connection, opened again whenever the server closed it."""

    def __init__(self, url: str, version: str) -> None:
        self._url, self._subprotocol = url, Subprotocol(f"ocpp{version}")
        self._ws: ClientConnection | None = None
        self._open = contextlib.ExitStack()
        self.closes = 0

    def _connection(self) -> ClientConnection:
        if self._ws is None:
            self._open.close()
            self._ws = self._open.enter_context(connect(self._url, subprotocols=[self._subprotocol], open_timeout=10))
        return self._ws

    def exchange(self, message: str | bytes) -> None:
        """Send the message, then a Heartbeat probe; the probe must be answered (after a reconnect if the
        message made the server close the connection): the server neither hangs nor stops answering."""
        try:
            self._connection().send(message)
            self._probe()
        except ConnectionClosed:
            self.closes += 1
            self._ws = None
            self._probe()

    def _probe(self) -> None:
        probe = f"probe-{uuid4().hex[:12]}"
        ws = self._connection()
        ws.send(json.dumps([2, probe, "Heartbeat", {}]))
        while True:  # the fuzzed frame's own answer may come first
            answer = json.loads(ws.recv(timeout=ANSWER_SECONDS))
            if isinstance(answer, list) and len(answer) > 1 and answer[1] == probe:
                assert answer[0] == 3, answer
                return

    def close(self) -> None:
        self._open.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_every_frame_gets_an_answer_or_a_close_and_the_logs_keep_being_written(
    target: FuzzTarget, version: str
) -> None:
    cpid = "FUZZ-16" if version == "1.6" else "FUZZ-201"
    charger = Charger(target.node.ocpp(cpid), version)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(message=wire_messages(version))
    def exchange(message: str | bytes) -> None:
        charger.exchange(message)

    try:
        exchange()
    finally:
        charger.close()
    assert target.node.process is not None and target.node.process.returncode is None, target.node.output()

    # The logs did not stop: a Heartbeat from another charger is in the Real-Time Logs right after.
    probe = Charger(target.node.ocpp("PROBE"), "1.6")
    probe.exchange(json.dumps([2, f"after-{version}", "Heartbeat", {}]))
    probe.close()
    deadline = 50
    for _ in range(deadline):
        edges = target.graphql(LOGS, c=target.charger_ids["PROBE"])["ocppLogs"]["edges"]
        if any(edge["node"]["uniqueId"] == f"after-{version}" for edge in edges):
            break
        asyncio.run(asyncio.sleep(0.1))
    else:
        raise AssertionError(f"the Heartbeat after the fuzzing was not logged:\n{target.node.output()}")
