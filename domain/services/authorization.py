"""Who may charge with the token a charger presents, on OCPP 1.6 and 2.0.1: one rule over one read model.

`decide()` is the rule, a pure function of the token and its `TokenFacts`: Autocharge or RFID, what the token
does to a pairing session waiting on the charger, the vehicle a user with one active vehicle is charging, and
ConcurrentTx. It answers with a verdict and what judging the token records. The facts come from the
`TokenFactsReader` port in one statement (`authorize`'s read-only path, infra/db/token_facts.py, held in
memory by infra/verdicts.py), or from the repositories of an open unit of work (`judge`, for StartTransaction,
TransactionEvent and every Authorize that records something).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.commands import Authorize, Token
from domain.errors import Invalid
from domain.events import ChargerChange
from domain.identifiers import Evccid, parse_evccid
from domain.ids import Clock, utcnow
from domain.model import (
    AuthorizationStatus,
    Capture,
    Charger,
    PairingFailure,
    PairingStatus,
    RemoteStart,
    TransactionOrigin,
    Vehicle,
    VehicleIdentifier,
)
from domain.ports import TokenFactsReader, UnitOfWork, UnitOfWorkFactory
from domain.queries import TokenFacts
from domain.services._common import found
from domain.services.chargers import changed
from domain.services.concurrent_use import refuse_concurrent
from domain.services.pairing import PairingRaceLost, capture
from domain.services.suggestions import learn_from_tap

_NO_FACTS = TokenFacts(autocharge_supported=True)  # for a vehicle token that is no identifier: nothing to read


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


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict, and what judging the token records (nothing, for nearly every Authorize of a paired car)."""

    verdict: Verdict
    mark_autocharge: bool = False  # the charger just proved it reads EVCCIDs
    capture: Capture | None = None  # what the token does to the pairing session waiting on the charger
    unrecognised: bool = False  # a vehicle token on no vehicle: listed as one to pair
    tapped_by: UUID | None = None  # the user of a known RFID tag: suggested for a vehicle token refused just before

    @property
    def records_nothing(self) -> bool:
        return not (self.mark_autocharge or self.capture or self.unrecognised or self.tapped_by)


def decide(token: Token, facts: TokenFacts, now: datetime, allow_capture: bool = True) -> Decision:
    """The rule for a token presented at a charger whose facts are `facts`; `allow_capture=False` leaves a
    waiting pairing session alone (a second pass after another process finished it)."""
    if not token.autocharge:
        return _decide_rfid(token.raw, facts)
    try:
        evccid = parse_evccid(token.raw)
    except Invalid:
        return Decision(Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, token.raw))
    return decide_vehicle_token(evccid, facts, now, allow_capture)


def decide_vehicle_token(evccid: Evccid, facts: TokenFacts, now: datetime, allow_capture: bool = True) -> Decision:
    """decide() for a vehicle token already parsed."""
    value = evccid.value
    mark = not facts.autocharge_supported
    captured = _capture(evccid, facts, now) if allow_capture and facts.pairing is not None else None
    if evccid.ambiguity is not None:  # matches no vehicle, and is not worth listing as one to pair
        return Decision(Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, value), mark, captured)
    if captured is not None and captured.vehicle is not None and captured.status is PairingStatus.PAIRED:
        vehicle = captured.vehicle
        verdict = Verdict(
            AuthorizationStatus.ACCEPTED, TransactionOrigin.AUTOCHARGE, value, vehicle.user_id, vehicle.id
        )
    else:
        on_record = _verdict_on_record(facts.known, value)
        if on_record is None:
            invalid = Verdict(AuthorizationStatus.INVALID, TransactionOrigin.AUTOCHARGE, value)
            return Decision(invalid, mark, captured, unrecognised=True)
        verdict = on_record
    return Decision(refuse_concurrent(verdict, facts.in_use_on), mark, captured)


def _capture(evccid: Evccid, facts: TokenFacts, now: datetime) -> Capture | None:
    """What the token does to the session waiting on the charger: pairs it, or ends it saying why not."""
    session = facts.pairing
    if session is None:
        return None
    if session.expires_at <= now:
        return Capture(session, facts.pairing_vehicle, PairingStatus.EXPIRED)
    vehicle = found(facts.pairing_vehicle, "vehicle", session.vehicle_id)
    if not vehicle.is_active:
        return Capture(session, vehicle, PairingStatus.FAILED, PairingFailure.VEHICLE_RETIRED)
    if evccid.ambiguity is not None:  # stored, it would authorise every car that sends the same placeholder
        return Capture(session, vehicle, PairingStatus.FAILED, PairingFailure.NOT_UNIQUE)
    if any(identifier.is_active and identifier.vehicle_id != vehicle.id for identifier, _ in facts.known):
        return Capture(session, vehicle, PairingStatus.FAILED, PairingFailure.IDENTIFIER_IN_USE)
    return Capture(session, vehicle, PairingStatus.PAIRED)


def _verdict_on_record(known: tuple[tuple[VehicleIdentifier, Vehicle | None], ...], value: str) -> Verdict | None:
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


