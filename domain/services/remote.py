"""Remote start and stop: ask the charger, wherever it is connected, and recognise what follows."""

from __future__ import annotations

import secrets
from datetime import timedelta

from domain.charger_commands import StartCharging, StopCharging
from domain.commands import RemoteStartTransaction, RemoteStopTransaction
from domain.errors import Invalid, Unavailable
from domain.ids import Clock, new_id, utcnow
from domain.model import RemoteStart
from domain.ports import ChargerCommands, UnitOfWork
from domain.services._common import found

# How long the charger has to start the transaction after accepting: the OCPP connection timeout is similar.
REMOTE_START_VALIDITY = timedelta(minutes=5)


def _one_off_id_tag() -> str:
    # 20 characters (an OCPP 1.6 idTag's maximum), never a "VID:" token, never reused.
    return "R" + secrets.token_hex(10).upper()[:19]


async def remote_start(
    uow: UnitOfWork, commands: ChargerCommands, cmd: RemoteStartTransaction, clock: Clock = utcnow
) -> bool:
    if cmd.connector_id < 1:
        raise Invalid("connectorId starts at 1")
    now = clock()
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        user = found(await uow.users.get(cmd.user_id), "user", cmd.user_id)
        if not charger.is_connected:
            raise Unavailable(f"charger {charger.charge_point_id} is not connected")
        intent = RemoteStart(
            id=new_id(),
            tenant_id=uow.tenant_id,
            charger_id=charger.id,
            connector_id=cmd.connector_id,
            user_id=user.id,
            id_tag=_one_off_id_tag(),
            created_at=now,
            expires_at=now + REMOTE_START_VALIDITY,
        )
        await uow.remote_starts.add(intent)
        await uow.commit()  # stored before the charger can answer with a StartTransaction
    return (await commands.send(charger, StartCharging(cmd.connector_id, intent.id_tag))).accepted


async def remote_stop(uow: UnitOfWork, commands: ChargerCommands, cmd: RemoteStopTransaction) -> bool:
    async with uow:
        transaction = found(await uow.transactions.get(cmd.transaction_id), "transaction", cmd.transaction_id)
        charger = found(await uow.chargers.get(transaction.charger_id), "charger", transaction.charger_id)
    if not transaction.is_active:
        raise Invalid(f"transaction {transaction.id} is already completed")
    if not charger.is_connected:
        raise Unavailable(f"charger {charger.charge_point_id} is not connected")
    return (await commands.send(charger, StopCharging(transaction.ocpp_transaction_id))).accepted
