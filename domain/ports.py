"""What the domain needs from the outside world, named by role; infra/ provides the implementations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.charger_commands import ChargerCommand, CommandAnswer, LocalListEntry
from domain.events import DomainEvent
from domain.model import (
    Charger,
    ChargerSetting,
    Connector,
    OcppLogEntry,
    PairingSession,
    PairingStatus,
    Principal,
    RemoteStart,
    RfidTag,
    Tenant,
    Transaction,
    UnrecognisedIdentifier,
    User,
    Vehicle,
    VehicleIdentifier,
    VehicleStatus,
)
from domain.model.audit import AuditEntry
from domain.model.dead_letters import OcppDeadLetter
from domain.model.tenants import ApiKey
from domain.pagination import Page, PageRequest
from domain.queries import (
    ChargerLogin,
    ChargingSummary,
    RecordedConnection,
    RevokedKey,
    TokenFacts,
    TransactionFilter,
)

# --- repositories: every one is built for one tenant and can only see that tenant's rows ---


class UserRepository(Protocol):
    async def get(self, user_id: UUID) -> User | None: ...
    async def get_many(self, user_ids: Sequence[UUID]) -> list[User]: ...
    async def by_email(self, email: str) -> User | None: ...
    async def add(self, user: User) -> None: ...
    async def page(self, request: PageRequest, search: str | None = None) -> Page[User]:
        """Oldest first; search matches name or email, case-insensitively; total_count filled."""
        ...


class RfidTagRepository(Protocol):
    async def by_tag(self, id_tag: str) -> RfidTag | None: ...
    async def for_users(self, user_ids: Sequence[UUID]) -> list[RfidTag]: ...
    async def add(self, tag: RfidTag) -> None: ...
    async def remove(self, tag: RfidTag) -> None: ...


class VehicleRepository(Protocol):
    async def get(self, vehicle_id: UUID) -> Vehicle | None: ...
    async def get_many(self, vehicle_ids: Sequence[UUID]) -> list[Vehicle]: ...
    async def active_by_plate(self, license_plate: str) -> Vehicle | None: ...
    async def for_users(self, user_ids: Sequence[UUID], include_retired: bool) -> list[Vehicle]: ...
    async def add(self, vehicle: Vehicle) -> None: ...
    async def update(self, vehicle: Vehicle) -> None: ...
    async def page(
        self, request: PageRequest, search: str | None = None, status: VehicleStatus | None = None
    ) -> Page[Vehicle]:
        """Oldest first; search matches the plate (normalised), make or model; total_count filled."""
        ...


class IdentifierRepository(Protocol):
    async def get(self, identifier_id: UUID) -> VehicleIdentifier | None: ...
    async def get_many(self, identifier_ids: Sequence[UUID]) -> list[VehicleIdentifier]: ...
    async def by_value(self, value: str) -> list[VehicleIdentifier]:
        """Every identifier of the tenant with this canonical value, active or retired."""
        ...

    async def by_value_with_vehicles(self, value: str) -> list[tuple[VehicleIdentifier, Vehicle | None]]:
        """by_value, each with its vehicle, in one read (the Authorize path)."""
        ...

    async def for_vehicles(self, vehicle_ids: Sequence[UUID], include_retired: bool) -> list[VehicleIdentifier]:
        """Newest first within each vehicle."""
        ...

    async def add(self, identifier: VehicleIdentifier) -> None: ...
    async def update(self, identifier: VehicleIdentifier) -> None:
        """Only status and retired_at ever change; the value is never rewritten."""
        ...


class ChargerRepository(Protocol):
    async def get(self, charger_id: UUID) -> Charger | None: ...
    async def get_many(self, charger_ids: Sequence[UUID]) -> list[Charger]: ...
    async def by_charge_point_id(self, charge_point_id: str) -> Charger | None: ...
    async def add(self, charger: Charger) -> None: ...
    async def update(self, charger: Charger) -> None: ...
    async def touch(self, charger_id: UUID, seen_at: datetime) -> Charger | None:
        """Move last_seen_at alone, in one statement; the charger as it is now, None when it is not this tenant's."""
        ...

    async def page(self, request: PageRequest) -> Page[Charger]:
        """Oldest first; total_count filled."""
        ...


class ConnectorRepository(Protocol):
    async def upsert(self, connector: Connector) -> None: ...
    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[Connector]: ...


class ChargerSettingRepository(Protocol):
    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[ChargerSetting]:
        """Ordered by key within each charger."""
        ...

    async def replace(self, charger_id: UUID, settings: Sequence[ChargerSetting]) -> None:
        """The charger's settings are these from now on (a full report)."""
        ...

    async def put(self, setting: ChargerSetting) -> None:
        """Insert or overwrite one setting."""
        ...

    async def autocharge_tokens_seen(self, charger_ids: Sequence[UUID]) -> set[UUID]:
        """Those of the chargers that have presented an Autocharge token: one left unrecognised, one that
        started a transaction, or one captured by pairing."""
        ...


