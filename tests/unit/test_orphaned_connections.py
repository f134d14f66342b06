"""Ending the connections of chargers whose process died: only those nobody holds, never a newer connection."""

from __future__ import annotations

from domain.commands import EndOrphanedConnections, ReportConnected
from domain.events import ChargerChange, ChargerStatusChanged
from domain.model import ConnectionState
from domain.queries import RecordedConnection
from domain.services import chargers
from tests.unit.conftest import World


def _recorded(charger: object) -> RecordedConnection:
    return RecordedConnection(
        charger.tenant_id,  # type: ignore[attr-defined]
        charger.id,  # type: ignore[attr-defined]
        charger.charge_point_id,  # type: ignore[attr-defined]
        charger.connection_id,  # type: ignore[attr-defined]
    )


async def test_a_connection_nobody_holds_ends_and_subscribers_are_told(world: World) -> None:
    orphan = await world.charger("CP-ORPHAN")
    live = await world.charger("CP-LIVE")
    asked: list[str] = []

    async def is_live(charge_point_id: str) -> bool:
        asked.append(charge_point_id)
        return charge_point_id == "CP-LIVE"

    recorded = EndOrphanedConnections((_recorded(orphan), _recorded(live)))
    ended = await chargers.end_orphaned_connections(world.factory, is_live, recorded, world.clock)

    assert [c.charge_point_id for c in ended] == ["CP-ORPHAN"]
    assert sorted(asked) == ["CP-LIVE", "CP-ORPHAN"]
    async with world.uow() as uow:
        states = {
            c.charge_point_id: c.connection_state
            for c in [await uow.chargers.get(orphan.id), await uow.chargers.get(live.id)]
            if c
        }
    assert states == {"CP-ORPHAN": ConnectionState.DISCONNECTED, "CP-LIVE": ConnectionState.CONNECTED}
    pushed = [e for e in world.store.published if isinstance(e, ChargerStatusChanged)]
    assert (pushed[-1].change, pushed[-1].charger.charge_point_id) == (ChargerChange.DISCONNECTED, "CP-ORPHAN")


async def test_a_charger_that_reconnected_since_keeps_its_new_connection(world: World) -> None:
    charger = await world.charger("CP-1")
    stale = _recorded(charger)  # read by the sweep, then the charger reconnects (a new connection id)
    await chargers.charger_connected(world.uow(), ReportConnected(charger.id, "1.6"), world.clock)

    async def nobody_holds_it(charge_point_id: str) -> bool:
        return False

    ended = await chargers.end_orphaned_connections(
        world.factory, nobody_holds_it, EndOrphanedConnections((stale,)), world.clock
    )

    assert ended == []
    async with world.uow() as uow:
        current = await uow.chargers.get(charger.id)
    assert current is not None
    assert current.connection_state is ConnectionState.CONNECTED
    assert current.connection_id not in (None, stale.connection_id)
