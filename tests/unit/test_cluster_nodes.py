"""Two nodes of a cluster on in-memory presence and commands: routing, claims, hand-over, refresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.charger_commands import (
    ChangeAvailability,
    ChargerCommand,
    CommandAnswer,
    LocalListEntry,
    ReadSettings,
    ReportedSetting,
    Reset,
    SendLocalList,
    StartCharging,
    StopCharging,
    Trigger,
    TriggerableMessage,
    Unlock,
    WriteSetting,
)
from domain.errors import Invalid, Unavailable
from domain.model import Charger
from infra.cluster import ClusterNode
from infra.cluster.node import HANDED_OVER
from infra.cluster.ports import CommandHandler
from infra.pubsub.presence import MemoryPresence
from tests.unit.conftest import World


class Network:
    """What Redis is to the real channels: who serves which node, and what was asked of whom."""

    def __init__(self) -> None:
        self.handlers: dict[str, CommandHandler] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []


@dataclass
class FakeChannel:
    network: Network

    async def request(self, node_id: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        handler = self.network.handlers.get(node_id)
        if handler is None:
            raise Unavailable(f"no process serves commands for node {node_id}")
        self.network.requests.append((node_id, payload))
        async with asyncio.timeout(timeout):
            reply = await handler(json.loads(json.dumps(payload)))  # only JSON crosses processes
        result: dict[str, Any] = json.loads(json.dumps(reply))
        return result

    async def serve(self, node_id: str, handler: CommandHandler) -> None:
        self.network.handlers[node_id] = handler

    async def close(self) -> None:
        self.network.handlers.clear()


@dataclass
class FakeLocal:
    """One process's live connections."""

    here: set[str] = field(default_factory=set)
    sent: list[tuple[str, str, Any]] = field(default_factory=list)
    handed_over: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    accept: bool = True
    silent: bool = False
    settings: tuple[ReportedSetting, ...] = ()

    def is_connected(self, charge_point_id: str) -> bool:
        return charge_point_id in self.here

    def connected(self) -> list[str]:
        return sorted(self.here)

    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer:
        if isinstance(command, StartCharging):
            return await self._send(charger, "start", (command.connector_id, command.id_tag))
        if isinstance(command, StopCharging):
            return await self._send(charger, "stop", command.ocpp_transaction_id)
        return await self._send(charger, command.name, command)

    async def hand_over(self, charge_point_id: str, reason: str) -> bool:
        if charge_point_id not in self.here:
            return False
        self.here.discard(charge_point_id)
        self.handed_over.append((charge_point_id, reason))
        return True

    async def resume(self, charge_point_id: str) -> None:
        self.resumed.append(charge_point_id)

    async def _send(self, charger: Charger, what: str, args: Any) -> CommandAnswer:
        if charger.charge_point_id not in self.here:
            raise Unavailable(f"charger {charger.charge_point_id} is not connected to this process")
        if self.silent:
            await asyncio.Event().wait()
        self.sent.append((charger.charge_point_id, what, args))
        return CommandAnswer("Accepted" if self.accept else "Rejected", self.settings)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Cluster:
    world: World
    clock: FakeClock
    presence: MemoryPresence
    network: Network
    nodes: dict[str, ClusterNode] = field(default_factory=dict)
    locals: dict[str, FakeLocal] = field(default_factory=dict)

    async def node(self, node_id: str, command_timeout: float = 1) -> ClusterNode:
        local = self.locals[node_id] = FakeLocal()
        node = ClusterNode(
            node_id,
            local,
            _Unclosed(self.presence),
            FakeChannel(self.network),
            self.world.factory,
            lease_seconds=30,
            refresh_seconds=3600,  # refresh() is called by the tests
            command_timeout=command_timeout,
        )
        await node.start()
        self.nodes[node_id] = node
        return node

    async def connect(self, node_id: str, charger: Charger) -> None:
        """What the OCPP registry does when the charger connects to that node."""
        self.locals[node_id].here.add(charger.charge_point_id)
        await self.nodes[node_id].claim(charger.charge_point_id)

    async def disconnect(self, node_id: str, charger: Charger) -> None:
        self.locals[node_id].here.discard(charger.charge_point_id)
        await self.nodes[node_id].release(charger.charge_point_id)


