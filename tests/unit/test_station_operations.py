"""Station operations on the fake unit of work: settings stored from the answer, changed only when accepted."""

from __future__ import annotations

import pytest

from domain.charger_commands import (
    CommandAnswer,
    LocalListEntry,
    ReadSettings,
    ReportedSetting,
    Reset,
    SendLocalList,
    WriteSetting,
)
from domain.commands import OperateCharger, SendFullLocalList, SetAutochargeEnabled, SyncLocalList
from domain.errors import Invalid, Unavailable
from domain.ids import new_id
from domain.model import RfidTag
from domain.services import station_operations as ops
from tests.unit.conftest import World
from tests.unit.fakes import FakeCommands

REPORT = CommandAnswer(
    "Accepted",
    (ReportedSetting("AutoChargeEnabled", "true", False), ReportedSetting("NumberOfConnectors", "1", True)),
)


async def test_a_report_replaces_the_stored_settings_and_a_switch_on_makes_the_charger_supported(world: World) -> None:
    charger = await world.charger()
    commands = FakeCommands()
    commands.answers["read_settings"] = REPORT
    charger.autocharge_supported = False
    async with world.uow() as uow:
        await uow.chargers.update(charger)
        await uow.commit()

    refreshed = await ops.refresh_settings(
        world.uow(), commands, OperateCharger(charger.id, ReadSettings()), world.clock
    )

    assert refreshed.autocharge_supported
    async with world.uow() as uow:
        stored = await uow.settings.for_chargers([charger.id])
    assert [(s.key, s.value, s.readonly) for s in stored] == [
        ("AutoChargeEnabled", "true", False),
        ("NumberOfConnectors", "1", True),
    ]


async def test_a_setting_is_written_only_when_reported_and_writable_and_stored_only_when_accepted(
    world: World,
) -> None:
    charger = await world.charger()
    commands = FakeCommands()
    commands.answers["read_settings"] = REPORT
    await ops.refresh_settings(world.uow(), commands, OperateCharger(charger.id, ReadSettings()), world.clock)

    with pytest.raises(Invalid, match="read-only"):
        await ops.change_setting(
            world.uow(), commands, OperateCharger(charger.id, WriteSetting("NumberOfConnectors", "2")), world.clock
        )
    with pytest.raises(Invalid, match="has not reported"):
        await ops.change_setting(
            world.uow(), commands, OperateCharger(charger.id, WriteSetting("Nope", "2")), world.clock
        )
    commands.accept = False
    answer = await ops.set_autocharge_enabled(
        world.uow(), commands, SetAutochargeEnabled(charger.id, False), world.clock
    )
    assert (answer.status, answer.accepted) == ("Rejected", False)
    assert commands.sent[-1][1][1] == WriteSetting("AutoChargeEnabled", "false")
    async with world.uow() as uow:
        (switch, _) = await uow.settings.for_chargers([charger.id])
    assert switch.value == "true"  # unchanged: the charger refused


async def test_the_local_list_version_moves_only_when_the_charger_accepts(world: World) -> None:
    charger = await world.charger()
    commands = FakeCommands(accept=False)
    await ops.send_local_list(world.uow(), commands, SendFullLocalList(charger.id))
    commands.accept = True
    await ops.send_local_list(world.uow(), commands, SendFullLocalList(charger.id))
    sent = [command for _, (_, command) in commands.sent]
    assert [(c.version, c.full) for c in sent if isinstance(c, SendLocalList)] == [(1, True), (1, True)]
    async with world.uow() as uow:
        stored = await uow.chargers.get(charger.id)
    assert stored is not None and stored.local_list_version == 1


async def test_a_disconnected_charger_is_unavailable_and_nothing_is_sent(world: World) -> None:
    charger = await world.charger(connected=False)
    commands = FakeCommands()
    with pytest.raises(Unavailable, match="not connected"):
        await ops.reset(world.uow(), commands, OperateCharger(charger.id, Reset(hard=False)))
    assert commands.sent == []


async def test_a_local_list_is_synced_with_only_what_changed_and_not_at_all_when_nothing_did(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    commands = FakeCommands()
    async with world.uow() as uow:
        await uow.rfid_tags.add(RfidTag(id=new_id(), tenant_id=uow.tenant_id, user_id=user.id, id_tag="T1",
                                        created_at=world.clock()))  # fmt: skip
        await uow.commit()
    await ops.send_local_list(world.uow(), commands, SendFullLocalList(charger.id))
    assert await ops.sync_local_list(world.uow(), commands, SyncLocalList(charger.id)) is None  # nothing changed

    async with world.uow() as uow:
        (tag,) = await uow.rfid_tags.for_users([user.id])
        await uow.rfid_tags.remove(tag)
        await uow.rfid_tags.add(RfidTag(id=new_id(), tenant_id=uow.tenant_id, user_id=user.id, id_tag="T2",
                                        created_at=world.clock()))  # fmt: skip
        await uow.commit()
    answer = await ops.sync_local_list(world.uow(), commands, SyncLocalList(charger.id))

    assert answer is not None and answer.accepted
    _, (_, update) = commands.sent[-1]
    assert update == SendLocalList(2, False, (LocalListEntry("T2", False),), ("T1",))
    assert await ops.sync_local_list(world.uow(), commands, SyncLocalList(charger.id)) is None
