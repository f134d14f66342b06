"""Charging sessions as chargers report them: started, metered, stopped; retries never duplicate."""

from __future__ import annotations

from uuid import UUID

from domain.commands import ReportMeterValues, StartTransaction, StopTransaction
from domain.errors import Conflict
from domain.events import TransactionChange, TransactionChanged
from domain.ids import Clock, new_id, utcnow
from domain.model import AuthorizationStatus, Transaction, TransactionOrigin, TransactionStatus
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.services._common import found, snapshot
from domain.services.authorization import Verdict, judge
from domain.services.pairing import PairingRaceLost


def _announce(uow: UnitOfWork, transaction: Transaction, change: TransactionChange) -> None:
    uow.publish(TransactionChanged(tenant_id=transaction.tenant_id, change=change, transaction=snapshot(transaction)))


def _verdict_of(transaction: Transaction) -> Verdict:
    return Verdict(
        transaction.authorization, transaction.origin, transaction.id_tag, transaction.user_id, transaction.vehicle_id
    )


async def start_transaction(
    uow_factory: UnitOfWorkFactory, cmd: StartTransaction, clock: Clock = utcnow
) -> tuple[Transaction, Verdict]:
    """Store the start, even when the token is not accepted (the charger may already deliver energy)."""
    allow_capture = True
    for _attempt in range(3):
        try:
            return await _start_once(uow_factory(cmd.tenant_id), cmd, clock, allow_capture)
        except PairingRaceLost:
            allow_capture = False
        except Conflict:
            pass  # the same start, retried concurrently, won the insert: the next pass finds it
    raise Conflict("the transaction start could not be stored; retry")


async def _start_once(
    uow: UnitOfWork, cmd: StartTransaction, clock: Clock, allow_capture: bool
) -> tuple[Transaction, Verdict]:
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        existing = await uow.transactions.by_start_key(charger.id, cmd.start_key)
        if existing is None and cmd.ocpp_transaction_id is not None:
            existing = await uow.transactions.by_ocpp_id(charger.id, cmd.ocpp_transaction_id)
        if existing is not None:
            return existing, _verdict_of(existing)
        if cmd.token is not None:
            verdict = await judge(uow, charger, cmd.token, clock(), allow_capture)
        else:  # 2.0.1 may start on plug-in and present the token in a later event
            verdict = Verdict(AuthorizationStatus.INVALID, TransactionOrigin.RFID, "")
        ocpp_id = cmd.ocpp_transaction_id or str(await uow.transactions.next_ocpp_number())
        transaction = Transaction(
            id=new_id(),
            tenant_id=uow.tenant_id,
            charger_id=charger.id,
            connector_id=cmd.connector_id,
            ocpp_transaction_id=ocpp_id,
            start_key=cmd.start_key,
            id_tag=verdict.id_tag,
            origin=verdict.origin,
            authorization=verdict.status,
            user_id=verdict.user_id,
            vehicle_id=verdict.vehicle_id,
            started_at=cmd.timestamp,
            meter_start_wh=cmd.meter_start_wh,
        )
        await uow.transactions.add(transaction)
        if verdict.remote_start is not None:
            verdict.remote_start.transaction_id = transaction.id
            await uow.remote_starts.update(verdict.remote_start)
        _announce(uow, transaction, TransactionChange.STARTED)
        await uow.commit()
    return transaction, verdict


async def report_meter_values(
    uow_factory: UnitOfWorkFactory, cmd: ReportMeterValues, clock: Clock = utcnow
) -> tuple[Transaction, Verdict | None] | None:
    """Keep energy current, and judge a token presented mid-transaction (2.0.1). None: unknown transaction.

    A transaction that started without a token (2.0.1 starts on plug-in) is attributed to the first token
    it presents, which a waiting pairing session may capture like any other; a later, different token is
    judged on its own and changes nothing.
    """
    allow_capture = True
    for _attempt in range(2):
        try:
            return await _report_once(uow_factory(cmd.tenant_id), cmd, clock, allow_capture)
        except PairingRaceLost:
            allow_capture = False
    raise AssertionError("unreachable: the second pass never captures")


async def _report_once(
    uow: UnitOfWork, cmd: ReportMeterValues, clock: Clock, allow_capture: bool
) -> tuple[Transaction, Verdict | None] | None:
    async with uow:
        transaction = await _of_charger(uow, cmd.charger_id, cmd.ocpp_transaction_id)
        if transaction is None:
            return None
        verdict = None
        if cmd.token is not None:
            charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
            first_token = not transaction.id_tag
            verdict = await judge(uow, charger, cmd.token, clock(), allow_capture and first_token)
            if first_token:
                _attribute(transaction, verdict)
        if cmd.energy_wh is not None and transaction.is_active:
            transaction.meter_last_wh = cmd.energy_wh
        await uow.transactions.update(transaction)
        _announce(uow, transaction, TransactionChange.METER_VALUES)
        await uow.commit()
    return transaction, verdict


async def _of_charger(uow: UnitOfWork, charger_id: UUID, ocpp_transaction_id: str) -> Transaction | None:
    """The charger's transaction; NotFound when the charger itself is gone (a transaction implies its charger,
    so the charger is read only when none is found)."""
    transaction = await uow.transactions.by_ocpp_id(charger_id, ocpp_transaction_id)
    if transaction is None:
        found(await uow.chargers.get(charger_id), "charger", charger_id)
    return transaction


def _attribute(transaction: Transaction, verdict: Verdict) -> None:
    transaction.id_tag = verdict.id_tag
    transaction.origin = verdict.origin
    transaction.authorization = verdict.status
    transaction.user_id = verdict.user_id
    transaction.vehicle_id = verdict.vehicle_id


async def stop_transaction(uow: UnitOfWork, cmd: StopTransaction) -> Transaction | None:
    """Idempotent: a retried stop of a completed transaction changes nothing. None: unknown id."""
    async with uow:
        transaction = await _of_charger(uow, cmd.charger_id, cmd.ocpp_transaction_id)
        if transaction is None or not transaction.is_active:
            return transaction
        transaction.status = TransactionStatus.COMPLETED
        transaction.stopped_at = cmd.timestamp
        transaction.meter_stop_wh = cmd.meter_stop_wh if cmd.meter_stop_wh is not None else transaction.meter_last_wh
        transaction.stop_reason = cmd.reason
        await uow.transactions.update(transaction)
        _announce(uow, transaction, TransactionChange.STOPPED)
        await uow.commit()
    return transaction
