from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.identifiers import parse_evccid


class VehicleStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"


class IdentifierStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"


class IdentifierSource(enum.StrEnum):
    PAIRING = "PAIRING"
    MANUAL = "MANUAL"


@dataclass(kw_only=True)
class Vehicle:
    """A car of exactly one user, known by its normalised license plate."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    license_plate: str
    make: str | None = None
    model: str | None = None
    status: VehicleStatus = VehicleStatus.ACTIVE
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is VehicleStatus.ACTIVE

    def retire(self, now: datetime) -> None:
        self.status = VehicleStatus.RETIRED
        self.retired_at = now


@dataclass(kw_only=True)
class VehicleIdentifier:
    """An Auto Charge identifier: its value is never edited, only retired."""

    id: UUID
    tenant_id: UUID
    vehicle_id: UUID
    value: str  # canonical "VID:" + upper-case hex
    status: IdentifierStatus = IdentifierStatus.ACTIVE
    source: IdentifierSource
    captured_at: datetime
    captured_on_charger_id: UUID | None = None
    retired_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is IdentifierStatus.ACTIVE

    @property
    def mac_address(self) -> str:
        return parse_evccid(self.value).mac_address

    def retire(self, now: datetime) -> None:
        if self.is_active:
            self.status = IdentifierStatus.RETIRED
            self.retired_at = now
