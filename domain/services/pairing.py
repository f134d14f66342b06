"""Vehicle pairing: wait on a charger for the first Autocharge token and store it on the vehicle."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.commands import CancelPairing, StartPairing
from domain.errors import Conflict, Invalid, Unavailable
from domain.events import ChargerPairingChanged, PairingSessionChanged
from domain.identifiers import Evccid
from domain.ids import Clock, new_id, utcnow
from domain.model import Charger, IdentifierSource, PairingFailure, PairingSession, PairingStatus
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


async def finish_session(
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
            await finish_session(uow, waiting, PairingStatus.EXPIRED, now)  # overdue: the sweeper had not got to it
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
            if not await finish_session(uow, session, PairingStatus.CANCELLED, clock()):
                raise PairingRaceLost("the pairing session finished while it was being cancelled")
            await uow.commit()
    return session


async def capture(uow: UnitOfWork, charger: Charger, evccid: Evccid, now: datetime) -> PairingSession | None:
    """If a session waits on this charger, let this token finish it; the caller commits."""
    session = await uow.pairing.waiting_on_charger(charger.id)
    if session is None:
        return None
    if session.expires_at <= now:
        await finish_session(uow, session, PairingStatus.EXPIRED, now)
        return session
    vehicle = found(await uow.vehicles.get(session.vehicle_id), "vehicle", session.vehicle_id)
    if not vehicle.is_active:
        await finish_session(uow, session, PairingStatus.FAILED, now, PairingFailure.VEHICLE_RETIRED)
        return session
    if evccid.ambiguity is not None:  # stored, it would authorise every car that sends the same placeholder
        await finish_session(uow, session, PairingStatus.FAILED, now, PairingFailure.NOT_UNIQUE)
        return session
    in_use = [i for i in await uow.identifiers.by_value(evccid.value) if i.is_active and i.vehicle_id != vehicle.id]
    if in_use:
        await finish_session(uow, session, PairingStatus.FAILED, now, PairingFailure.IDENTIFIER_IN_USE)
        return session
    identifier = await store_identifier(uow, vehicle, evccid.value, IdentifierSource.PAIRING, charger.id, now)
    session.identifier_id = identifier.id
    if not await finish_session(uow, session, PairingStatus.PAIRED, now):
        raise PairingRaceLost("the pairing session finished elsewhere while the identifier was captured")
    return session


async def expire_due(uow_factory: UnitOfWorkFactory, due: list[tuple[UUID, UUID]], clock: Clock = utcnow) -> int:
    """Expire the given overdue sessions, each in its tenant's unit of work; returns how many this process expired."""
    expired = 0
    for tenant_id, session_id in due:
        uow = uow_factory(tenant_id)
        async with uow:
            session = await uow.pairing.get(session_id)
            if (
                session is not None
                and session.is_waiting
                and await finish_session(uow, session, PairingStatus.EXPIRED, clock())
            ):
                await uow.commit()
                expired += 1
    return expired
