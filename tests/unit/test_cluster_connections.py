"""A connection that ends late, on another process, never overwrites the charger's newer connection."""

from __future__ import annotations

from domain.commands import ReportConnected, ReportDisconnected
from domain.events import ChargerChange, ChargerStatusChanged
from domain.model import ConnectionState
from domain.services import chargers
from tests.unit.conftest import World


def changes(world: World) -> list[ChargerChange]:
    return [e.change for e in world.store.published if isinstance(e, ChargerStatusChanged)]


async def test_every_connection_gets_its_own_id(world: World) -> None:
    charger = await world.charger(connected=False)

    first = await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "1.6"), world.clock)
    second = await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "2.0.1"), world.clock)

    assert first.connection_id is not None and second.connection_id is not None
    assert first.connection_id != second.connection_id


async def test_the_current_connection_ending_disconnects_the_charger(world: World) -> None:
    charger = await world.charger(connected=False)
    connected = await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "1.6"), world.clock)
    assert connected.connection_id is not None

    world.clock.advance(60)
    gone = await chargers.charger_disconnected(
        world.uow(), ReportDisconnected(charger.id, connected.connection_id), world.clock
    )

    assert gone.connection_state is ConnectionState.DISCONNECTED
    assert gone.connection_id is None and gone.last_seen_at == world.clock.now
    assert changes(world)[-1] is ChargerChange.DISCONNECTED


async def test_an_older_connection_ending_late_changes_nothing(world: World) -> None:
    charger = await world.charger(connected=False)
    old = await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "1.6"), world.clock)
    new = await chargers.charger_connected(
        world.uow(), ReportConnected(charger.id, "1.6"), world.clock
    )  # on another process
    assert old.connection_id is not None
    published = len(world.store.published)

    after = await chargers.charger_disconnected(
        world.uow(), ReportDisconnected(charger.id, old.connection_id), world.clock
    )

    assert after.connection_state is ConnectionState.CONNECTED and after.connection_id == new.connection_id
    stored = await world.uow().chargers.get(charger.id)
    assert stored is not None and stored.connection_state is ConnectionState.CONNECTED
    assert len(world.store.published) == published  # nobody is told the charger left


async def test_a_repeated_disconnection_is_recorded_once(world: World) -> None:
    charger = await world.charger(connected=False)
    connected = await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "1.6"), world.clock)
    assert connected.connection_id is not None

    await chargers.charger_disconnected(
        world.uow(), ReportDisconnected(charger.id, connected.connection_id), world.clock
    )
    await chargers.charger_disconnected(
        world.uow(), ReportDisconnected(charger.id, connected.connection_id), world.clock
    )

    assert changes(world).count(ChargerChange.DISCONNECTED) == 1
