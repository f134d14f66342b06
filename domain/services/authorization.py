"""One set of authorization rules for OCPP 1.6 and 2.0.1: who may charge with the token a charger presents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.commands import Authorize, Token
from domain.errors import Invalid
from domain.events import ChargerChange
from domain.identifiers import parse_evccid
from domain.ids import Clock, utcnow
from domain.model import AuthorizationStatus, Charger, RemoteStart, TransactionOrigin
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.services._common import found
from domain.services.chargers import changed
from domain.services.pairing import PairingRaceLost, capture


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a presented token, and what a transaction started with it is attributed to."""

    status: AuthorizationStatus
    origin: TransactionOrigin
    id_tag: str  # as it will be stored: canonical for vehicle tokens, as presented for RFID
    user_id: UUID | None = None
    vehicle_id: UUID | None = None
    remote_start: RemoteStart | None = None

    @property
    def accepted(self) -> bool:
        return self.status is AuthorizationStatus.ACCEPTED


async def judge(uow: UnitOfWork, charger: Charger, token: Token, now: datetime, allow_capture: bool = True) -> Verdict:
    """Decide on a token inside an open unit of work; records what it learns, the caller commits."""
    if token.autocharge:
        return await _judge_vehicle_token(uow, charger, token, now, allow_capture)
    return await _judge_rfid(uow, charger, token.raw, now)


async def _judge_vehicle_token(
    uow: UnitOfWork, charger: Charger, token: Token, now: datetime, allow_capture: bool
) -> Verdict:
    try:
        evccid = parse_evccid(token.raw)
    except Invalid:
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, token.raw)
    if not charger.autocharge_supported:  # the charger just proved it reads EVCCIDs
        charger.autocharge_supported = True
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.UPDATED)
    if allow_capture:
        await capture(uow, charger, evccid, now)
    known = await uow.identifiers.by_value_with_vehicles(evccid.value)
    for identifier, of_vehicle in known:
        if identifier.is_active:
            vehicle = found(of_vehicle, "vehicle", identifier.vehicle_id)
            status = AuthorizationStatus.ACCEPTED if vehicle.is_active else AuthorizationStatus.BLOCKED
            return Verdict(status, TransactionOrigin.AUTOCHARGE, evccid.value, vehicle.user_id, vehicle.id)
    if known:  # on record but retired: the car was replaced or retired
        latest, owner = max(known, key=lambda pair: pair[0].captured_at)
        user_id = owner.user_id if owner else None
        return Verdict(
            AuthorizationStatus.BLOCKED, TransactionOrigin.AUTOCHARGE, evccid.value, user_id, latest.vehicle_id
        )
    await uow.unrecognised.record(charger.id, evccid.value, now)
    return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, evccid.value)


async def _judge_rfid(uow: UnitOfWork, charger: Charger, id_tag: str, now: datetime) -> Verdict:
    remote = await uow.remote_starts.pending(charger.id, id_tag, now)
    if remote is not None:
        vehicle_id = await only_active_vehicle(uow, remote.user_id)
        return Verdict(
            AuthorizationStatus.ACCEPTED, TransactionOrigin.REMOTE, id_tag, remote.user_id, vehicle_id, remote
        )
    tag = await uow.rfid_tags.by_tag(id_tag)
    if tag is None:
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.RFID, id_tag)
    vehicle_id = await only_active_vehicle(uow, tag.user_id)
    return Verdict(AuthorizationStatus.ACCEPTED, TransactionOrigin.RFID, id_tag, tag.user_id, vehicle_id)


async def only_active_vehicle(uow: UnitOfWork, user_id: UUID) -> UUID | None:
    """A user with exactly one active vehicle has it assigned to every session, Autocharge or not."""
    vehicles = await uow.vehicles.for_users([user_id], include_retired=False)
    return vehicles[0].id if len(vehicles) == 1 else None


async def authorize(uow_factory: UnitOfWorkFactory, tenant_id: UUID, cmd: Authorize, clock: Clock = utcnow) -> Verdict:
    """Authorize.req: may capture the token for a waiting pairing session, and then accepts it."""
    for allow_capture in (True, False):  # a pairing race lost to another process: judge again without it
        uow = uow_factory(tenant_id)
        try:
            async with uow:
                charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
                verdict = await judge(uow, charger, cmd.token, clock(), allow_capture)
                await uow.commit()
                return verdict
        except PairingRaceLost:
            continue
    raise AssertionError("unreachable: the second pass never captures")
