"""In-memory implementations of the domain ports, so use cases are tested without I/O."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from domain.charger_commands import (
    ChargerCommand,
    CommandAnswer,
    LocalListEntry,
    StartCharging,
    StopCharging,
)
from domain.commands import Token
from domain.errors import Conflict
from domain.events import DomainEvent
from domain.model import (
    AuthorizationStatus,
    Charger,
    ChargerSetting,
    Connector,
    PairingSession,
    PairingStatus,
    RemoteStart,
    RfidTag,
    Transaction,
    UnrecognisedIdentifier,
    User,
    Vehicle,
    VehicleIdentifier,
    VehicleStatus,
)
from domain.pagination import Page, PageRequest, encode_cursor
from domain.ports import UnitOfWorkFactory
from domain.queries import ChargingSummary, TokenFacts, TransactionFilter
from domain.services.authorization import read_facts


class Store:
    """The 'database': every tenant's rows, committed state only."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[Any, Any]] = {}
        self.numbers = itertools.count(1)
        self.published: list[DomainEvent] = []

    def table(self, name: str) -> dict[Any, Any]:
        return self.rows.setdefault(name, {})


def _copy(entity: Any) -> Any:
    return dataclasses.replace(entity)


class _Repo:
    name = ""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    @property
    def rows(self) -> dict[Any, Any]:
        return self.uow.pending.table(self.name)

    def mine(self) -> list[Any]:
        return [_copy(r) for r in self.rows.values() if r.tenant_id == self.uow.tenant_id]

    async def get(self, ident: UUID) -> Any:
        row = self.rows.get(ident)
        return _copy(row) if row is not None and row.tenant_id == self.uow.tenant_id else None

    async def get_many(self, ids: Sequence[UUID]) -> list[Any]:
        return [r for r in [await self.get(i) for i in ids] if r is not None]

    async def add(self, entity: Any) -> None:
        self.rows[entity.id] = _copy(entity)

    async def update(self, entity: Any) -> None:
        self.rows[entity.id] = _copy(entity)

    def _page(self, items: list[Any], request: PageRequest, key: Any = lambda e: [str(e.id)]) -> Page[Any]:
        after = request.after_key
        if after is not None:
            index = next((i for i, e in enumerate(items) if key(e) == after), len(items) - 1)
            items_after = items[index + 1 :]
        else:
            items_after = items
        chosen = items_after[: request.first]
        return Page(
            chosen, [encode_cursor(key(e)) for e in chosen], len(items_after) > request.first, total_count=len(items)
        )


class FakeUsers(_Repo):
    name = "users"

    async def by_email(self, email: str) -> User | None:
        return next((u for u in self.mine() if u.email == email), None)

    async def page(self, request: PageRequest, search: str | None = None) -> Page[User]:
        items = sorted(self.mine(), key=lambda u: u.id)
        if search:
            items = [u for u in items if search.lower() in (u.name + u.email).lower()]
        return self._page(items, request)


class FakeRfidTags(_Repo):
    name = "rfid_tags"

    async def by_tag(self, id_tag: str) -> RfidTag | None:
        return next((t for t in self.mine() if t.id_tag == id_tag), None)

    async def for_users(self, user_ids: Sequence[UUID]) -> list[RfidTag]:
        return [t for t in self.mine() if t.user_id in user_ids]

    async def remove(self, tag: RfidTag) -> None:
        self.rows.pop(tag.id, None)


class FakeVehicles(_Repo):
    name = "vehicles"

    async def active_by_plate(self, license_plate: str) -> Vehicle | None:
        return next((v for v in self.mine() if v.license_plate == license_plate and v.is_active), None)

    async def for_users(self, user_ids: Sequence[UUID], include_retired: bool) -> list[Vehicle]:
        return [v for v in self.mine() if v.user_id in user_ids and (include_retired or v.is_active)]

    async def page(
        self, request: PageRequest, search: str | None = None, status: VehicleStatus | None = None
    ) -> Page[Vehicle]:
        items = sorted(self.mine(), key=lambda v: v.id)
        if status is not None:
            items = [v for v in items if v.status is status]
        return self._page(items, request)


class FakeIdentifiers(_Repo):
    name = "identifiers"

    async def by_value(self, value: str) -> list[VehicleIdentifier]:
        return [i for i in self.mine() if i.value == value]

    async def by_value_with_vehicles(self, value: str) -> list[tuple[VehicleIdentifier, Vehicle | None]]:
        return [
            (i, await self.uow.vehicles.get(i.vehicle_id))
            for i in sorted(await self.by_value(value), key=lambda i: i.id)
        ]

    async def for_vehicles(self, vehicle_ids: Sequence[UUID], include_retired: bool) -> list[VehicleIdentifier]:
        found = [i for i in self.mine() if i.vehicle_id in vehicle_ids and (include_retired or i.is_active)]
        return sorted(found, key=lambda i: i.id, reverse=True)


