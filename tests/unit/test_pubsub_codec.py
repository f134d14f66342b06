from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args
from uuid import UUID, uuid4

import orjson
import pytest

from domain.events import (
    ApiKeyRevoked,
    ChargerChange,
    ChargerPairingChanged,
    ChargerStatusChanged,
    DomainEvent,
    IdentifierAdded,
    IdentifierRetired,
    OcppFrameLogged,
    PairingSessionChanged,
    TransactionChange,
    TransactionChanged,
    VehicleRetired,
)
from domain.model import (
    AuthorizationStatus,
    Charger,
    ConnectionState,
    LogDirection,
    OcppLogEntry,
    OcppMessageType,
    PairingSession,
    PairingStatus,
    Transaction,
    TransactionOrigin,
    TransactionStatus,
)
from infra.pubsub import codec
from tests.builders import a_charger

_BERLIN = timezone(timedelta(hours=2))


def sample_events(tenant_id: UUID | None = None) -> list[DomainEvent]:
    """One event of every type, with every optional field filled and awkward values where they fit."""
    tenant_id = tenant_id or uuid4()
    now = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    charger = Charger(
        id=uuid4(),
        tenant_id=tenant_id,
        charge_point_id="CP-ü-1",
        name='Bay 1 "north"',
        password_hash="$argon2id$v=19$...",
        autocharge_supported=True,
        connection_state=ConnectionState.CONNECTED,
        ocpp_version="2.0.1",
        vendor="Alfen",
        model="Eve",
        firmware_version="6.4.0",
        last_seen_at=now.astimezone(_BERLIN),
        created_at=now - timedelta(days=3),
    )
    transaction = Transaction(
        id=uuid4(),
        tenant_id=tenant_id,
        charger_id=charger.id,
        connector_id=2,
        ocpp_transaction_id="1234",
        start_key="sha256:abc",
        id_tag="VID:0A1B2C3D4E5F",
        origin=TransactionOrigin.AUTOCHARGE,
        authorization=AuthorizationStatus.ACCEPTED,
        status=TransactionStatus.COMPLETED,
        user_id=uuid4(),
        vehicle_id=uuid4(),
        started_at=now,
        stopped_at=now + timedelta(hours=1),
        meter_start_wh=1000,
        meter_last_wh=2500,
        meter_stop_wh=3000,
        stop_reason="EVDisconnected",
    )
    session = PairingSession(
        id=uuid4(),
        tenant_id=tenant_id,
        vehicle_id=uuid4(),
        charger_id=charger.id,
        status=PairingStatus.FAILED,
        failure_reason="IDENTIFIER_IN_USE",
        identifier_id=uuid4(),
        started_at=now,
        expires_at=now + timedelta(minutes=5),
        finished_at=now + timedelta(minutes=1),
    )
    entry = OcppLogEntry(
        id=uuid4(),
        tenant_id=tenant_id,
        charger_id=charger.id,
        charge_point_id=charger.charge_point_id,
        timestamp=now,
        direction=LogDirection.FROM_CHARGER,
        message_type=OcppMessageType.CALL,
        unique_id="19223201",
        action="MeterValues",
        payload={
            "connectorId": 2,
            "meterValue": [{"timestamp": "2025-03-01T12:30:15Z", "sampledValue": [{"value": "2.5", "unit": "kWh"}]}],
            "ratio": 0.1,
            "big": 2**53 + 1,
            "flags": [True, False, None],
            "text": "naïve ✓",
        },
    )
    return [
        ChargerStatusChanged(tenant_id=tenant_id, change=ChargerChange.BOOTED, charger=charger),
        TransactionChanged(tenant_id=tenant_id, change=TransactionChange.STOPPED, transaction=transaction),
        PairingSessionChanged(tenant_id=tenant_id, session=session),
        OcppFrameLogged(tenant_id=tenant_id, entry=entry),
        ApiKeyRevoked(tenant_id=tenant_id, key_id=uuid4()),
        IdentifierAdded(tenant_id=tenant_id, identifier_id=uuid4(), vehicle_id=uuid4(), value="VID:0A1B2C3D4E5F"),
        IdentifierRetired(tenant_id=tenant_id, identifier_id=uuid4(), vehicle_id=uuid4(), value="VID:0A1B2C3D4E5F"),
        VehicleRetired(tenant_id=tenant_id, vehicle_id=uuid4()),
        ChargerPairingChanged(tenant_id=tenant_id, charger_id=charger.id, session_id=session.id, waiting=False),
    ]


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def assert_identical(decoded: Any, original: Any) -> None:
    """Equal, and every field of the same type, down through the snapshots (== alone forgives str vs enum)."""
    assert type(decoded) is type(original)
    assert decoded == original
    for name, value in _fields(original).items():
        got = getattr(decoded, name)
        if hasattr(value, "__dataclass_fields__"):
            assert_identical(got, value)
            continue
        assert type(got) is type(value), name
        if isinstance(value, datetime):
            assert got.utcoffset() == value.utcoffset(), name


def test_the_samples_cover_every_event_type() -> None:
    assert {type(event) for event in sample_events()} == set(get_args(DomainEvent))


@pytest.mark.parametrize("event", sample_events(), ids=lambda event: type(event).__name__)
def test_every_event_round_trips_exactly(event: DomainEvent) -> None:
    decoded = codec.decode(codec.encode(event))

    assert_identical(decoded, event)
    assert decoded.topic == event.topic


@pytest.mark.parametrize("event", sample_events(), ids=lambda event: type(event).__name__)
def test_the_envelope_names_the_event_type(event: DomainEvent) -> None:
    envelope = orjson.loads(codec.encode(event))

    assert envelope["type"] == type(event).__name__
    assert set(envelope) == {"type", "event"}


def test_defaults_and_nones_round_trip() -> None:
    tenant_id = uuid4()
    charger = a_charger(tenant_id)
    event = ChargerStatusChanged(tenant_id=tenant_id, change=ChargerChange.CONNECTED, charger=charger)

    assert_identical(codec.decode(codec.encode(event)), event)


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"type": "ChargerStatusChanged"}',
        b'{"type": "NoSuchEvent", "event": {}}',
        b'{"type": 7, "event": {}}',
        b'{"type": "ChargerStatusChanged", "event": {"tenant_id": "nope"}}',
    ],
)
def test_anything_else_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the codec promises exactly this type
        codec.decode(data)
