"""authorization.decide(): the one rule for a presented token, as a pure function of its TokenFacts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.commands import Token
from domain.ids import new_id
from domain.model import (
    AuthorizationStatus,
    IdentifierSource,
    IdentifierStatus,
    PairingFailure,
    PairingSession,
    PairingStatus,
    RemoteStart,
    TransactionOrigin,
    Vehicle,
    VehicleIdentifier,
    VehicleStatus,
)
from domain.queries import TokenFacts
from domain.services.authorization import Decision, decide, record
from tests.unit.conftest import World

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
VID = "VID:0A1B2C3D4E5F"
TOKEN = Token.from_ocpp16(VID)
TENANT = new_id()


def _vehicle(status: VehicleStatus = VehicleStatus.ACTIVE) -> Vehicle:
    return Vehicle(
        id=new_id(), tenant_id=TENANT, user_id=new_id(), license_plate="AB12CD", status=status, created_at=NOW
    )


def _identifier(vehicle: Vehicle, active: bool = True, at: datetime = NOW) -> VehicleIdentifier:
    return VehicleIdentifier(
        id=new_id(),
        tenant_id=TENANT,
        vehicle_id=vehicle.id,
        value=VID,
        source=IdentifierSource.MANUAL,
        captured_at=at,
        status=IdentifierStatus.ACTIVE if active else IdentifierStatus.RETIRED,
    )


def _waiting(vehicle: Vehicle, expires_in: timedelta = timedelta(minutes=5)) -> PairingSession:
    return PairingSession(
        id=new_id(),
        tenant_id=TENANT,
        vehicle_id=vehicle.id,
        charger_id=new_id(),
        started_at=NOW - timedelta(minutes=1),
        expires_at=NOW + expires_in,
    )


def test_a_paired_car_at_a_marked_charger_is_accepted_and_nothing_is_recorded() -> None:
    car = _vehicle()
    decision = decide(TOKEN, TokenFacts(True, known=((_identifier(car), car),)), NOW)
    assert decision == Decision(
        replace(decision.verdict, status=AuthorizationStatus.ACCEPTED, user_id=car.user_id, vehicle_id=car.id)
    )
    assert decision.verdict.origin is TransactionOrigin.AUTOCHARGE and decision.records_nothing


def test_an_unmarked_charger_is_marked_and_an_unknown_token_is_recorded_as_one_to_pair() -> None:
    decision = decide(TOKEN, TokenFacts(False), NOW)
    assert decision.verdict.status is AuthorizationStatus.INVALID and decision.verdict.id_tag == VID
    assert decision.mark_autocharge and decision.unrecognised and not decision.records_nothing


def test_the_active_identifier_decides_and_a_retired_one_alone_blocks() -> None:
    old, new = _vehicle(VehicleStatus.RETIRED), _vehicle()
    replaced = ((_identifier(old, active=False), old), (_identifier(new), new))
    assert decide(TOKEN, TokenFacts(True, known=replaced), NOW).verdict.vehicle_id == new.id
    retired = decide(TOKEN, TokenFacts(True, known=replaced[:1]), NOW).verdict
    assert (retired.status, retired.vehicle_id) == (AuthorizationStatus.BLOCKED, old.id)


def test_a_waiting_session_captures_the_token_and_the_verdict_is_its_vehicles() -> None:
    car = _vehicle()
    session = _waiting(car)
    decision = decide(TOKEN, TokenFacts(True, pairing=session, pairing_vehicle=car), NOW)
    assert decision.capture is not None and decision.capture.status is PairingStatus.PAIRED
    assert (decision.verdict.status, decision.verdict.vehicle_id) == (AuthorizationStatus.ACCEPTED, car.id)
    assert not decision.unrecognised  # captured, so no longer a token to pair
    assert decide(TOKEN, TokenFacts(True, pairing=session, pairing_vehicle=car), NOW, allow_capture=False) == Decision(
        replace(decision.verdict, status=AuthorizationStatus.INVALID, user_id=None, vehicle_id=None), unrecognised=True
    )


def test_a_session_that_cannot_pair_the_token_ends_saying_why() -> None:
    car, other = _vehicle(), _vehicle()
    cases = [
        (
            TokenFacts(True, pairing=_waiting(car, timedelta(0)), pairing_vehicle=car),
            TOKEN,
            PairingStatus.EXPIRED,
            None,
        ),
        (
            TokenFacts(True, pairing=_waiting(car), pairing_vehicle=replace(car, status=VehicleStatus.RETIRED)),
            TOKEN,
            PairingStatus.FAILED,
            PairingFailure.VEHICLE_RETIRED,
        ),
        (
            TokenFacts(True, pairing=_waiting(car), pairing_vehicle=car),
            Token.from_ocpp16("VID:000000000000"),
            PairingStatus.FAILED,
            PairingFailure.NOT_UNIQUE,
        ),
        (
            TokenFacts(True, pairing=_waiting(car), pairing_vehicle=car, known=((_identifier(other), other),)),
            TOKEN,
            PairingStatus.FAILED,
            PairingFailure.IDENTIFIER_IN_USE,
        ),
    ]
    for facts, token, status, failure in cases:
        capture = decide(token, facts, NOW).capture
        assert capture is not None and (capture.status, capture.failure) == (status, failure), (status, failure)
    in_use = decide(TOKEN, cases[3][0], NOW).verdict
    assert (in_use.status, in_use.vehicle_id) == (AuthorizationStatus.ACCEPTED, other.id)  # still the other car's


def test_an_accepted_token_charging_on_another_charger_is_concurrent_and_attributed_to_nobody() -> None:
    car, elsewhere = _vehicle(), new_id()
    verdict = decide(TOKEN, TokenFacts(True, in_use_on=elsewhere, known=((_identifier(car), car),)), NOW).verdict
    assert (verdict.status, verdict.in_use_on, verdict.user_id, verdict.vehicle_id) == (
        AuthorizationStatus.CONCURRENT_TX,
        elsewhere,
        None,
        None,
    )
    rfid = decide(Token.from_ocpp16("TAG-1"), TokenFacts(True, in_use_on=elsewhere, user_id=car.user_id), NOW)
    assert rfid.verdict.status is AuthorizationStatus.CONCURRENT_TX
    assert rfid.tapped_by == car.user_id  # a tap still suggests its driver


def test_an_rfid_user_with_one_active_vehicle_has_it_assigned_and_a_remote_start_is_its_users() -> None:
    user_id, car = new_id(), new_id()
    tag = Token.from_ocpp16("TAG-1")
    one = decide(tag, TokenFacts(True, user_id=user_id, active_vehicles=(car,)), NOW).verdict
    assert (one.status, one.origin, one.user_id, one.vehicle_id) == (
        AuthorizationStatus.ACCEPTED,
        TransactionOrigin.RFID,
        user_id,
        car,
    )
    two = decide(tag, TokenFacts(True, user_id=user_id, active_vehicles=(car, new_id())), NOW).verdict
    assert two.vehicle_id is None
    assert decide(tag, TokenFacts(True), NOW).verdict.status is AuthorizationStatus.INVALID
    remote = RemoteStart(
        id=new_id(),
        tenant_id=TENANT,
        charger_id=new_id(),
        connector_id=1,
        user_id=user_id,
        id_tag="TAG-1",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=1),
    )
    started = decide(tag, TokenFacts(True, in_use_on=new_id(), remote_start=remote, user_id=user_id), NOW)
    assert (started.verdict.status, started.verdict.origin, started.verdict.remote_start) == (
        AuthorizationStatus.ACCEPTED,
        TransactionOrigin.REMOTE,
        remote,
    )
    assert started.records_nothing  # a one-off token: never concurrent, never a tap to learn from


async def test_recording_a_capture_never_changes_the_facts_it_was_decided_on(world: World) -> None:
    """The facts may be held in memory for other requests (infra/verdicts.py): recording works on a copy."""
    charger = await world.charger()
    car = await world.vehicle(await world.user())
    session = replace(_waiting(car), tenant_id=world.tenant_a, charger_id=charger.id)
    async with world.uow() as uow:
        await uow.pairing.add(session)
        await uow.commit()
    facts = TokenFacts(True, pairing=session, pairing_vehicle=car)
    decision = decide(TOKEN, facts, NOW)
    async with world.uow() as uow:
        await record(uow, charger, decision, NOW)  # type: ignore[arg-type]
        await uow.commit()
    assert facts.pairing is session and session.status is PairingStatus.WAITING_FOR_VEHICLE
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.PAIRED
