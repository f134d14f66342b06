"""Two `autocharge serve` processes on one PostgreSQL and one Redis behave as one back office.

The processes are real (subprocesses on their own ports); the test talks to them only as a front end and a
charger would, over GraphQL and OCPP sockets, and reads Redis only to know when a subscription is live.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from autocharge.simulator import SimulatedCharger
from domain.commands import CreateApiKey, CreateTenant
from domain.events import CHARGERS_TOPIC, TRANSACTIONS_TOPIC, logs_topic
from domain.model import ApiRole
from domain.services.api_keys import create_key
from domain.services.tenants import create_tenant
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from tests.api.wsclient import GraphQLWs, authorised_ws
from tests.databases import throwaway_postgres, unavailable
from tests.e2e.harness import Api
from tests.graphql_documents import REFRESH_SETTINGS, RESET_CHARGER, SET_AUTOCHARGE
from tests.servers import HOST, Node, free_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

REDIS_URL = os.environ.get("AUTOCHARGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MAC = "0A1B2C3D4E5F"
WAIT = 10.0  # seconds for anything that crosses processes

LOGS = "subscription($c: ID!) { ocppLogs(chargerId: $c) { direction messageType uniqueId action } }"
STATUS = "subscription($c: ID) { chargerStatus(chargerId: $c) { connectionState vendor } }"
TRANSACTIONS = "subscription($c: ID) { transactionUpdates(chargerId: $c) { id origin status } }"
PROGRESS = "subscription($s: ID!) { pairingProgress(sessionId: $s) { status identifier { value } } }"
START_PAIRING = (
    "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c, timeoutSeconds: 60) { id } }"
)
REMOTE_START = "mutation($c: ID!, $u: ID!) { remoteStartTransaction(chargerId: $c, connectorId: 1, userId: $u) }"
REMOTE_STOP = "mutation($t: ID!) { remoteStopTransaction(transactionId: $t) }"
ACCEPTED = {"status": "Accepted", "accepted": True}
TRANSACTION = "query($t: ID!) { transaction(id: $t) { origin status stopReason user { id } vehicle { id } } }"
CHARGER_STATE = "query($c: ID!) { charger(id: $c) { connectionState } }"
FRAMES = "query($c: ID!) { ocppLogs(chargerId: $c, first: 500) { edges { node { messageType uniqueId action } } } }"


# --- the two processes ---


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key and channel prefix of this test alone; its keys are deleted afterwards."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"autocharge-test-{uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await client.aclose()


@contextlib.asynccontextmanager
async def two_nodes(
    redis_prefix: str, tmp_path: Path, roles: tuple[str, str] = ("all", "all"), **settings: str
) -> AsyncIterator[tuple[Node, Node, str]]:
    """Nodes A and B, ready, on a freshly migrated PostgreSQL database; (a, b, database_url). `roles` are
    A's and B's AUTOCHARGE_ROLE; `settings` are extra AUTOCHARGE_* variables for both."""
    async with throwaway_postgres() as database_url:
        env = {
            **os.environ,
            "AUTOCHARGE_DATABASE_URL": database_url,
            "AUTOCHARGE_REDIS_URL": REDIS_URL,
            "AUTOCHARGE_REDIS_PREFIX": redis_prefix,
            "AUTOCHARGE_OCPP_COMMAND_TIMEOUT_SECONDS": "5",
            "AUTOCHARGE_LOG_LEVEL": "INFO",
            "AUTOCHARGE_LOG_FORMAT": "console",
            **settings,
        }
        migrate = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("autocharge")), "migrate", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        assert await migrate.wait() == 0  # once, before either process serves
        run = uuid4().hex[:6]
        a, b = (Node(f"node-{name}-{run}", free_port(), free_port(), tmp_path / f"{name}.log") for name in "ab")
        try:
            await asyncio.gather(
                *(node.start({**env, "AUTOCHARGE_ROLE": role}) for node, role in zip((a, b), roles, strict=True))
            )
            await asyncio.gather(a.ready(), b.ready())
            yield a, b, database_url
        finally:
            for node in (a, b):
                if node.process is not None and node.process.returncode is None:
                    await node.stop()


@pytest.fixture
async def cluster(redis_prefix: str, tmp_path: Path) -> AsyncIterator[tuple[Node, Node, str]]:
    async with two_nodes(redis_prefix, tmp_path) as nodes:
        yield nodes


# --- a front end's view: subscriptions on one websocket ---


class Feeds:
    """Every subscription's messages on one graphql-transport-ws connection, kept apart by operation id."""

    def __init__(self, ws: GraphQLWs) -> None:
        self._ws = ws
        self._queues: defaultdict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self._ws.connection:
                message = json.loads(raw)
                if "id" in message:
                    self._queues[message["id"]].put_nowait(message)

    async def subscribe(self, query: str, **variables: Any) -> str:
        return await self._ws.subscribe(query, variables)

    async def until(self, op_id: str, check: Callable[[Any], bool]) -> Any:
        """The first data of the subscription that passes `check` (those before it are skipped)."""
        async with asyncio.timeout(WAIT):
            while True:
                message = await self._queues[op_id].get()
                assert message["type"] == "next" and "errors" not in message["payload"], message
                data = message["payload"]["data"]
                if check(data):
                    return data

    def pending(self, op_id: str) -> list[Any]:
        """What the subscription received and nobody read yet."""
        queue, found = self._queues[op_id], []
        while not queue.empty():
            found.append(queue.get_nowait()["payload"]["data"])
        return found

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def feeds(node: Node, key: str) -> AsyncIterator[Feeds]:
    async with authorised_ws(f"ws://{HOST}:{node.api_port}/graphql", key) as ws:
        subscriptions = Feeds(ws)
        try:
            yield subscriptions
        finally:
            await subscriptions.close()


