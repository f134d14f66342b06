"""On both databases: the connection id is stored; a late disconnection of an older connection is ignored."""

from __future__ import annotations

from domain.commands import ReportConnected, ReportDisconnected, ResumeConnection
from domain.events import ChargerChange, ChargerStatusChanged
from domain.model import ConnectionState
from domain.services import chargers
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import RecordingBus, Seed


async def test_only_the_current_connection_ending_disconnects_the_charger(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    old = await chargers.charger_connected(uow_factory(tenant.id), ReportConnected(charger.id, "1.6"))
    new = await chargers.charger_connected(
        uow_factory(tenant.id), ReportConnected(charger.id, "1.6")
    )  # on another process
    assert old.connection_id is not None and new.connection_id is not None

    await chargers.charger_disconnected(uow_factory(tenant.id), ReportDisconnected(charger.id, old.connection_id))
    async with uow_factory(tenant.id) as uow:
        stored = await uow.chargers.get(charger.id)
    assert stored is not None
    assert (stored.connection_state, stored.connection_id) == (ConnectionState.CONNECTED, new.connection_id)

    await chargers.charger_disconnected(uow_factory(tenant.id), ReportDisconnected(charger.id, new.connection_id))
    async with uow_factory(tenant.id) as uow:
        stored = await uow.chargers.get(charger.id)
    assert stored is not None
    assert (stored.connection_state, stored.connection_id) == (ConnectionState.DISCONNECTED, None)
    changes = [e.change for e in bus.events if isinstance(e, ChargerStatusChanged)]
    assert changes == [ChargerChange.CONNECTED, ChargerChange.CONNECTED, ChargerChange.DISCONNECTED]


async def test_a_connection_ended_as_orphaned_is_resumed_only_while_no_other_is_recorded(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    first = await chargers.charger_connected(uow_factory(tenant.id), ReportConnected(charger.id, "1.6"))
    assert first.connection_id is not None
    assert not await chargers.connection_resumed(
        uow_factory(tenant.id), ResumeConnection(charger.id, first.connection_id)
    )

    await chargers.charger_disconnected(
        uow_factory(tenant.id), ReportDisconnected(charger.id, first.connection_id)
    )  # the sweep
    assert await chargers.connection_resumed(uow_factory(tenant.id), ResumeConnection(charger.id, first.connection_id))
    async with uow_factory(tenant.id) as uow:
        stored = await uow.chargers.get(charger.id)
    assert stored is not None
    assert (stored.connection_state, stored.connection_id) == (ConnectionState.CONNECTED, first.connection_id)

    newer = await chargers.charger_connected(
        uow_factory(tenant.id), ReportConnected(charger.id, "1.6")
    )  # elsewhere, since
    assert not await chargers.connection_resumed(
        uow_factory(tenant.id), ResumeConnection(charger.id, first.connection_id)
    )
    async with uow_factory(tenant.id) as uow:
        stored = await uow.chargers.get(charger.id)
    assert stored is not None and stored.connection_id == newer.connection_id
    changes = [e.change for e in bus.events if isinstance(e, ChargerStatusChanged)]
    connected, disconnected = ChargerChange.CONNECTED, ChargerChange.DISCONNECTED
    assert changes == [connected, disconnected, connected, connected]