class _Unclosed:
    """The shared presence, which one node stopping must not close for the others."""

    def __init__(self, presence: MemoryPresence) -> None:
        self._presence = presence

    def __getattr__(self, name: str) -> Any:
        return getattr(self._presence, name)

    async def close(self) -> None:
        pass


@pytest.fixture
async def cluster(world: World) -> Cluster:
    clock = FakeClock()
    return Cluster(world, clock, MemoryPresence(clock), Network())


async def eventually(check: Callable[[], bool]) -> None:
    """Background work here needs no I/O: a few turns of the loop finish it."""
    for _ in range(100):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


# --- commands ---


async def test_a_charger_connected_here_is_commanded_here(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()
    await cluster.connect("a", charger)

    assert (await a.commands.send(charger, StartCharging(1, "TAG"))).accepted

    assert cluster.locals["a"].sent == [(charger.charge_point_id, "start", (1, "TAG"))]
    assert cluster.network.requests == []


async def test_a_command_reaches_the_node_that_holds_the_charger(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("b", charger)

    assert (await a.commands.send(charger, StartCharging(2, "R123"))).accepted
    assert (await a.commands.send(charger, StopCharging("17"))).accepted

    assert cluster.locals["b"].sent == [(charger.charge_point_id, "start", (2, "R123")), ("CP-1", "stop", "17")]
    node, payload = cluster.network.requests[0]
    assert node == "b"
    assert payload == {
        "op": "charger_command",
        "tenant_id": str(charger.tenant_id),
        "charger_id": str(charger.id),
        "charge_point_id": "CP-1",
        "command": "start_charging",
        "args": {"connector_id": 2, "id_tag": "R123"},
    }


async def test_every_command_and_its_answer_cross_between_nodes_intact(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("b", charger)
    cluster.locals["b"].settings = (
        ReportedSetting("AutoChargeEnabled", "true", False),
        ReportedSetting("X", None, True),
    )
    commands = [
        Reset(hard=True),
        Unlock(2),
        ChangeAvailability(operative=False, connector_id=0),
        Trigger(TriggerableMessage.STATUS_NOTIFICATION, 1),
        ReadSettings(),
        WriteSetting("HeartbeatInterval", "60"),
        SendLocalList(3, False, (LocalListEntry("VID:0A1B2C3D4E5F", True),), ("RFID1",)),
    ]
    for command in commands:
        answer = await a.commands.send(charger, command)
        assert answer == CommandAnswer("Accepted", cluster.locals["b"].settings)
    assert [args for _, _, args in cluster.locals["b"].sent] == commands
    # Sent as JSON, as Redis carries it.
    assert all(json.loads(json.dumps(payload)) == payload for _, payload in cluster.network.requests)


async def test_an_unknown_command_from_another_node_is_refused(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()
    await cluster.connect("a", charger)
    payload = {"op": "charger_command", "tenant_id": str(charger.tenant_id), "charger_id": str(charger.id)}
    with pytest.raises(Invalid, match="unknown charger command 'format_disk'"):
        await a.commands.execute({**payload, "command": "format_disk", "args": {}})
    assert cluster.locals["a"].sent == []


async def test_the_holders_answer_comes_back(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("b", charger)
    cluster.locals["b"].accept = False

    assert not (await a.commands.send(charger, StartCharging(1, "TAG"))).accepted


async def test_a_charger_no_node_holds_is_unavailable(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()

    with pytest.raises(Unavailable, match="CP-1 is not connected"):
        await a.commands.send(charger, StartCharging(1, "TAG"))


async def test_a_lease_of_this_node_without_a_connection_here_is_unavailable(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()
    await cluster.presence.claim("CP-1", "a", ttl=30)

    with pytest.raises(Unavailable):
        await a.commands.send(charger, StopCharging("1"))
    assert cluster.network.requests == []


async def test_a_holder_that_does_not_answer_in_time_is_unavailable(cluster: Cluster) -> None:
    a = await cluster.node("a", command_timeout=0.05)
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("b", charger)
    cluster.locals["b"].silent = True

    with pytest.raises(Unavailable, match=r"the process holding it \(node b\) is unreachable: no reply in 0.05s"):
        await a.commands.send(charger, StartCharging(1, "TAG"))


async def test_a_dead_holder_is_unavailable(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()
    await cluster.presence.claim("CP-1", "gone", ttl=30)  # its lease has not lapsed yet

    with pytest.raises(Unavailable, match="no process serves"):
        await a.commands.send(charger, StartCharging(1, "TAG"))


async def test_the_holders_domain_error_comes_back(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.presence.claim("CP-1", "b", ttl=30)  # b holds the lease, but the connection just ended

    with pytest.raises(Unavailable, match="not connected to this process"):
        await a.commands.send(charger, StartCharging(1, "TAG"))


# --- presence ---


async def test_connect_claims_and_disconnect_releases(cluster: Cluster) -> None:
    await cluster.node("a")
    charger = await cluster.world.charger()

    await cluster.connect("a", charger)
    assert await cluster.presence.holder("CP-1") == "a"
    await cluster.disconnect("a", charger)
    assert await cluster.presence.holder("CP-1") is None


async def test_a_charger_moving_to_another_node_is_let_go_by_the_old_one(cluster: Cluster) -> None:
    await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("b", charger)

    await cluster.connect("a", charger)

    await eventually(lambda: cluster.locals["b"].handed_over == [("CP-1", HANDED_OVER)])
    assert await cluster.presence.holder("CP-1") == "a"
    await cluster.disconnect("b", charger)  # the old connection's hook, late: the lease stays a's
    assert await cluster.presence.holder("CP-1") == "a"


async def test_a_node_the_charger_came_back_to_keeps_it(cluster: Cluster) -> None:
    await cluster.node("a")
    await cluster.node("b")
    charger = await cluster.world.charger()
    await cluster.connect("a", charger)
    await cluster.connect("b", charger)
    await cluster.connect("a", charger)  # back before b's message to let go arrived at a

    await eventually(lambda: cluster.locals["b"].handed_over == [("CP-1", HANDED_OVER)])
    reply = await FakeChannel(cluster.network).request("a", {"op": "hand_over", "charge_point_id": "CP-1"}, 1)

    assert reply == {"closed": False}
    assert cluster.locals["a"].here == {"CP-1"} and cluster.locals["a"].handed_over == []
    assert await cluster.presence.holder("CP-1") == "a"


async def test_refresh_keeps_the_lease_past_its_ttl(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.connect("a", await cluster.world.charger())

    for _ in range(3):
        cluster.clock.now += 20
        await a.refresh()

    assert await cluster.presence.holder("CP-1") == "a"
    assert cluster.locals["a"].resumed == []  # a live lease: nothing to record again


async def test_refresh_takes_back_a_lapsed_lease(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.connect("a", await cluster.world.charger())
    cluster.clock.now += 31  # e.g. Redis was unreachable for a while

    await a.refresh()

    assert await cluster.presence.holder("CP-1") == "a"
    # Another node may have ended the connection as orphaned meanwhile: it is recorded again.
    assert cluster.locals["a"].resumed == ["CP-1"]


async def test_refresh_lets_go_of_a_charger_another_node_claimed(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.connect("a", await cluster.world.charger())
    await cluster.presence.claim("CP-1", "b", ttl=30)  # b's message to a was lost

    await a.refresh()

    assert cluster.locals["a"].handed_over == [("CP-1", HANDED_OVER)]
    assert await cluster.presence.holder("CP-1") == "b"


async def test_a_failed_claim_is_retried_by_the_refresh(cluster: Cluster) -> None:
    a = await cluster.node("a")
    charger = await cluster.world.charger()
    cluster.locals["a"].here.add("CP-1")
    real_claim = cluster.presence.claim

    async def down(*_: Any) -> str | None:
        raise Unavailable("presence: Redis is unreachable")

    cluster.presence.claim = down  # type: ignore[method-assign]
    with pytest.raises(Unavailable):
        await a.claim(charger.charge_point_id)  # the registry logs it; the connection stands
    cluster.presence.claim = real_claim  # type: ignore[method-assign]

    await a.refresh()

    assert await cluster.presence.holder("CP-1") == "a"


async def test_stop_releases_what_is_still_held_and_stops_serving(cluster: Cluster) -> None:
    a = await cluster.node("a")
    await cluster.connect("a", await cluster.world.charger())

    await a.stop()

    assert await cluster.presence.holder("CP-1") is None
    assert "a" not in cluster.network.handlers
