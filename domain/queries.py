"""The read side: filters and summaries the API asks the repositories for, and the queries of the domain.

A query reads and changes nothing; unlike a use case (domain.services) it keeps the shape of its question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import NotFound
from domain.model import (
    PairingSession,
    RemoteStart,
    TransactionOrigin,
    TransactionStatus,
    Vehicle,
    VehicleIdentifier,
)

if TYPE_CHECKING:
    from domain.model import ApiKey
    from domain.model.audit import AuditEntry
    from domain.pagination import Page, PageRequest
    from domain.ports import AuditTrail, Directory, UnitOfWork


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
class TokenFacts:
    """Everything the rule for a token presented at a charger depends on (authorization.decide), read together.

    A vehicle token fills `known` and `pairing`; an RFID token fills `remote_start`, `user_id` and
    `active_vehicles`. The rule reads nothing else, so whoever fills this decides what the verdict sees.
    """

    autocharge_supported: bool  # the charger is already known to read EVCCIDs
    in_use_on: UUID | None = None  # another charger with an ACTIVE, accepted transaction of this token
    known: tuple[tuple[VehicleIdentifier, Vehicle | None], ...] = ()  # each identifier of the value, with its vehicle
    pairing: PairingSession | None = None  # the session waiting on the charger: it may capture a vehicle token
    pairing_vehicle: Vehicle | None = None  # the vehicle that session pairs
    remote_start: RemoteStart | None = None  # the charger's unused, unexpired remote start with this RFID token
    user_id: UUID | None = None  # the remote start's user, else the RFID tag's; None: an unknown tag
    active_vehicles: tuple[UUID, ...] = ()  # that user's ACTIVE vehicles


async def settings_due(uow: UnitOfWork, charger_id: UUID, firmware_version: str | None) -> bool:
    """Whether a BootNotification calls for reading the charger's settings: none stored yet (its first boot, or
    every read so far failed), or a firmware other than the one it had (called before the boot is recorded)."""
    async with uow:
        charger = await uow.chargers.get(charger_id)
        if charger is None:
            raise NotFound(f"charger {charger_id} not found")
        stored = await uow.settings.for_chargers([charger_id])
    return not stored or charger.firmware_version != firmware_version


async def tenant_id_by_slug(directory: Directory, tenant_slug: str) -> UUID:
    tenant = await directory.tenant_by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"tenant {tenant_slug} not found")
    return tenant.id


async def list_keys(directory: Directory, tenant_id: UUID, include_revoked: bool = False) -> list[ApiKey]:
    return await directory.api_keys(tenant_id, include_revoked)


async def audit_page(
    trail: AuditTrail, tenant_id: UUID, request: PageRequest, operation: str | None
) -> Page[AuditEntry]:
    return await trail.page(tenant_id, request, operation)
