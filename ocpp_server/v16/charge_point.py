"""OCPP 1.6J: the charger's requests, turned into domain commands; the commands we send are in commands.py."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ocpp.v16 import call_result
from ocpp.v16.enums import Action, DataTransferStatus, RegistrationStatus

from domain.commands import (
    Authorize,
    ReportBoot,
    ReportConnectorStatus,
    ReportMeterValues,
    ReportSeen,
    StartTransaction,
    StopTransaction,
    Token,
)
from domain.model import AuthorizationStatus
from domain.services import authorization, chargers, transactions
from ocpp_server.charge_point import BaseChargePoint, handles
from ocpp_server.v16.commands import SENDERS
from ocpp_server.values import latest_energy, parse_timestamp
from ocpp_server.verdicts import log_verdict


def start_key(connector_id: int, id_tag: str, meter_start: int, timestamp: str) -> str:
    """What makes a start the same start: a retried frame, or one reported twice, carries the same four fields."""
    canonical = parse_timestamp(timestamp).isoformat()
    return hashlib.sha256(f"{connector_id}|{id_tag}|{meter_start}|{canonical}".encode()).hexdigest()


def _id_tag_info(status: AuthorizationStatus) -> dict[str, str]:
    return {"status": status.value}


class ChargePoint16(BaseChargePoint):
    version = "1.6"
    results = call_result
    senders = SENDERS

    @handles(Action.boot_notification)
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, firmware_version: str | None = None, **_: Any
    ) -> call_result.BootNotification:
        await self.read_settings_after_boot(firmware_version)
        await chargers.report_boot(
            self.uow(),
            ReportBoot(self.charger_id, charge_point_vendor, charge_point_model, firmware_version),
            self.ctx.deps.clock,
        )
        return call_result.BootNotification(
            current_time=self.now_text(), interval=self.ctx.heartbeat_interval, status=RegistrationStatus.accepted
        )

    @handles(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        await chargers.charger_seen(self.uow(), ReportSeen(self.charger_id), self.ctx.deps.clock)
        return call_result.Heartbeat(current_time=self.now_text())

    @handles(Action.status_notification)
    async def on_status_notification(
        self, connector_id: int, status: str, timestamp: str | None = None, **_: Any
    ) -> call_result.StatusNotification:
        # connectorId 0 is the charge point itself; it is stored like any connector.
        at = parse_timestamp(timestamp) if timestamp else None
        await chargers.report_connector_status(
            self.uow(), ReportConnectorStatus(self.charger_id, connector_id, status, at), self.ctx.deps.clock
        )
        return call_result.StatusNotification()

    @handles(Action.authorize)
    async def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        verdict = await authorization.authorize(
            self.ctx.deps.uow,
            self.ctx.deps.tokens,
            Authorize(self.charger_id, Token.from_ocpp16(id_tag), tenant_id=self.tenant_id),
            self.ctx.deps.clock,
        )
        log_verdict(self.log, verdict, "Authorize")
        return call_result.Authorize(id_tag_info=_id_tag_info(verdict.status))

    @handles(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        command = StartTransaction(
            charger_id=self.charger_id,
            connector_id=connector_id,
            token=Token.from_ocpp16(id_tag),
            meter_start_wh=meter_start,
            timestamp=parse_timestamp(timestamp),
            start_key=start_key(connector_id, id_tag, meter_start, timestamp),
            tenant_id=self.tenant_id,
        )
        transaction, verdict = await transactions.start_transaction(self.ctx.deps.uow, command, self.ctx.deps.clock)
        log_verdict(self.log, verdict, "StartTransaction")
        # Answered with the verdict even when not accepted: the start is stored either way.
        return call_result.StartTransaction(
            transaction_id=int(transaction.ocpp_transaction_id), id_tag_info=_id_tag_info(verdict.status)
        )

    @handles(Action.meter_values)
    async def on_meter_values(
        self, meter_value: list[dict[str, Any]], transaction_id: int | None = None, **_: Any
    ) -> call_result.MeterValues:
        reading = latest_energy(meter_value)
        if transaction_id is not None and reading is not None:  # readings outside a transaction are not kept
            await self._report_energy(str(transaction_id), reading.wh, reading.timestamp)
        return call_result.MeterValues()

    @handles(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.StopTransaction:
        reading = latest_energy(transaction_data)
        if reading is not None:
            await self._report_energy(str(transaction_id), reading.wh, reading.timestamp)
        stopped = await transactions.stop_transaction(
            self.uow(),
            StopTransaction(self.charger_id, str(transaction_id), meter_stop, parse_timestamp(timestamp), reason),
        )
        if stopped is None:  # still answered, or the charger would retry a stop we can never place
            self.log.warning("stop of an unknown transaction", transaction_id=transaction_id)
        info = _id_tag_info(AuthorizationStatus.ACCEPTED) if id_tag is not None else None
        return call_result.StopTransaction(id_tag_info=info)

    @handles(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        # No vendor extensions are served; the frame is in the Real-Time Logs like every other.
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @handles(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, **_: Any) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()

    @handles(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, **_: Any) -> call_result.DiagnosticsStatusNotification:
        return call_result.DiagnosticsStatusNotification()

    async def _report_energy(self, ocpp_transaction_id: str, wh: int, at: datetime) -> None:
        command = ReportMeterValues(self.charger_id, ocpp_transaction_id, wh, at, tenant_id=self.tenant_id)
        if await transactions.report_meter_values(self.ctx.deps.uow, command, self.ctx.deps.clock) is None:
            self.log.warning("meter values for an unknown transaction", transaction_id=ocpp_transaction_id)