class FakeChargers(_Repo):
    name = "chargers"

    async def by_charge_point_id(self, charge_point_id: str) -> Charger | None:
        return next((c for c in self.mine() if c.charge_point_id == charge_point_id), None)

    async def touch(self, charger_id: UUID, seen_at: datetime) -> Charger | None:
        charger: Charger | None = await self.get(charger_id)
        if charger is not None:
            charger.last_seen_at = seen_at
            await self.update(charger)
        return charger

    async def page(self, request: PageRequest) -> Page[Charger]:
        return self._page(sorted(self.mine(), key=lambda c: c.id), request)


class FakeConnectors(_Repo):
    name = "connectors"

    async def upsert(self, connector: Connector) -> None:
        self.rows[(connector.charger_id, connector.connector_id)] = _copy(connector)

    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[Connector]:
        return [c for c in self.mine() if c.charger_id in charger_ids]


class FakeSettings(_Repo):
    name = "charger_settings"

    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[ChargerSetting]:
        return sorted((s for s in self.mine() if s.charger_id in charger_ids), key=lambda s: (s.charger_id, s.key))

    async def replace(self, charger_id: UUID, settings: Sequence[ChargerSetting]) -> None:
        for key in [k for k, s in self.rows.items() if s.charger_id == charger_id]:
            del self.rows[key]
        for setting in settings:
            await self.put(setting)

    async def put(self, setting: ChargerSetting) -> None:
        self.rows[(setting.charger_id, setting.key)] = _copy(setting)

    async def autocharge_tokens_seen(self, charger_ids: Sequence[UUID]) -> set[UUID]:
        unrecognised = self.uow.pending.table("unrecognised")
        return {u.charger_id for u in unrecognised.values() if u.charger_id in charger_ids}


class FakeLocalList(_Repo):
    async def entries(self) -> list[LocalListEntry]:
        identifiers = self.uow.pending.table("identifiers").values()
        tags = self.uow.pending.table("rfid_tags").values()
        mine = self.uow.tenant_id
        found = [LocalListEntry(i.value, True) for i in identifiers if i.tenant_id == mine and i.status == "ACTIVE"]
        return found + [LocalListEntry(t.id_tag, False) for t in tags if t.tenant_id == mine]

    async def accepted(self, charger_id: UUID) -> list[LocalListEntry]:
        held = self.uow.pending.table("local_list_accepted")
        return sorted((e for (c, _), e in held.items() if c == charger_id), key=lambda e: e.id_tag)

    async def record_accepted(self, charger_id: UUID, version: int, entries: Sequence[LocalListEntry]) -> None:
        self.uow.pending.table("chargers")[charger_id].local_list_version = version
        held = self.uow.pending.table("local_list_accepted")
        for key in [k for k in held if k[0] == charger_id]:
            del held[key]
        held.update({(charger_id, e.id_tag): e for e in entries})


class FakeUnrecognised(_Repo):
    name = "unrecognised"

    async def record(self, charger_id: UUID, value: str, now: datetime) -> None:
        key = (self.uow.tenant_id, charger_id, value)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = UnrecognisedIdentifier(
                tenant_id=self.uow.tenant_id, charger_id=charger_id, value=value, first_seen_at=now, last_seen_at=now
            )
        else:
            row.times_seen += 1
            row.last_seen_at = now

    async def forget(self, value: str) -> None:
        for key in [k for k, r in self.rows.items() if r.tenant_id == self.uow.tenant_id and r.value == value]:
            del self.rows[key]

    async def latest(self, charger_id: UUID | None, limit: int) -> list[UnrecognisedIdentifier]:
        rows = [r for r in self.mine() if charger_id is None or r.charger_id == charger_id]
        return sorted(rows, key=lambda r: r.last_seen_at, reverse=True)[:limit]

    async def last_on_charger(self, charger_id: UUID, since: datetime) -> UnrecognisedIdentifier | None:
        recent = [r for r in await self.latest(charger_id, len(self.rows)) if r.last_seen_at >= since]
        return recent[0] if recent else None

    async def suggest(self, row: UnrecognisedIdentifier) -> None:
        stored = self.rows.get((self.uow.tenant_id, row.charger_id, row.value))
        if stored is not None:
            stored.suggested_user_id = row.suggested_user_id
            stored.suggested_vehicle_id = row.suggested_vehicle_id
            stored.suggested_at = row.suggested_at


