"""Station operations: commands an operator sends a charger, wherever it is connected, and what follows from
the answer (settings stored, the local list version kept)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.autocharge_switches import AutochargeReadiness, find_switch, readiness
from domain.charger_commands import (
    ChangeAvailability,
    ChargerCommand,
    CommandAnswer,
    LocalListEntry,
    ReadSettings,
    ReportedSetting,
    Reset,
    SendLocalList,
    Trigger,
    Unlock,
    WriteSetting,
)
from domain.commands import OperateCharger, SendFullLocalList, SetAutochargeEnabled, SyncLocalList
from domain.errors import Invalid, Unavailable
from domain.events import ChargerChange
from domain.ids import Clock, utcnow
from domain.model import Charger, ChargerSetting
from domain.ports import ChargerCommands, UnitOfWork
from domain.services._common import found
from domain.services.chargers import changed


async def _connected_charger(uow: UnitOfWork, charger_id: UUID) -> Charger:
    async with uow:
        charger = found(await uow.chargers.get(charger_id), "charger", charger_id)
    if not charger.is_connected:
        raise Unavailable(f"charger {charger.charge_point_id} is not connected")
    return charger


async def _operate(uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[ChargerCommand]) -> CommandAnswer:
    """Send a command whose answer changes nothing stored: its status is the result."""
    return await commands.send(await _connected_charger(uow, cmd.charger_id), cmd.command)


async def reset(uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[Reset]) -> CommandAnswer:
    return await _operate(uow, commands, cmd)


async def unlock_connector(uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[Unlock]) -> CommandAnswer:
    if cmd.command.connector_id < 1:
        raise Invalid("connectorId starts at 1")
    return await _operate(uow, commands, cmd)


async def change_availability(
    uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[ChangeAvailability]
) -> CommandAnswer:
    if cmd.command.connector_id < 0:
        raise Invalid("connectorId is 0 (the whole charger) or more")
    return await _operate(uow, commands, cmd)


async def trigger_message(uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[Trigger]) -> CommandAnswer:
    connector_id = cmd.command.connector_id
    if connector_id is not None and connector_id < 0:
        raise Invalid("connectorId is 0 or more")
    return await _operate(uow, commands, cmd)


# --- settings ---


def _stored(charger: Charger, reported: ReportedSetting, clock: Clock) -> ChargerSetting:
    return ChargerSetting(
        tenant_id=charger.tenant_id,
        charger_id=charger.id,
        key=reported.key,
        value=reported.value,
        readonly=reported.readonly,
        reported_at=clock(),
    )


def as_reported(settings: Sequence[ChargerSetting]) -> list[ReportedSetting]:
    return [ReportedSetting(s.key, s.value, s.readonly) for s in settings]


async def refresh_settings(
    uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[ReadSettings], clock: Clock = utcnow
) -> Charger:
    """Read every setting from the charger and store them, replacing what was stored."""
    charger_id = cmd.charger_id
    charger = await _connected_charger(uow, charger_id)
    answer = await commands.send(charger, cmd.command)
    if not answer.accepted:
        raise Unavailable(f"charger {charger.charge_point_id} refused to report its settings: {answer.status}")
    async with uow:
        charger = found(await uow.chargers.get(charger_id), "charger", charger_id)
        await uow.settings.replace(charger.id, [_stored(charger, s, clock) for s in answer.settings])
        await _note_switch(uow, charger, answer.settings)
        await uow.commit()
    return charger


async def _note_switch(uow: UnitOfWork, charger: Charger, settings: Sequence[ReportedSetting]) -> None:
    """A charger that reports its Autocharge switch on supports Autocharge."""
    ready, _ = readiness(settings, token_seen=False)
    if ready is AutochargeReadiness.ENABLED and not charger.autocharge_supported:
        charger.autocharge_supported = True
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.UPDATED)


async def change_setting(
    uow: UnitOfWork, commands: ChargerCommands, cmd: OperateCharger[WriteSetting], clock: Clock = utcnow
) -> CommandAnswer:
    """Write one setting; the stored value changes only when the charger accepts."""
    charger_id, key, value = cmd.charger_id, cmd.command.key, cmd.command.value
    async with uow:
        charger = found(await uow.chargers.get(charger_id), "charger", charger_id)
        stored = {s.key: s for s in await uow.settings.for_chargers([charger_id])}
    setting = stored.get(key)
    if setting is None:
        raise Invalid(f"charger {charger.charge_point_id} has not reported a setting {key!r}")
    if setting.readonly:
        raise Invalid(f"setting {key!r} of charger {charger.charge_point_id} is read-only")
    if not charger.is_connected:
        raise Unavailable(f"charger {charger.charge_point_id} is not connected")
    answer = await commands.send(charger, cmd.command)
    if answer.accepted:
        async with uow:
            charger = found(await uow.chargers.get(charger_id), "charger", charger_id)
            reported = ReportedSetting(key, value, readonly=False)
            await uow.settings.put(_stored(charger, reported, clock))
            await _note_switch(uow, charger, [reported])
            await uow.commit()
    return answer


async def set_autocharge_enabled(
    uow: UnitOfWork, commands: ChargerCommands, cmd: SetAutochargeEnabled, clock: Clock = utcnow
) -> CommandAnswer:
    charger_id = cmd.charger_id
    async with uow:
        charger = found(await uow.chargers.get(charger_id), "charger", charger_id)
        settings = await uow.settings.for_chargers([charger_id])
    switch = find_switch(as_reported(settings))
    if switch is None:
        raise Invalid(f"charger {charger.charge_point_id} has reported no known Autocharge switch among its settings")
    setting, kind = switch
    write = WriteSetting(setting.key, kind.on if cmd.enabled else kind.off)
    return await change_setting(uow, commands, OperateCharger(charger_id, write), clock)


# --- the local authorisation list ---


async def send_local_list(uow: UnitOfWork, commands: ChargerCommands, cmd: SendFullLocalList) -> CommandAnswer:
    """Send the whole list (Full): every ACTIVE identifier and RFID tag; the version is kept once accepted."""
    charger = await _connected_charger(uow, cmd.charger_id)
    async with uow:
        entries = await uow.local_list.entries()
    return await _send_list(uow, commands, charger, SendLocalList(_next(charger), True, tuple(entries)), entries)


def _next(charger: Charger) -> int:
    return (charger.local_list_version or 0) + 1


async def _send_list(
    uow: UnitOfWork, commands: ChargerCommands, charger: Charger, command: SendLocalList, now_held: list[LocalListEntry]
) -> CommandAnswer:
    """Send; once accepted, remember the version and the list the charger now holds."""
    answer = await commands.send(charger, command)
    if answer.accepted:
        async with uow:
            charger = found(await uow.chargers.get(charger.id), "charger", charger.id)
            charger.local_list_version = command.version
            await uow.local_list.record_accepted(charger.id, command.version, now_held)
            changed(uow, charger, ChargerChange.UPDATED)
            await uow.commit()
    return answer


async def sync_local_list(uow: UnitOfWork, commands: ChargerCommands, cmd: SyncLocalList) -> CommandAnswer | None:
    """Bring a charger's local list up to date with a Differential update (None: it already is, or it holds no
    list); a charger that refuses the version gets the whole list again."""
    charger_id = cmd.charger_id
    charger = await _connected_charger(uow, charger_id)
    if charger.local_list_version is None:
        return None
    async with uow:
        entries = await uow.local_list.entries()
        held = await uow.local_list.accepted(charger_id)
    wanted, have = {e.id_tag: e for e in entries}, {e.id_tag: e for e in held}
    added = tuple(e for tag, e in wanted.items() if have.get(tag) != e)
    removed = tuple(tag for tag in have if tag not in wanted)
    if not added and not removed:
        return None
    answer = await _send_list(uow, commands, charger, SendLocalList(_next(charger), False, added, removed), entries)
    if answer.status == "VersionMismatch":
        return await send_local_list(uow, commands, SendFullLocalList(charger_id))
    return answer
