from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.model.vehicles import Vehicle


class PairingStatus(enum.StrEnum):
    WAITING_FOR_VEHICLE = "WAITING_FOR_VEHICLE"
    PAIRED = "PAIRED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class PairingFailure(enum.StrEnum):
    IDENTIFIER_IN_USE = "IDENTIFIER_IN_USE"
    VEHICLE_RETIRED = "VEHICLE_RETIRED"
    NOT_UNIQUE = "NOT_UNIQUE"  # the captured token cannot identify one car (all zero, broadcast, multicast)


@dataclass(kw_only=True)
class PairingSession:
    """Waits on one charger for the first Autocharge token, then stores it on the vehicle."""

    id: UUID
    tenant_id: UUID
    vehicle_id: UUID
    charger_id: UUID
    status: PairingStatus = PairingStatus.WAITING_FOR_VEHICLE
    failure_reason: str | None = None
    identifier_id: UUID | None = None
    started_at: datetime
    expires_at: datetime
    finished_at: datetime | None = None

    @property
    def is_waiting(self) -> bool:
        return self.status is PairingStatus.WAITING_FOR_VEHICLE

    def finish(self, status: PairingStatus, now: datetime, failure_reason: str | None = None) -> None:
        self.status = status
        self.finished_at = now
        self.failure_reason = failure_reason


@dataclass(frozen=True, slots=True)
class Capture:
    """What a vehicle token presented on a charger does to the pairing session waiting there."""

    session: PairingSession
    vehicle: Vehicle | None  # the vehicle the session pairs (None only if EXPIRED before it was read)
    status: PairingStatus  # PAIRED, or how it ended without pairing: EXPIRED, FAILED
    failure: PairingFailure | None = None  # why it FAILED
