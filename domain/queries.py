"""Read-side value objects: filters and summaries the API asks the repositories for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.model import TransactionOrigin, TransactionStatus, Vehicle, VehicleIdentifier


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    vehicle_id: UUID | None = None
    user_id: UUID | None = None
    charger_id: UUID | None = None
    origin: TransactionOrigin | None = None
    status: TransactionStatus | None = None
    started_from: datetime | None = None  # startedAt >= from
    started_to: datetime | None = None  # startedAt < to


@dataclass(frozen=True, slots=True)
class ChargingSummary:
    sessions: int
    autocharge_sessions: int
    energy_wh: int
    charging_seconds: int


@dataclass(frozen=True, slots=True)
class ChargerLogin:
    """What the OCPP handshake needs to know about a charger before any tenant is known."""

    tenant_id: UUID
    charger_id: UUID
    charge_point_id: str
    password_hash: str | None
    security_profile: int = 0  # see domain.security_profiles


@dataclass(frozen=True, slots=True)
class RevokedKey:
    """An API key's revocation, as the database records it."""

    tenant_id: UUID
    key_id: UUID
    revoked_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedConnection:
    """A charger the database records as connected, through the connection `connection_id`."""

    tenant_id: UUID
    charger_id: UUID
    charge_point_id: str
    connection_id: UUID


@dataclass(frozen=True, slots=True)
class VehicleTokenFacts:
    """Everything deciding on a vehicle token at one charger depends on, read together."""

    autocharge_supported: bool  # the charger is already known to read EVCCIDs
    pairing_waiting: bool  # a pairing session waits on the charger: the token may be captured
    known: list[tuple[VehicleIdentifier, Vehicle | None]]  # every identifier with this value, with its vehicle
    in_use_on: UUID | None = None  # another charger with an active, accepted transaction of this token
