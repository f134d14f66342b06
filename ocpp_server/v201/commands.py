"""OCPP 2.0.1: how each domain command is sent, and its answer read."""

from __future__ import annotations

import secrets
from typing import Any

from ocpp.v201 import call

from domain.charger_commands import (
    ChangeAvailability,
    CommandAnswer,
    LocalListEntry,
    ReadSettings,
    Reset,
    SendLocalList,
    StartCharging,
    StopCharging,
    Trigger,
    Unlock,
    WriteSetting,
)
from ocpp_server.commands import TRIGGERED_MESSAGES, Senders, ask, status_of
from ocpp_server.v201.reports import component_and_variable

SENDERS = Senders()


def _request_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


@SENDERS.of(StartCharging, "RequestStartTransaction")
async def start_charging(cp: Any, command: StartCharging) -> CommandAnswer:
    request = call.RequestStartTransaction(
        id_token={"id_token": command.id_tag, "type": "Central"},
        remote_start_id=_request_id(),
        evse_id=command.connector_id,
    )
    return CommandAnswer(status_of(await ask(cp, request)))


@SENDERS.of(StopCharging, "RequestStopTransaction")
async def stop_charging(cp: Any, command: StopCharging) -> CommandAnswer:
    return CommandAnswer(
        status_of(await ask(cp, call.RequestStopTransaction(transaction_id=command.ocpp_transaction_id)))
    )


@SENDERS.of(Reset, "Reset")
async def reset(cp: Any, command: Reset) -> CommandAnswer:
    return CommandAnswer(status_of(await ask(cp, call.Reset(type="Immediate" if command.hard else "OnIdle"))))


@SENDERS.of(Unlock, "UnlockConnector")
async def unlock(cp: Any, command: Unlock) -> CommandAnswer:
    # Our connector is the 2.0.1 EVSE; each EVSE has its connector 1.
    return CommandAnswer(status_of(await ask(cp, call.UnlockConnector(evse_id=command.connector_id, connector_id=1))))


@SENDERS.of(ChangeAvailability, "ChangeAvailability")
async def change_availability(cp: Any, command: ChangeAvailability) -> CommandAnswer:
    status = "Operative" if command.operative else "Inoperative"
    evse = {"id": command.connector_id} if command.connector_id else None
    return CommandAnswer(status_of(await ask(cp, call.ChangeAvailability(operational_status=status, evse=evse))))


@SENDERS.of(Trigger, "TriggerMessage")
async def trigger(cp: Any, command: Trigger) -> CommandAnswer:
    evse = {"id": command.connector_id} if command.connector_id else None
    request = call.TriggerMessage(requested_message=TRIGGERED_MESSAGES[command.message], evse=evse)
    return CommandAnswer(status_of(await ask(cp, request)))


@SENDERS.of(ReadSettings, "GetBaseReport")
async def read_settings(cp: Any, command: ReadSettings) -> CommandAnswer:
    """GetBaseReport FullInventory, then every NotifyReport part: returns once the last part is in."""
    request_id = _request_id()
    report = cp.reports.expect(request_id)  # before the call: a part may come before its CALLRESULT
    try:
        answer = await ask(cp, call.GetBaseReport(request_id=request_id, report_base="FullInventory"))
        status = status_of(answer)
        if status != "Accepted":
            return CommandAnswer(status)
        await report.complete.wait()  # the session's command timeout bounds the whole report
        return CommandAnswer(status, report.settings())
    finally:
        cp.reports.forget(request_id)


@SENDERS.of(WriteSetting, "SetVariables")
async def write_setting(cp: Any, command: WriteSetting) -> CommandAnswer:
    component, variable = component_and_variable(command.key)
    data = [{"attribute_value": command.value, "component": component, "variable": variable}]
    answer = await ask(cp, call.SetVariables(set_variable_data=data))
    return CommandAnswer(str(answer.set_variable_result[0]["attribute_status"]))


def _id_token(entry: LocalListEntry) -> dict[str, str]:
    if entry.vehicle:
        return {"id_token": entry.id_tag.removeprefix("VID:"), "type": "MacAddress"}
    return {"id_token": entry.id_tag, "type": "ISO14443"}


@SENDERS.of(SendLocalList, "SendLocalList")
async def send_local_list(cp: Any, command: SendLocalList) -> CommandAnswer:
    entries: list[dict[str, Any]] = [
        {
            # A 2.0.1 charging station presents a vehicle as a MacAddress token: its hex, without "VID:".
            "id_token": _id_token(entry),
            "id_token_info": {"status": "Accepted"},
        }
        for entry in command.entries
    ]
    entries += [{"id_token": _id_token(LocalListEntry(t, t.startswith("VID:")))} for t in command.removed]
    request = call.SendLocalList(
        version_number=command.version,
        update_type="Full" if command.full else "Differential",
        local_authorization_list=entries or None,
    )
    return CommandAnswer(status_of(await ask(cp, request)))
