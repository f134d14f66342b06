"""Two OCPP servers in one process, each a node of one cluster over a real Redis, sharing one store:
the registry's hooks claim and release chargers, commands reach the other node's chargers, a charger that
moves is let go by its old node without being recorded as disconnected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed

from domain.charger_commands import StartCharging
from domain.commands import EndOrphanedConnections, RemoteStartTransaction, RemoteStopTransaction
from domain.errors import Unavailable
from domain.ids import new_id
from domain.model import ConnectionState, TransactionOrigin
from domain.queries import RecordedConnection
from domain.services import chargers, remote
from infra.cluster import ClusterNode, redis_cluster
from infra.pubsub.presence import RedisPresence
from tests.ocpp.conftest import Env, client, eventually, raw_socket
from tests.ocpp.test_remote import Charger16, Charger201
from tests.unit.fakes import Store

pytestmark = pytest.mark.redis


@dataclass
class Node:
    env: Env
    cluster: ClusterNode


@dataclass
class Cluster:
    a: Node
    b: Node
    presence: RedisPresence  # the test's own view of who holds what

    async def holder(self, cpid: str = "CP-1") -> str | None:
        return await self.presence.holder(cpid)


@pytest.fixture
async def cluster(redis_url: str) -> AsyncIterator[Cluster]:
    prefix, store, tenant = f"test-{uuid4().hex}", Store(), new_id()
    nodes = []
    for name in ("a", "b"):
        env = Env(store=store, tenant_a=tenant)
        node = redis_cluster(redis_url, name, env.registry, env.deps.uow, prefix=prefix, command_timeout=3)
        env.registry.observe(node.claim, node.release)
        await node.start()
        await env.start()
        nodes.append(Node(env, node))
    presence = RedisPresence(redis_url, prefix=prefix)
    try:
        yield Cluster(nodes[0], nodes[1], presence)
    finally:
        for node in nodes:
            for server in node.env.servers:
                await server.stop()
            await node.cluster.stop()
        await presence.close()


async def eventually_held(cluster: Cluster, node: str | None, cpid: str = "CP-1") -> None:
    """The claim follows the recorded connection, the release precedes the recorded disconnection: poll."""
    async with asyncio.timeout(3):
        while await cluster.holder(cpid) != node:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_remote_start_and_stop_reach_a_charger_on_the_other_node(cluster: Cluster) -> None:
    a, b = cluster.a.env, cluster.b.env
    await a.charger()
    user = await a.user()
    async with client(b, cls=Charger16) as cp:
        await eventually_held(cluster, "b")
        charger = a.charger_row()
        commands = cluster.a.cluster.commands

        assert await remote.remote_start(a.uow(), commands, RemoteStartTransaction(charger.id, 1, user.id))
        ((_, (connector_id, id_tag)),) = cp.received
        start = await cp.call(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=0, timestamp="2026-11-21T08:00:00Z"
            )
        )
        (tx,) = a.transactions()
        assert (tx.origin, tx.user_id) == (TransactionOrigin.REMOTE, user.id)
        assert await remote.remote_stop(a.uow(), commands, RemoteStopTransaction(tx.id))
        assert cp.received[-1] == ("stop", start.transaction_id)
    assert b.metric("ocpp_commands_total", action="RemoteStartTransaction", outcome="accepted") == 1


async def test_request_start_reaches_a_201_charger_on_the_other_node(cluster: Cluster) -> None:
    a, b = cluster.a.env, cluster.b.env
    await a.charger()
    user = await a.user()
    async with client(b, version="2.0.1", cls=Charger201) as cp:
        await eventually_held(cluster, "b")
        charger = a.charger_row()

        assert await remote.remote_start(
            a.uow(), cluster.a.cluster.commands, RemoteStartTransaction(charger.id, 1, user.id)
        )
        ((what, (evse_id, id_token, _)),) = cp.received
        assert (what, evse_id, id_token["type"]) == ("start", 1, "Central")


async def test_a_charger_moving_to_the_other_node_stays_connected(cluster: Cluster) -> None:
    a, b = cluster.a.env, cluster.b.env
    await a.charger()
    async with raw_socket(b) as old:
        await eventually_held(cluster, "b")
        async with raw_socket(a) as new:
            with pytest.raises(ConnectionClosed) as closed:
                await old.recv()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "connected to another node")
            await eventually_held(cluster, "a")
            await eventually(lambda: not b.registry.is_connected("CP-1"))  # b's session has ended
            assert a.registry.is_connected("CP-1")
            assert a.charger_row().connection_state is ConnectionState.CONNECTED
            await new.send('[2, "h1", "Heartbeat", {}]')
            assert (await new.recv()).startswith('[3,"h1"')
    await eventually_held(cluster, None)
    assert a.charger_row().connection_state is ConnectionState.DISCONNECTED


async def test_a_stopped_node_releases_its_chargers_and_serves_no_more(cluster: Cluster) -> None:
    a, b = cluster.a.env, cluster.b.env
    await a.charger()
    user = await a.user()
    async with raw_socket(b):
        await eventually_held(cluster, "b")
        await b.servers[-1].stop()
        assert await cluster.holder() is None
        assert a.charger_row().connection_state is ConnectionState.DISCONNECTED
        await cluster.b.cluster.stop()

    charger = a.charger_row()
    with pytest.raises(Unavailable):
        await cluster.a.cluster.commands.send(charger, StartCharging(1, "TAG"))
    with pytest.raises(Unavailable):
        await remote.remote_start(a.uow(), cluster.a.cluster.commands, RemoteStartTransaction(charger.id, 1, user.id))


async def test_a_connection_ended_as_orphaned_while_its_node_lost_redis_is_recorded_again(cluster: Cluster) -> None:
    """A's lease lapsed (A could not reach Redis past the TTL) and B's sweep ended the charger's connection as
    orphaned; the charger never left A. A's next refresh takes the lease back and records it CONNECTED again."""
    a, b = cluster.a.env, cluster.b.env
    await a.charger()
    async with raw_socket(a) as ws:
        await eventually_held(cluster, "a")
        row = a.charger_row()
        assert row.connection_id is not None
        await cluster.presence.release("CP-1", "a")  # the lease lapsed
        recorded = [RecordedConnection(row.tenant_id, row.id, "CP-1", row.connection_id)]
        ended = await chargers.end_orphaned_connections(
            b.deps.uow, cluster.b.cluster.is_live, EndOrphanedConnections(tuple(recorded))
        )
        assert ended == recorded
        assert a.charger_row().connection_state is ConnectionState.DISCONNECTED

        await cluster.a.cluster.refresh()

        assert await cluster.holder() == "a"
        resumed = a.charger_row()
        assert (resumed.connection_state, resumed.connection_id) == (ConnectionState.CONNECTED, row.connection_id)
        await ws.send('[2, "h1", "Heartbeat", {}]')
        assert (await ws.recv()).startswith('[3,"h1"')
    await eventually_held(cluster, None)
    assert a.charger_row().connection_state is ConnectionState.DISCONNECTED  # its real end is still recorded