async def listened(redis: Redis, prefix: str, tenant_id: UUID, *topics: str) -> None:
    """Wait until some process listens on each channel: a subscription sends no acknowledgement to await."""
    channels = [f"{prefix}:{tenant_id}:{topic}" for topic in topics]
    async with asyncio.timeout(WAIT):
        while True:
            counts: Any = await redis.pubsub_numsub(*channels)
            if all(count > 0 for _, count in counts):
                return
            await asyncio.sleep(0.02)


async def eventually(check: Callable[[], bool | Awaitable[bool]]) -> None:
    """Poll: the state is in another process (or its log, or Redis), with nothing to await."""
    async with asyncio.timeout(WAIT):
        while True:
            outcome = check()
            if await outcome if inspect.isawaitable(outcome) else outcome:
                return
            await asyncio.sleep(0.02)


# --- a charger's view: raw OCPP 1.6 frames, for exact retries ---


@contextlib.asynccontextmanager
async def raw_charger(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        yield ws


async def call(ws: ClientConnection, action: str, payload: dict[str, Any]) -> Any:
    unique_id = uuid4().hex[:16]
    await ws.send(json.dumps([2, unique_id, action, payload]))
    answer = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert answer[:2] == [3, unique_id], answer
    return answer[2]


async def closed(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        await asyncio.wait_for(ws.recv(), WAIT)
    assert info.value.rcvd is not None
    return info.value.rcvd.code, info.value.rcvd.reason


# --- the story ---


@dataclass
class Story:
    """Nodes A and B, a tenant with an admin key, and what the tenant registered, with the checks the steps share."""

    a: Node
    b: Node
    api: Api  # A's API: every request in this story goes to A
    key: str
    tenant_id: UUID
    redis: Redis
    prefix: str
    cpid: str
    charger_id: str
    other_cpid: str
    other_id: str
    user_id: str
    vehicle_id: str

    async def holder(self, charge_point_id: str) -> str | None:
        value = await self.redis.get(f"{self.prefix}:presence:{charge_point_id}")
        return None if value is None else bytes(value).decode()

    async def holds(self, node_id: str | None, charge_point_id: str) -> bool:
        return await self.holder(charge_point_id) == node_id

    async def state(self, charger_id: str) -> str:
        return str((await self.api(CHARGER_STATE, c=charger_id))["charger"]["connectionState"])


@contextlib.asynccontextmanager
async def story(a: Node, b: Node, database_url: str, prefix: str) -> AsyncIterator[Story]:
    database = Database(database_url)
    try:
        directory = SqlDirectory(database.session_factory)
        tenant = await create_tenant(directory, CreateTenant("Cluster Fleet"))
        _, key = await create_key(directory, CreateApiKey(tenant.id, ApiRole.ADMIN))
    finally:
        await database.dispose()
    api = Api(a, key)  # type: ignore[arg-type]  # a Node has what Api reads of a server
    run = uuid4().hex[:6].upper()
    cpid, other_cpid = f"CL-{run}-1", f"CL-{run}-2"  # presence keys are per chargePointId: unique per run
    charger_id, other_id = await api.register_charger(cpid), await api.register_charger(other_cpid)
    user_id = await api.create_user(f"dana-{run}@example.com")
    vehicle_id = await api.add_vehicle(user_id, f"CL-{run}")
    redis = Redis.from_url(REDIS_URL)
    try:
        yield Story(
            a, b, api, key, tenant.id, redis, prefix, cpid, charger_id, other_cpid, other_id, user_id, vehicle_id
        )
    finally:
        await redis.aclose()


async def test_two_processes_serve_as_one(cluster: tuple[Node, Node, str], redis_prefix: str) -> None:
    started = time.monotonic()
    async with story(*cluster, redis_prefix) as s:
        async with feeds(s.a, s.key) as on_a:
            await subscriptions_pairing_and_remote_commands_cross_processes(s, on_a)
            await a_charger_moving_to_the_other_process_stays_connected_without_a_duplicate(s, on_a)
        await sigterm_closes_chargers_and_loses_no_frame(s)
    assert time.monotonic() - started < 40


async def subscriptions_pairing_and_remote_commands_cross_processes(s: Story, on_a: Feeds) -> None:
    """Subscriptions on A hear a charger on B; pairing started on A is captured on B; remote start/stop via A."""
    logs = await on_a.subscribe(LOGS, c=s.charger_id)
    status = await on_a.subscribe(STATUS, c=s.charger_id)
    transactions = await on_a.subscribe(TRANSACTIONS, c=s.charger_id)
    await listened(s.redis, s.prefix, s.tenant_id, logs_topic(UUID(s.charger_id)), CHARGERS_TOPIC, TRANSACTIONS_TOPIC)

    async with SimulatedCharger(s.b.ocpp(s.cpid)) as station:
        await on_a.until(status, lambda d: d["chargerStatus"]["connectionState"] == "CONNECTED")
        await eventually(lambda: s.holds(s.b.node_id, s.cpid))
        await station.boot()
        await on_a.until(status, lambda d: d["chargerStatus"]["vendor"] == "Autocharge")
        boot = await on_a.until(logs, lambda d: d["ocppLogs"]["messageType"] == "CALL_RESULT")
        assert boot["ocppLogs"]["action"] == "BootNotification"

        session = (await s.api(START_PAIRING, v=s.vehicle_id, c=s.charger_id))["startVehiclePairing"]["id"]
        progress = await on_a.subscribe(PROGRESS, s=session)
        await on_a.until(progress, lambda d: d["pairingProgress"]["status"] == "WAITING_FOR_VEHICLE")
        assert (await station.run_session(MAC, meter_values=1)).completed
        paired = await on_a.until(progress, lambda d: d["pairingProgress"]["status"] != "WAITING_FOR_VEHICLE")
        assert paired["pairingProgress"] == {"status": "PAIRED", "identifier": {"value": f"VID:{MAC}"}}
        await on_a.until(transactions, lambda d: d["transactionUpdates"]["status"] == "COMPLETED")

        assert (await s.api(REMOTE_START, c=s.charger_id, u=s.user_id))["remoteStartTransaction"] is True
        assert (await asyncio.wait_for(station.remote_starts.get(), WAIT)).status == "Accepted"
        update = await on_a.until(transactions, lambda d: d["transactionUpdates"]["origin"] == "REMOTE")
        transaction_id = update["transactionUpdates"]["id"]
        remote = (await s.api(TRANSACTION, t=transaction_id))["transaction"]
        assert (remote["origin"], remote["status"]) == ("REMOTE", "ACTIVE")
        assert (remote["user"], remote["vehicle"]) == ({"id": s.user_id}, {"id": s.vehicle_id})
        assert (await s.api(REMOTE_STOP, t=transaction_id))["remoteStopTransaction"] is True
        await asyncio.wait_for(station.remote_stops.get(), WAIT)
        stopped = await on_a.until(transactions, lambda d: d["transactionUpdates"]["id"] == transaction_id)
        assert stopped["transactionUpdates"]["status"] == "COMPLETED"

        # Station operations from A reach the charger on B, and come back with its answer.
        assert (await s.api(RESET_CHARGER, c=s.charger_id, k="SOFT"))["resetCharger"] == ACCEPTED
        refreshed = (await s.api(REFRESH_SETTINGS, c=s.charger_id))["refreshChargerSettings"]
        assert refreshed["autochargeSettingKey"] == "AutoChargeEnabled"
        assert (await s.api(SET_AUTOCHARGE, c=s.charger_id, e=True))["setAutochargeEnabled"] == ACCEPTED
        assert station.station.autocharge_enabled is True
        assert station.errors == []

    await on_a.until(status, lambda d: d["chargerStatus"]["connectionState"] == "DISCONNECTED")
    assert await s.holder(s.cpid) is None  # released before the disconnection was recorded


async def a_charger_moving_to_the_other_process_stays_connected_without_a_duplicate(s: Story, on_a: Feeds) -> None:
    """Started on B, reconnected to A (B closes its old connection), the same start retried on A: one transaction."""
    status = await on_a.subscribe(STATUS, c=s.charger_id)
    await listened(s.redis, s.prefix, s.tenant_id, CHARGERS_TOPIC)
    start = {"connectorId": 1, "idTag": "RETRIED", "meterStart": 500, "timestamp": "2026-11-21T08:00:00Z"}
    async with raw_charger(s.b.ocpp(s.cpid)) as old:
        first = await call(old, "StartTransaction", start)
        async with raw_charger(s.a.ocpp(s.cpid)) as new:
            assert await closed(old) == (1000, "connected to another node")
            retried = await call(new, "StartTransaction", start)
            assert retried["transactionId"] == first["transactionId"]
            await eventually(lambda: s.holds(s.a.node_id, s.cpid))
            await eventually(lambda: "charger moved to another process" in s.b.output())
            assert await s.state(s.charger_id) == "CONNECTED"  # B's late end of the old connection changed nothing
            states = [d["chargerStatus"]["connectionState"] for d in on_a.pending(status)]
            assert "DISCONNECTED" not in states, states
    assert len([t for t in await s.api.transactions() if t["idTag"] == "RETRIED"]) == 1


async def sigterm_closes_chargers_and_loses_no_frame(s: Story) -> None:
    """SIGTERM to B while a charger keeps it busy: closed with 1001, exit 0 within seconds, every answer logged."""
    answered: list[str] = []
    async with raw_charger(s.b.ocpp(s.other_cpid)) as busy:

        async def keep_busy() -> None:
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                while True:
                    unique_id = f"busy-{len(answered)}"
                    await busy.send(json.dumps([2, unique_id, "Heartbeat", {}]))
                    answer = json.loads(await asyncio.wait_for(busy.recv(), WAIT))
                    assert answer[:2] == [3, unique_id]
                    answered.append(unique_id)

        pumping = asyncio.create_task(keep_busy())
        await eventually(lambda: len(answered) >= 5)
        signalled = time.monotonic()
        assert await s.b.stop(within=10) == 0, s.b.output()
        stopped_in = time.monotonic() - signalled
        await pumping
        assert busy.close_code == 1001
    assert stopped_in < 5, stopped_in
    assert await s.holder(s.other_cpid) is None
    assert await s.state(s.other_id) == "DISCONNECTED"
    logged = {
        (edge["node"]["uniqueId"], edge["node"]["messageType"])
        for edge in (await s.api(FRAMES, c=s.other_id))["ocppLogs"]["edges"]
    }
    missing = [u for u in answered if not {(u, "CALL"), (u, "CALL_RESULT")} <= logged]
    assert missing == [], f"answered but not logged: {missing}"


async def test_the_chargers_of_a_killed_process_become_disconnected_on_the_survivor(
    redis_prefix: str, tmp_path: Path
) -> None:
    """SIGKILL B while a charger is connected to it: B records nothing, its lease lapses, and A ends the
    connection (pushed on chargerStatus) within TTL + refresh; the charger then reconnects to A as usual."""
    quick = {"AUTOCHARGE_PRESENCE_TTL_SECONDS": "2", "AUTOCHARGE_PRESENCE_REFRESH_SECONDS": "0.5"}
    async with (
        two_nodes(redis_prefix, tmp_path, **quick) as (a, b, url),
        story(a, b, url, redis_prefix) as s,
        feeds(s.a, s.key) as on_a,
    ):
        status = await on_a.subscribe(STATUS, c=s.charger_id)
        await listened(s.redis, s.prefix, s.tenant_id, CHARGERS_TOPIC)
        async with raw_charger(s.b.ocpp(s.cpid)) as charger:
            await call(charger, "Heartbeat", {})
            await on_a.until(status, lambda d: d["chargerStatus"]["connectionState"] == "CONNECTED")
            await eventually(lambda: s.holds(s.b.node_id, s.cpid))
            assert b.process is not None
            b.process.kill()
            killed = time.monotonic()
            await b.process.wait()
            await on_a.until(status, lambda d: d["chargerStatus"]["connectionState"] == "DISCONNECTED")
            noticed_in = time.monotonic() - killed
        assert noticed_in < 2 + 0.5 + 5, noticed_in  # TTL + one refresh period + the test's own latency, loaded
        assert await s.state(s.charger_id) == "DISCONNECTED"
        assert "orphaned_connection_ended" in s.a.output()
        async with raw_charger(s.a.ocpp(s.cpid)) as back:
            await call(back, "Heartbeat", {})
            await on_a.until(status, lambda d: d["chargerStatus"]["connectionState"] == "CONNECTED")
            await asyncio.sleep(3)  # past the grace and several sweeps: a held connection is never ended
            assert await s.state(s.charger_id) == "CONNECTED"
