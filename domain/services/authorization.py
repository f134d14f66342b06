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
from domain.model import AuthorizationStatus, Charger, RemoteStart, TransactionOrigin, Vehicle, VehicleIdentifier
from domain.ports import TokenFacts, UnitOfWork, UnitOfWorkFactory
from domain.queries import VehicleTokenFacts
from domain.services._common import found
from domain.services.chargers import changed
from domain.services.concurrent_use import check_concurrent, refuse_concurrent
from domain.services.pairing import PairingRaceLost, capture
from domain.services.suggestions import learn_from_tap


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a presented token, and what a transaction started with it is attributed to."""

    status: AuthorizationStatus
    origin: TransactionOrigin
    id_tag: str  # as it will be stored: canonical for vehicle tokens, as presented for RFID
    user_id: UUID | None = None
    vehicle_id: UUID | None = None
    remote_start: RemoteStart | None = None
    in_use_on: UUID | None = None  # ConcurrentTx: the charger where the token is charging now

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
    if evccid.ambiguity is not None:  # matches no vehicle, and is not worth listing as one to pair
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, evccid.value)
    known = await uow.identifiers.by_value_with_vehicles(evccid.value)
    verdict = _verdict_on_record(known, evccid.value)
    if verdict is None:
        await uow.unrecognised.record(charger.id, evccid.value, now)
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, evccid.value)
    return await check_concurrent(uow, charger.id, verdict)


def _verdict_on_record(known: list[tuple[VehicleIdentifier, Vehicle | None]], value: str) -> Verdict | None:
    """The verdict on a vehicle token with identifiers on record; None when it has none."""
    for identifier, of_vehicle in known:
        if identifier.is_active:
            vehicle = found(of_vehicle, "vehicle", identifier.vehicle_id)
            status = AuthorizationStatus.ACCEPTED if vehicle.is_active else AuthorizationStatus.BLOCKED
            return Verdict(status, TransactionOrigin.AUTOCHARGE, value, vehicle.user_id, vehicle.id)
    if known:  # on record but retired: the car was replaced or retired
        latest, owner = max(known, key=lambda pair: pair[0].captured_at)
        user_id = owner.user_id if owner else None
        return Verdict(AuthorizationStatus.BLOCKED, TransactionOrigin.AUTOCHARGE, value, user_id, latest.vehicle_id)
    return None


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
    await learn_from_tap(uow, charger.id, tag.user_id, now)
    vehicle_id = await only_active_vehicle(uow, tag.user_id)
    verdict = Verdict(AuthorizationStatus.ACCEPTED, TransactionOrigin.RFID, id_tag, tag.user_id, vehicle_id)
    return await check_concurrent(uow, charger.id, verdict)


async def only_active_vehicle(uow: UnitOfWork, user_id: UUID) -> UUID | None:
    """A user with exactly one active vehicle has it assigned to every session, Autocharge or not."""
    vehicles = await uow.vehicles.for_users([user_id], include_retired=False)
    return vehicles[0].id if len(vehicles) == 1 else None


async def authorize(
    uow_factory: UnitOfWorkFactory, tokens: TokenFacts, tenant_id: UUID, cmd: Authorize, clock: Clock = utcnow
) -> Verdict:
    """Authorize.req: may capture the token for a waiting pairing session, and then accepts it."""
    if cmd.token.autocharge:
        verdict = await _judge_without_recording(tokens, tenant_id, cmd)
        if verdict is not None:
            return verdict
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


async def _judge_without_recording(tokens: TokenFacts, tenant_id: UUID, cmd: Authorize) -> Verdict | None:
    """The verdict when judging the token records nothing, else None (the caller takes the transactional path).

    Nearly every Authorize of a paired car is such a case: the token is on record, the charger is already
    marked as reading EVCCIDs and no pairing session waits on it. One read answers it, instead of a unit of
    work's transaction (begin, three reads, commit), so a busy charger network costs the database a fifth of
    the round trips. The rules are the same as judge()'s, which handles every other case.
    """
    try:
        evccid = parse_evccid(cmd.token.raw)
    except Invalid:
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, cmd.token.raw)
    facts = await tokens.of_vehicle_token(tenant_id, cmd.charger_id, evccid.value)
    if facts is None or not facts.autocharge_supported or facts.pairing_waiting:
        return None  # an unknown charger (NotFound), a charger to mark, a token perhaps to capture
    if evccid.ambiguity is not None:
        return Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, evccid.value)
    verdict = _verdict_on_record(facts.known, evccid.value)
    return None if verdict is None else refuse_concurrent(verdict, facts.in_use_on)  # None: unrecognised, to record


class TokenFactsFromUnitOfWork:
    """TokenFacts read through the repositories, in one transaction: for stores without a one-statement read."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> VehicleTokenFacts | None:
        async with self._uow_factory(tenant_id) as uow:
            charger = await uow.chargers.get(charger_id)
            if charger is None:
                return None
            waiting = await uow.pairing.waiting_on_charger(charger_id) is not None
            known = await uow.identifiers.by_value_with_vehicles(value)
            in_use_on = await uow.transactions.in_use_elsewhere(value, charger_id)
            return VehicleTokenFacts(charger.autocharge_supported, waiting, known, in_use_on)