def _decide_rfid(id_tag: str, facts: TokenFacts) -> Decision:
    # A user with exactly one active vehicle has it assigned to every session, Autocharge or not.
    vehicle_id = facts.active_vehicles[0] if len(facts.active_vehicles) == 1 else None
    remote = facts.remote_start
    if remote is not None:
        origin = TransactionOrigin.REMOTE
        return Decision(Verdict(AuthorizationStatus.ACCEPTED, origin, id_tag, remote.user_id, vehicle_id, remote))
    if facts.user_id is None:
        return Decision(Verdict(AuthorizationStatus.INVALID, TransactionOrigin.RFID, id_tag))
    verdict = Verdict(AuthorizationStatus.ACCEPTED, TransactionOrigin.RFID, id_tag, facts.user_id, vehicle_id)
    return Decision(refuse_concurrent(verdict, facts.in_use_on), tapped_by=facts.user_id)


async def read_facts(uow: UnitOfWork, charger: Charger, token: Token, now: datetime) -> TokenFacts:
    """A token's facts at `charger`, read through the repositories of the open unit of work."""
    if not token.autocharge:
        return await _rfid_facts(uow, charger, token.raw, now)
    try:
        value = parse_evccid(token.raw).value
    except Invalid:
        return _NO_FACTS  # decide() refuses it without looking
    pairing = await uow.pairing.waiting_on_charger(charger.id)
    return TokenFacts(
        charger.autocharge_supported,
        in_use_on=await uow.transactions.in_use_elsewhere(value, charger.id),
        known=tuple(await uow.identifiers.by_value_with_vehicles(value)),
        pairing=pairing,
        pairing_vehicle=None if pairing is None else await uow.vehicles.get(pairing.vehicle_id),
    )


async def _rfid_facts(uow: UnitOfWork, charger: Charger, id_tag: str, now: datetime) -> TokenFacts:
    remote = await uow.remote_starts.pending(charger.id, id_tag, now)
    if remote is not None:  # a remote start's one-off token never charges elsewhere: no need to look
        user_id, in_use_on = remote.user_id, None
    else:
        tag = await uow.rfid_tags.by_tag(id_tag)
        if tag is None:
            return TokenFacts(charger.autocharge_supported)
        user_id, in_use_on = tag.user_id, await uow.transactions.in_use_elsewhere(id_tag, charger.id)
    vehicles = await uow.vehicles.for_users([user_id], include_retired=False)
    return TokenFacts(
        charger.autocharge_supported,
        in_use_on=in_use_on,
        remote_start=remote,
        user_id=user_id,
        active_vehicles=tuple(vehicle.id for vehicle in vehicles),
    )


async def record(uow: UnitOfWork, charger: Charger, decision: Decision, now: datetime) -> None:
    """Write what the decision records, in the open unit of work; the caller commits."""
    if decision.mark_autocharge and not charger.autocharge_supported:
        charger.autocharge_supported = True
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.UPDATED)
    if decision.capture is not None:
        await capture(uow, decision.capture, decision.verdict.id_tag, charger.id, now)
    if decision.unrecognised:
        await uow.unrecognised.record(charger.id, decision.verdict.id_tag, now)
    if decision.tapped_by is not None:
        await learn_from_tap(uow, charger.id, decision.tapped_by, now)


async def judge(uow: UnitOfWork, charger: Charger, token: Token, now: datetime, allow_capture: bool = True) -> Verdict:
    """Decide on a token inside an open unit of work and record what the decision records; the caller commits."""
    decision = decide(token, await read_facts(uow, charger, token, now), now, allow_capture)
    await record(uow, charger, decision, now)
    return decision.verdict


async def authorize(
    uow_factory: UnitOfWorkFactory, tokens: TokenFactsReader, cmd: Authorize, clock: Clock = utcnow
) -> Verdict:
    """Authorize.req: may capture the token for a waiting pairing session, and then accepts it."""
    if cmd.token.autocharge:
        verdict = await _verdict_recording_nothing(tokens, cmd, clock())
        if verdict is not None:
            return verdict
    for allow_capture in (True, False):  # a pairing race lost to another process: judge again without it
        uow = uow_factory(cmd.tenant_id)
        try:
            async with uow:
                charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
                verdict = await judge(uow, charger, cmd.token, clock(), allow_capture)
                await uow.commit()
                return verdict
        except PairingRaceLost:
            continue
    raise AssertionError("unreachable: the second pass never captures")


async def _verdict_recording_nothing(tokens: TokenFactsReader, cmd: Authorize, now: datetime) -> Verdict | None:
    """The verdict on a vehicle token when deciding it records nothing, else None (then judge() decides again
    in a unit of work, on facts read there, and records).

    Nearly every Authorize of a paired car is such a case. One read answers it, instead of a unit of work's
    transaction (begin, reads, commit), so a busy charger network costs the database a fifth of the round trips.
    """
    try:
        evccid = parse_evccid(cmd.token.raw)
    except Invalid:
        return decide(cmd.token, _NO_FACTS, now).verdict
    facts = await tokens.of_vehicle_token(cmd.tenant_id, cmd.charger_id, evccid.value)
    if facts is None:
        return None  # not this tenant's charger: the unit of work says NotFound
    decision = decide_vehicle_token(evccid, facts, now)
    return decision.verdict if decision.records_nothing else None