class LocalListRepository(Protocol):
    async def entries(self) -> list[LocalListEntry]:
        """Every ACTIVE vehicle identifier and every RFID tag of the tenant."""
        ...

    async def accepted(self, charger_id: UUID) -> list[LocalListEntry]:
        """The list the charger last accepted."""
        ...

    async def record_accepted(self, charger_id: UUID, version: int, entries: Sequence[LocalListEntry]) -> None:
        """The charger now holds this list, at this version (Charger.local_list_version is written only here, so
        that no other write of the charger, a heartbeat's, can undo it)."""
        ...


class UnrecognisedIdentifierRepository(Protocol):
    async def record(self, charger_id: UUID, value: str, now: datetime) -> None:
        """Insert, or bump times_seen and last_seen_at of, the (charger, value) row."""
        ...

    async def forget(self, value: str) -> None:
        """Drop every row of this value: it is now a known identifier."""
        ...

    async def latest(self, charger_id: UUID | None, limit: int) -> list[UnrecognisedIdentifier]:
        """Most recently seen first."""
        ...

    async def last_on_charger(self, charger_id: UUID, since: datetime) -> UnrecognisedIdentifier | None:
        """The charger's most recently seen row, if it was seen at or after `since`."""
        ...

    async def suggest(self, row: UnrecognisedIdentifier) -> None:
        """Store the row's suggested user, vehicle and time (nothing else of it changes)."""
        ...


class TransactionRepository(Protocol):
    async def get(self, transaction_id: UUID) -> Transaction | None: ...
    async def get_many(self, transaction_ids: Sequence[UUID]) -> list[Transaction]: ...
    async def by_start_key(self, charger_id: UUID, start_key: str) -> Transaction | None: ...
    async def by_ocpp_id(self, charger_id: UUID, ocpp_transaction_id: str) -> Transaction | None: ...
    async def in_use_elsewhere(self, id_tag: str, charger_id: UUID) -> UUID | None:
        """The charger of an ACTIVE, accepted transaction of this id_tag on a charger other than `charger_id`."""
        ...

    async def next_ocpp_number(self) -> int:
        """A number never handed out before, system-wide: the OCPP 1.6 transactionId."""
        ...

    async def add(self, transaction: Transaction) -> None: ...
    async def update(self, transaction: Transaction) -> None: ...
    async def page(self, request: PageRequest, where: TransactionFilter) -> Page[Transaction]:
        """Newest first (started_at, then id); total_count filled."""
        ...

    async def count_by_vehicle(self, vehicle_ids: Sequence[UUID]) -> dict[UUID, int]: ...
    async def summary(
        self, vehicle_id: UUID, started_from: datetime | None, started_to: datetime | None
    ) -> ChargingSummary: ...


class RemoteStartRepository(Protocol):
    async def add(self, remote_start: RemoteStart) -> None: ...
    async def update(self, remote_start: RemoteStart) -> None: ...
    async def pending(self, charger_id: UUID, id_tag: str, now: datetime) -> RemoteStart | None:
        """The unexpired, not yet used remote start of that charger with this token."""
        ...


class PairingRepository(Protocol):
    async def get(self, session_id: UUID) -> PairingSession | None: ...
    async def get_many(self, session_ids: Sequence[UUID]) -> list[PairingSession]: ...
    async def waiting_on_charger(self, charger_id: UUID) -> PairingSession | None: ...
    async def add(self, session: PairingSession) -> None: ...
    async def transition(self, session: PairingSession, expected: PairingStatus) -> bool:
        """Write the session only if its stored status is still `expected`; False when another process won."""
        ...


class LogRepository(Protocol):
    async def page(self, charger_id: UUID, request: PageRequest, action: str | None = None) -> Page[OcppLogEntry]:
        """Newest first."""
        ...


class UnitOfWork(Protocol):
    """One tenant's atomic change: rolls back unless committed, publishes the events given to publish() after commit."""

    tenant_id: UUID
    users: UserRepository
    rfid_tags: RfidTagRepository
    vehicles: VehicleRepository
    identifiers: IdentifierRepository
    chargers: ChargerRepository
    connectors: ConnectorRepository
    settings: ChargerSettingRepository
    local_list: LocalListRepository
    unrecognised: UnrecognisedIdentifierRepository
    transactions: TransactionRepository
    remote_starts: RemoteStartRepository
    pairing: PairingRepository
    logs: LogRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None:
        """Commit, then publish every event recorded since the unit began."""
        ...

    async def rollback(self) -> None: ...
    def publish(self, event: DomainEvent) -> None:
        """Queue an event to publish once the change is committed (dropped on rollback)."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: UUID) -> UnitOfWork: ...


# Whether some process of the back office holds the charger of this chargePointId now.
Liveness = Callable[[str], Awaitable[bool]]


class TokenFactsReader(Protocol):
    """The read behind most Authorize requests, made without opening a unit of work."""

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
        """A vehicle token's facts (`value` canonical) as of one moment; None for a charger not in the tenant."""
        ...


