"""OCPP 1.6J: how each domain command is sent, and its answer read."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from domain.charger_commands import (
    ChangeAvailability,
    CommandAnswer,
    ReadSettings,
    ReportedSetting,
    Reset,
    SendLocalList,
    StartCharging,
    StopCharging,
    Trigger,
    Unlock,
    WriteSetting,
)
from domain.errors import Invalid
from ocpp_server.commands import TRIGGERED_MESSAGES, Senders, ask, status_of

SENDERS = Senders()


@SENDERS.of(StartCharging, "RemoteStartTransaction")
async def start_charging(cp: Any, command: StartCharging) -> CommandAnswer:
    answer = await ask(cp, call.RemoteStartTransaction(id_tag=command.id_tag, connector_id=command.connector_id))
    return CommandAnswer(status_of(answer))


@SENDERS.of(StopCharging, "RemoteStopTransaction")
async def stop_charging(cp: Any, command: StopCharging) -> CommandAnswer:
    try:
        number = int(command.ocpp_transaction_id)
    except ValueError:
        raise Invalid(f"transaction {command.ocpp_transaction_id!r} has no OCPP 1.6 transactionId") from None
    return CommandAnswer(status_of(await ask(cp, call.RemoteStopTransaction(transaction_id=number))))


@SENDERS.of(Reset, "Reset")
async def reset(cp: Any, command: Reset) -> CommandAnswer:
    return CommandAnswer(status_of(await ask(cp, call.Reset(type="Hard" if command.hard else "Soft"))))


@SENDERS.of(Unlock, "UnlockConnector")
async def unlock(cp: Any, command: Unlock) -> CommandAnswer:
    return CommandAnswer(status_of(await ask(cp, call.UnlockConnector(connector_id=command.connector_id))))


@SENDERS.of(ChangeAvailability, "ChangeAvailability")
async def change_availability(cp: Any, command: ChangeAvailability) -> CommandAnswer:
    kind = "Operative" if command.operative else "Inoperative"
    return CommandAnswer(
        status_of(await ask(cp, call.ChangeAvailability(connector_id=command.connector_id, type=kind)))
    )


@SENDERS.of(Trigger, "TriggerMessage")
async def trigger(cp: Any, command: Trigger) -> CommandAnswer:
    request = call.TriggerMessage(
        requested_message=TRIGGERED_MESSAGES[command.message], connector_id=command.connector_id
    )
    return CommandAnswer(status_of(await ask(cp, request)))


@SENDERS.of(ReadSettings, "GetConfiguration")
async def read_settings(cp: Any, command: ReadSettings) -> CommandAnswer:
    answer = await ask(cp, call.GetConfiguration())
    settings = tuple(
        ReportedSetting(str(entry["key"]), entry.get("value"), bool(entry["readonly"]))
        for entry in answer.configuration_key or []
    )
    return CommandAnswer("Accepted", settings)


@SENDERS.of(WriteSetting, "ChangeConfiguration")
async def write_setting(cp: Any, command: WriteSetting) -> CommandAnswer:
    return CommandAnswer(status_of(await ask(cp, call.ChangeConfiguration(key=command.key, value=command.value))))


@SENDERS.of(SendLocalList, "SendLocalList")
async def send_local_list(cp: Any, command: SendLocalList) -> CommandAnswer:
    entries: list[dict[str, Any]] = [
        {"id_tag": entry.id_tag, "id_tag_info": {"status": "Accepted"}} for entry in command.entries
    ]
    entries += [{"id_tag": id_tag} for id_tag in command.removed]  # no idTagInfo: taken off the list
    request = call.SendLocalList(
        list_version=command.version,
        update_type="Full" if command.full else "Differential",
        local_authorization_list=entries,
    )
    return CommandAnswer(status_of(await ask(cp, request)))
