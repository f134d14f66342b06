"""ResidentCharger, the demo's always-on charger, against a real server: it stays connected, Available and
heartbeating; it steps aside while another connection of its chargePointId is up and comes back after; it ends
when the server shuts down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from autocharge.main import Autocharge
from autocharge.simulator import ResidentCharger, Step
from tests.e2e.harness import TenantAccess, charger, eventually, running, tenant_access
from tests.e2e.harness import test_settings as settings_for

STATE = "query($c: ID!) { charger(id: $c) { connectionState connectors { connectorId status } } }"
HEARTBEATS = (
    'query($c: ID!) { ocppLogs(chargerId: $c, action: "Heartbeat", first: 50) { edges { node { direction } } } }'
)


def not_connected(tenant: TenantAccess, charger_id: str) -> Callable[[], Awaitable[bool]]:
    async def is_free() -> bool:
        data = await tenant.read_only(STATE, c=charger_id)
        return bool(data["charger"]["connectionState"] != "CONNECTED")

    return is_free


def resident(server: Autocharge, tenant: TenantAccess, charger_id: str, notes: list[str]) -> ResidentCharger:
    def report(step: Step) -> None:
        notes.append(str(step))

    return ResidentCharger(
        f"{server.ocpp_url}/CP-R",
        is_free=not_connected(tenant, charger_id),
        heartbeat_seconds=0.2,
        reporter=report,
        poll_seconds=0.1,
        retry_seconds=0.1,
    )


async def test_it_stays_connected_with_its_connector_available_and_heartbeats(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-R")
    always_on = resident(server, acme, charger_id, [])
    running_task = asyncio.create_task(always_on.run())
    try:
        await asyncio.wait_for(always_on.connected.wait(), 10)

        async def heartbeats_sent() -> bool:
            logs = await acme.read_only(HEARTBEATS, c=charger_id)
            sent = [edge for edge in logs["ocppLogs"]["edges"] if edge["node"]["direction"] == "FROM_CHARGER"]
            return len(sent) >= 3

        await eventually(heartbeats_sent, within=10)
        state = (await acme.read_only(STATE, c=charger_id))["charger"]
    finally:
        running_task.cancel()

    assert state == {"connectionState": "CONNECTED", "connectors": [{"connectorId": 1, "status": "Available"}]}


async def test_it_steps_aside_for_another_connection_of_its_id_and_comes_back_when_that_one_leaves(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-R")
    notes: list[str] = []
    always_on = resident(server, acme, charger_id, notes)
    running_task = asyncio.create_task(always_on.run())
    try:
        await asyncio.wait_for(always_on.connected.wait(), 10)

        async with charger(server, "CP-R") as visitor:
            assert await visitor.boot() == "Accepted"

            async def stepped_aside() -> bool:
                return not always_on.connected.is_set()

            await eventually(stepped_aside)
            await asyncio.sleep(1)  # ten polls: the resident must not take the charger back meanwhile
            assert await visitor.heartbeat()  # still the visitor's connection
            assert not always_on.connected.is_set()

        await asyncio.wait_for(always_on.connected.wait(), 10)
        state = (await acme.read_only(STATE, c=charger_id))["charger"]
    finally:
        running_task.cancel()

    assert state["connectionState"] == "CONNECTED"
    assert "[CP-R] -- another connection took this charger over; stepping aside until it disconnects" in notes
    assert sum("idle and Available" in note for note in notes) == 2


async def test_it_ends_when_the_server_shuts_down(database_url: str) -> None:
    async with running(settings_for(database_url)) as server:
        acme = await tenant_access(server, "Acme Fleet")
        charger_id = await acme.admin.register_charger("CP-R")
        notes: list[str] = []
        always_on = resident(server, acme, charger_id, notes)
        running_task = asyncio.create_task(always_on.run())
        await asyncio.wait_for(always_on.connected.wait(), 10)

    await asyncio.wait_for(running_task, 10)  # returns by itself: no retrying against a server that went away
    assert notes[-1] == "[CP-R] -- the server is shutting down"


async def test_closed_for_any_other_reason_it_connects_again(database_url: str) -> None:
    # Heartbeats slower than the server's idle timeout: the server closes the connection, as a network would drop it.
    async with running(settings_for(database_url, charger_idle_timeout_seconds=0.5)) as server:
        acme = await tenant_access(server, "Acme Fleet")
        charger_id = await acme.admin.register_charger("CP-R")
        notes: list[str] = []
        always_on = ResidentCharger(
            f"{server.ocpp_url}/CP-R",
            is_free=not_connected(acme, charger_id),
            heartbeat_seconds=30,
            reporter=lambda step: notes.append(str(step)),
            retry_seconds=0.1,
        )
        running_task = asyncio.create_task(always_on.run())

        async def connected_twice() -> bool:
            return sum("idle and Available" in note for note in notes) >= 2

        try:
            await eventually(connected_twice, within=10)
        finally:
            running_task.cancel()

    assert "[CP-R] -- the connection closed (1000 idle timeout: no OCPP frame received); reconnecting in 0.1 s" in notes