class Directory(Protocol):
    """The few lookups made before a tenant is known, or across every tenant by the system itself."""

    async def add_tenant(self, tenant: Tenant) -> None: ...
    async def tenant_by_slug(self, slug: str) -> Tenant | None: ...
    async def add_api_key(self, key: ApiKey) -> None: ...
    async def principal_for_key(self, key_hash: str) -> Principal | None:
        """The principal of a key that is not revoked (expired or not: its expires_at tells)."""
        ...

    async def api_keys(self, tenant_id: UUID, include_revoked: bool) -> list[ApiKey]:
        """The tenant's keys, oldest first."""
        ...

    async def api_key_tenant(self, key_id: UUID) -> UUID | None: ...
    async def revoke_api_key(self, tenant_id: UUID, key_id: UUID, at: datetime) -> ApiKey | None:
        """Revoked at `at` unless it already was (then it keeps its first revocation); None: no such key."""
        ...

    async def revoked_since(self, since: datetime) -> list[RevokedKey]:
        """Keys revoked after `since`, by any process (the CLI included), oldest first."""
        ...

    async def record_key_use(self, last_used: Mapping[UUID, datetime]) -> None:
        """Move each key's last_used_at forward to the given time (never back)."""
        ...

    async def charger_login(self, charge_point_id: str) -> ChargerLogin | None: ...
    async def due_pairing_sessions(self, now: datetime) -> list[tuple[UUID, UUID]]:
        """(tenant_id, session_id) of sessions still waiting past their expiry."""
        ...

    async def purge_logs(self, before: datetime) -> int:
        """Delete log entries (and frames set aside as dead letters) older than `before`, in every tenant;
        returns how many."""
        ...

    async def recorded_connections(
        self, seen_before: datetime, after: UUID | None = None, limit: int = 500
    ) -> list[RecordedConnection]:
        """Chargers recorded as connected, in every tenant, last seen before `seen_before`: at most `limit`, in
        the order of their charger id, after the charger `after` (a page; the next starts after its last)."""
        ...

    async def chargers_with_local_list(self) -> list[tuple[UUID, UUID, str]]:
        """(tenant_id, charger_id, chargePointId) of connected chargers that hold a local list, in every tenant."""
        ...

    async def ping(self) -> None:
        """Raise Unavailable when the database cannot be reached."""
        ...


class DeadLetters(Protocol):
    """The OCPP frames the log set aside (written by the frame journal), read per tenant."""

    async def page(self, tenant_id: UUID, request: PageRequest, charger_id: UUID | None) -> Page[OcppDeadLetter]:
        """Newest set aside first; total_count filled when asked for."""
        ...


class AuditTrail(Protocol):
    """The audit log's own reads and writes (a change writes its entry in its unit of work's transaction)."""

    async def add(self, entry: AuditEntry) -> None:
        """In a transaction of its own."""
        ...

    async def page(self, tenant_id: UUID, request: PageRequest, operation: str | None) -> Page[AuditEntry]:
        """Newest first; total_count filled."""
        ...

    async def purge(self, before: datetime) -> int:
        """Delete entries older than `before`, in every tenant; returns how many."""
        ...


# --- event and log ports ---


class Subscription(Protocol):
    """Events of one channel; iteration ends when the subscription is closed, or when it may have missed
    events (then `missed` says why): never a silent gap."""

    def __aiter__(self) -> AsyncIterator[DomainEvent]: ...
    @property
    def missed(self) -> str | None:
        """Why the subscription was cut off with events possibly missed (domain.events: SUBSCRIBER_TOO_SLOW,
        EVENTS_INTERRUPTED); None while it is whole."""
        ...


class EventBus(Protocol):
    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None: ...
    def subscribe(self, tenant_id: UUID, topic: str) -> AbstractAsyncContextManager[Subscription]: ...


class FrameJournal(Protocol):
    """Where OCPP frames go: appended on the hot path, written and published in batches."""

    def append(self, entry: OcppLogEntry) -> None: ...
    async def flush(self) -> None: ...


class ChargerCommands(Protocol):
    """Send a command to a charger wherever it is connected, once, and return its answer; raise Unavailable when
    it is not connected or does not answer in time (the message says which)."""

    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer: ...


class FailureThrottle(Protocol):
    """Login attempts counted per key (a charger's identity, a source address) in one or more fixed windows,
    e.g. 10 a minute and 50 an hour. Backed by Redis, every process of a cluster counts into the same windows.

    An attempt counts *before* its credential is checked, so a burst of concurrent guesses cannot all slip in
    ahead of the first recorded failure; attempts that turn out not to be failures are forgiven afterwards.
    An outage of the store must not lock everyone out: implementations then let attempts through and log it.
    """

    async def attempt(self, key: str) -> float | None:
        """Count one attempt of `key` in each window. None: every window is within its limit, go ahead;
        else the seconds until the fullest window ends (refuse the attempt, and forgive it)."""
        ...

    async def forgive(self, key: str) -> None:
        """Take back one counted attempt: the credential was right, or the attempt was refused unchecked."""
        ...
