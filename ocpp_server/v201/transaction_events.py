"""OCPP 2.0.1 TransactionEvent: one request for start, updates and end, mapped onto the three use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ocpp.v201.enums import TransactionEventEnumType

from domain.commands import ReportMeterValues, StartTransaction, StopTransaction, Token
from domain.model import AuthorizationStatus
from domain.services import transactions
from domain.services.deps import Deps
from ocpp_server.values import EnergyReading, latest_energy
from ocpp_server.verdicts import log_verdict


class TransactionEvents:
    def __init__(self, deps: Deps, tenant_id: UUID, charger_id: UUID, log: Any) -> None:
        self._deps = deps
        self._tenant_id = tenant_id
        self._charger_id = charger_id
        self._log = log

    async def handle(
        self,
        event_type: str,
        timestamp: datetime,
        info: dict[str, Any],
        evse_id: int,
        token: Token | None,
        meter_values: list[dict[str, Any]] | None,
    ) -> AuthorizationStatus:
        """The authorization status of the token the event carried (or of its transaction)."""
        transaction_id: str = info["transaction_id"]
        reading = latest_energy(meter_values)
        if event_type == TransactionEventEnumType.started:
            return await self._start(transaction_id, evse_id, token, reading, timestamp)
        status = await self._update(transaction_id, evse_id, token, reading, timestamp)
        if event_type == TransactionEventEnumType.ended:
            stop = StopTransaction(
                self._charger_id,
                transaction_id,
                reading.wh if reading else None,
                timestamp,
                info.get("stopped_reason"),
            )
            await transactions.stop_transaction(self._deps.uow(self._tenant_id), stop)
        return status

    async def _start(
        self, transaction_id: str, evse_id: int, token: Token | None, reading: EnergyReading | None, at: datetime
    ) -> AuthorizationStatus:
        # The charger's transactionId is unique per station, so it is also what makes a retried start the same.
        command = StartTransaction(
            charger_id=self._charger_id,
            connector_id=evse_id,
            token=token,
            meter_start_wh=reading.wh if reading else 0,
            timestamp=at,
            start_key=transaction_id,
            ocpp_transaction_id=transaction_id,
            tenant_id=self._tenant_id,
        )
        _, verdict = await transactions.start_transaction(self._deps.uow, command, self._deps.clock)
        log_verdict(self._log, verdict, "TransactionEvent")
        return verdict.status

    async def _update(
        self, transaction_id: str, evse_id: int, token: Token | None, reading: EnergyReading | None, at: datetime
    ) -> AuthorizationStatus:
        command = ReportMeterValues(
            self._charger_id,
            transaction_id,
            reading.wh if reading else None,
            reading.timestamp if reading else at,
            token,
            tenant_id=self._tenant_id,
        )
        result = await transactions.report_meter_values(self._deps.uow, command, self._deps.clock)
        if result is None:
            # Its Started never reached us (lost, or sent to another back office): start it here, nothing is dropped.
            self._log.warning("transaction event for an unknown transaction", transaction_id=transaction_id)
            return await self._start(transaction_id, evse_id, token, reading, at)
        transaction, verdict = result
        if verdict is not None:
            log_verdict(self._log, verdict, "TransactionEvent")
        return verdict.status if verdict is not None else transaction.authorization
