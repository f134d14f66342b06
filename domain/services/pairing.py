"""Vehicle pairing: wait on a charger for the first Autocharge token and store it on the vehicle."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from domain.commands import CancelPairing, ExpirePairingSessions, StartPairing
from domain.errors import Conflict, Invalid, Unavailable
from domain.events import ChargerPairingChanged, PairingSessionChanged
from domain.ids import Clock, new_id, utcnow
from domain.model import Capture, IdentifierSource, PairingSession, PairingStatus
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.services._common import found, snapshot
from domain.services.vehicles import store_identifier

MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS = 5, 3600


class PairingRaceLost(Conflict):
    """Another process finished the session between our read and our write."""


def _announce(uow: UnitOfWork, session: PairingSession) -> None:
    uow.publish(PairingSessionChanged(tenant_id=session.tenant_id, session=snapshot(session)))
    # The same news for whoever watches a charger rather than a session (see TOKENS_TOPIC).
    uow.publish(
        ChargerPairingChanged(
            tenant_id=session.tenant_id,
            charger_id=session.charger_id,
            session_id=session.id,
            waiting=session.is_waiting,
        )
    )


async def _finish_session(
    uow: UnitOfWork, session: PairingSession, status: PairingStatus, now: datetime, reason: str | None = None
) -> bool:
    """Move a waiting session to a final state, unless another process already did; announce it if we won."""
    session.finish(status, now, reason)
    if not await uow.pairing.transition(session, expected=PairingStatus.WAITING_FOR_VEHICLE):
        return False
    _announce(uow, session)
    return True


async def start_pairing(uow: UnitOfWork, cmd: StartPairing, clock: Clock = utcnow) -> PairingSession:
    if not MIN_TIMEOUT_SECONDS <= cmd.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise Invalid(f"timeoutSeconds must be from {MIN_TIMEOUT_SECONDS} to {MAX_TIMEOUT_SECONDS}")
    now = clock()
    async with uow:
        vehicle = found(await uow.vehicles.get(cmd.vehicle_id), "vehicle", cmd.vehicle_id)
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        if not vehicle.is_active:
            raise Invalid(f"vehicle {vehicle.license_plate} is retired and cannot be paired")
        if not charger.autocharge_supported:
            raise Invalid(f"charger {charger.charge_point_id} does not support Autocharge")
        if not charger.is_connected:
            raise Unavailable(f"charger {charger.charge_point_id} is not connected: plug it in and try again")
        waiting = await uow.pairing.waiting_on_charger(charger.id)
        if waiting is not None and waiting.expires_at <= now:
            await _finish_session(uow, waiting, PairingStatus.EXPIRED, now)  # overdue: the sweeper had not got to it
        elif waiting is not None:
            raise Conflict(f"charger {charger.charge_point_id} already has a pairing session waiting for a vehicle")
        session = PairingSession(
            id=new_id(),
            tenant_id=uow.tenant_id,
            vehicle_id=vehicle.id,
            charger_id=charger.id,
            started_at=now,
            expires_at=now + timedelta(seconds=cmd.timeout_seconds),
        )
        await uow.pairing.add(session)  # one waiting session per charger: the database says Conflict on a race
        _announce(uow, session)
        await uow.commit()
    return session


async def cancel_pairing(uow: UnitOfWork, cmd: CancelPairing, clock: Clock = utcnow) -> PairingSession:
    async with uow:
        session = found(await uow.pairing.get(cmd.session_id), "pairing session", cmd.session_id)
        if session.is_waiting:
            if not await _finish_session(uow, session, PairingStatus.CANCELLED, clock()):
                raise PairingRaceLost("the pairing session finished while it was being cancelled")
            await uow.commit()
    return session


async def capture(uow: UnitOfWork, capture: Capture, value: str, charger_id: UUID, now: datetime) -> None:
    """Carry out what a presented token does to the waiting session (decided by authorization.decide); the
    caller commits. PairingRaceLost when the token paired it but another process finished it first."""
    session = replace(capture.session)  # the facts decided on may be shared (held in memory): change a copy
    if capture.status is PairingStatus.PAIRED:
        vehicle = found(capture.vehicle, "vehicle", session.vehicle_id)
        identifier = await store_identifier(uow, vehicle, value, IdentifierSource.PAIRING, charger_id, now)
        session.identifier_id = identifier.id
    finished = await _finish_session(uow, session, capture.status, now, capture.failure)
    if not finished and capture.status is PairingStatus.PAIRED:
        raise PairingRaceLost("the pairing session finished elsewhere while the identifier was captured")


async def expire_due(uow_factory: UnitOfWorkFactory, cmd: ExpirePairingSessions, clock: Clock = utcnow) -> int:
    """Expire the given overdue sessions, each in its tenant's unit of work; returns how many this process expired."""
    expired = 0
    for tenant_id, session_id in cmd.due:
        uow = uow_factory(tenant_id)
        async with uow:
            session = await uow.pairing.get(session_id)
            if (
                session is not None
                and session.is_waiting
                and await _finish_session(uow, session, PairingStatus.EXPIRED, clock())
            ):
                await uow.commit()
                expired += 1
    return expired