class FakeTransactions(_Repo):
    name = "transactions"

    async def add(self, entity: Any) -> None:
        for t in self.mine():
            if t.charger_id == entity.charger_id and entity.start_key == t.start_key:
                raise Conflict("duplicate start")
        await super().add(entity)

    async def by_start_key(self, charger_id: UUID, start_key: str) -> Transaction | None:
        return next((t for t in self.mine() if t.charger_id == charger_id and t.start_key == start_key), None)

    async def by_ocpp_id(self, charger_id: UUID, ocpp_transaction_id: str) -> Transaction | None:
        return next(
            (t for t in self.mine() if t.charger_id == charger_id and t.ocpp_transaction_id == ocpp_transaction_id),
            None,
        )

    async def in_use_elsewhere(self, id_tag: str, charger_id: UUID) -> UUID | None:
        return next(
            (
                t.charger_id
                for t in self.mine()
                if t.id_tag == id_tag
                and t.is_active
                and t.authorization is AuthorizationStatus.ACCEPTED
                and t.charger_id != charger_id
            ),
            None,
        )

    async def next_ocpp_number(self) -> int:
        return next(self.uow.pending.numbers)

    async def page(self, request: PageRequest, where: TransactionFilter) -> Page[Transaction]:
        items = [t for t in self.mine() if where.vehicle_id is None or t.vehicle_id == where.vehicle_id]
        items.sort(key=lambda t: (t.started_at, t.id), reverse=True)
        return self._page(items, request)

    async def count_by_vehicle(self, vehicle_ids: Sequence[UUID]) -> dict[UUID, int]:
        return {v: sum(1 for t in self.mine() if t.vehicle_id == v) for v in vehicle_ids}

    async def summary(
        self, vehicle_id: UUID, started_from: datetime | None, started_to: datetime | None
    ) -> ChargingSummary:
        items = [t for t in self.mine() if t.vehicle_id == vehicle_id]
        return ChargingSummary(
            sessions=len(items),
            autocharge_sessions=sum(1 for t in items if t.origin.value == "AUTOCHARGE"),
            energy_wh=sum(t.energy_wh or 0 for t in items),
            charging_seconds=sum(int((t.stopped_at - t.started_at).total_seconds()) for t in items if t.stopped_at),
        )


class FakeRemoteStarts(_Repo):
    name = "remote_starts"

    async def pending(self, charger_id: UUID, id_tag: str, now: datetime) -> RemoteStart | None:
        return next(
            (
                r
                for r in self.mine()
                if r.charger_id == charger_id and r.id_tag == id_tag and r.expires_at > now and r.transaction_id is None
            ),
            None,
        )


class FakePairing(_Repo):
    name = "pairing"

    async def add(self, entity: Any) -> None:
        if await self.waiting_on_charger(entity.charger_id) is not None:
            raise Conflict("charger busy")
        await super().add(entity)

    async def waiting_on_charger(self, charger_id: UUID) -> PairingSession | None:
        return next((s for s in self.mine() if s.charger_id == charger_id and s.is_waiting), None)

    async def transition(self, session: PairingSession, expected: PairingStatus) -> bool:
        stored = self.rows.get(session.id)
        if stored is None or stored.status is not expected:
            return False
        self.rows[session.id] = _copy(session)
        return True


class FakeLogs(_Repo):
    name = "logs"


class FakeUnitOfWork:
    def __init__(self, store: Store, tenant_id: UUID) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.committed = False
        self._events: list[DomainEvent] = []
        self.pending = store
        self.users = FakeUsers(self)
        self.rfid_tags = FakeRfidTags(self)
        self.vehicles = FakeVehicles(self)
        self.identifiers = FakeIdentifiers(self)
        self.chargers = FakeChargers(self)
        self.connectors = FakeConnectors(self)
        self.settings = FakeSettings(self)
        self.local_list = FakeLocalList(self)
        self.unrecognised = FakeUnrecognised(self)
        self.transactions = FakeTransactions(self)
        self.remote_starts = FakeRemoteStarts(self)
        self.pairing = FakePairing(self)
        self.logs = FakeLogs(self)

    async def __aenter__(self) -> Self:
        # Work on a deep copy; commit swaps it in, anything else throws it away (rollback).
        self.pending = Store()
        self.pending.rows = {name: {k: _copy(v) for k, v in t.items()} for name, t in self.store.rows.items()}
        self.pending.numbers = self.store.numbers
        self.committed = False
        self._events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self.store.rows = self.pending.rows
        self.committed = True
        events, self._events = self._events, []
        self.store.published.extend(events)

    async def rollback(self) -> None:
        self.pending = self.store
        self._events = []

    def publish(self, event: DomainEvent) -> None:
        self._events.append(event)


class TokenFactsInUnitOfWork:
    """The TokenFactsReader port read through any unit of work, as judge() reads the facts: over the in-memory
    store for the unit tests, over the database as the reference SqlTokenFacts is compared with."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
        async with self._uow_factory(tenant_id) as uow:
            charger = await uow.chargers.get(charger_id)
            if charger is None:
                return None
            return await read_facts(uow, charger, Token(value, autocharge=True), datetime.now(UTC))


class FakeCommands:
    """The commands sent, start and stop spelled as ("start", (cpid, connector, id_tag)), ("stop", (cpid, tx));
    every other command as (its name, (cpid, command)). Each answered `answers[name]`, else Accepted or Rejected."""

    def __init__(self, accept: bool = True) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.accept = accept
        self.answers: dict[str, CommandAnswer] = {}

    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer:
        cpid = charger.charge_point_id
        if isinstance(command, StartCharging):
            self.sent.append(("start", (cpid, command.connector_id, command.id_tag)))
        elif isinstance(command, StopCharging):
            self.sent.append(("stop", (cpid, command.ocpp_transaction_id)))
        else:
            self.sent.append((command.name, (cpid, command)))
        return self.answers.get(command.name, CommandAnswer("Accepted" if self.accept else "Rejected"))
