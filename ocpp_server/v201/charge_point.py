"""OCPP 2.0.1: the charging station's requests, turned into domain commands; the commands we send are in
commands.py, the reports that follow GetBaseReport in reports.py."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call_result
from ocpp.v201.enums import (
    Action,
    DataTransferStatusEnumType,
    IdTokenEnumType,
    RegistrationStatusEnumType,
)

from domain.commands import Authorize, ReportBoot, ReportConnectorStatus, ReportSeen, Token
from domain.model import AuthorizationStatus
from domain.services import authorization, chargers
from ocpp_server.charge_point import BaseChargePoint, handles
from ocpp_server.v201.commands import SENDERS
from ocpp_server.v201.reports import Reports
from ocpp_server.v201.transaction_events import TransactionEvents
from ocpp_server.values import parse_timestamp
from ocpp_server.verdicts import log_verdict


def token_of(id_token: dict[str, Any] | None) -> Token | None:
    """The token an IdTokenType presents; NoAuthorization presents none."""
    if not id_token or id_token.get("type") == IdTokenEnumType.no_authorization:
        return None
    # Type Central (our RequestStartTransaction's one-off token) is not a MacAddress: judged like RFID, so the
    # pending remote start is found by its id_tag.
    return Token.from_ocpp201(id_token["id_token"], id_token["type"])


class ChargePoint201(BaseChargePoint):
    version = "2.0.1"
    results = call_result
    senders = SENDERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reports = Reports()

    @handles(Action.boot_notification)
    async def on_boot_notification(self, charging_station: dict[str, Any], **_: Any) -> call_result.BootNotification:
        boot = ReportBoot(
            self.charger_id,
            charging_station.get("vendor_name"),
            charging_station.get("model"),
            charging_station.get("firmware_version"),
        )
        await self.read_settings_after_boot(boot.firmware_version)
        await chargers.report_boot(self.uow(), boot, self.ctx.deps.clock)
        return call_result.BootNotification(
            current_time=self.now_text(),
            interval=self.ctx.heartbeat_interval,
            status=RegistrationStatusEnumType.accepted,
        )

    @handles(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        await chargers.charger_seen(self.uow(), ReportSeen(self.charger_id), self.ctx.deps.clock)
        return call_result.Heartbeat(current_time=self.now_text())

    @handles(Action.status_notification)
    async def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        # The EVSE is what charges, what TransactionEvent and RequestStartTransaction name: it is our "connector".
        status = ReportConnectorStatus(self.charger_id, evse_id, connector_status, parse_timestamp(timestamp))
        await chargers.report_connector_status(self.uow(), status, self.ctx.deps.clock)
        return call_result.StatusNotification()

    @handles(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        token = Token.from_ocpp201(id_token["id_token"], id_token["type"])
        verdict = await authorization.authorize(
            self.ctx.deps.uow,
            self.ctx.deps.tokens,
            Authorize(self.charger_id, token, tenant_id=self.tenant_id),
            self.ctx.deps.clock,
        )
        log_verdict(self.log, verdict, "Authorize")
        return call_result.Authorize(id_token_info={"status": verdict.status.value})

    @handles(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        events = TransactionEvents(self.ctx.deps, self.tenant_id, self.charger_id, self.log)
        status = await events.handle(
            event_type,
            parse_timestamp(timestamp),
            transaction_info,
            (evse or {}).get("id", 0),
            token_of(id_token),
            meter_value,
        )
        # The spec wants idTokenInfo whenever the request carried an idToken; NoAuthorization needs none.
        if id_token is None:
            info = None
        elif id_token.get("type") == IdTokenEnumType.no_authorization:
            info = {"status": AuthorizationStatus.ACCEPTED.value}
        else:
            info = {"status": status.value}
        return call_result.TransactionEvent(id_token_info=info)

    @handles(Action.meter_values)
    async def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        # Outside a TransactionEvent a reading names no transaction; nothing is kept, the frame is logged.
        return call_result.MeterValues()

    @handles(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)

    @handles(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, **_: Any) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()

    @handles(Action.security_event_notification)
    async def on_security_event_notification(self, **_: Any) -> call_result.SecurityEventNotification:
        return call_result.SecurityEventNotification()

    @handles(Action.notify_report)
    async def on_notify_report(
        self, request_id: int, seq_no: int, report_data: list[dict[str, Any]] | None = None, tbc: bool = False, **_: Any
    ) -> call_result.NotifyReport:
        if not self.reports.receive(request_id, seq_no, report_data, tbc):
            self.log.info("a report part nobody waits for", request_id=request_id, seq_no=seq_no)
        return call_result.NotifyReport()

    @handles(Action.notify_event)
    async def on_notify_event(self, **_: Any) -> call_result.NotifyEvent:
        return call_result.NotifyEvent()
