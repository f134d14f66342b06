"""The SQLModel tables: one per entity, every row tagged with its tenant; kept apart from the domain dataclasses.

Each uniqueness rule of the domain is repeated here as a named constraint or (partial) unique index, whose
`info["conflict"]` is the message a person reads when a write breaks it (see infra/db/errors.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel

from infra.db.types import UtcDateTime, json_payload

# Names for the constraints not named below, so migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata

# PostgreSQL hands out OCPP 1.6 transaction numbers from this sequence (created by the migration)...
OCPP_NUMBER_SEQUENCE = Sequence("ocpp_transaction_number_seq", metadata=metadata)
# ...SQLite has no sequences: an AUTOINCREMENT key never reuses a number, even after its row is deleted.
sqlite_only = MetaData()
ocpp_numbers_sqlite = Table(
    "ocpp_transaction_numbers",
    sqlite_only,
    Column("n", Integer, primary_key=True),
    sqlite_autoincrement=True,
)
SQLITE_ONLY_TABLES = frozenset({"ocpp_transaction_numbers", "sqlite_sequence"})

ACTIVE = text("status = 'ACTIVE'")
WAITING = text("status = 'WAITING_FOR_VEHICLE'")


def _partial_unique(name: str, *columns: str, where: Any, conflict: str) -> Index:
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where, info={"conflict": conflict})


def _unique(name: str, *columns: str, conflict: str) -> UniqueConstraint:
    return UniqueConstraint(*columns, name=name, info={"conflict": conflict})


def _tenant() -> Any:
    return Field(sa_type=Uuid, foreign_key="tenants.id")


def _str(length: int, **kwargs: Any) -> Any:
    return Field(sa_type=String(length), **kwargs)


def _uuid(**kwargs: Any) -> Any:
    return Field(sa_type=Uuid, **kwargs)


def _time() -> Any:
    return Field(sa_type=UtcDateTime)


class TenantRow(SQLModel, table=True):
    __tablename__ = "tenants"
    __table_args__ = (_unique("uq_tenants_slug", "slug", conflict="a tenant with this slug already exists"),)
    id: UUID = _uuid(primary_key=True)
    name: str = _str(200)
    slug: str = _str(64)
    created_at: datetime = _time()


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (_unique("uq_api_keys_key_hash", "key_hash", conflict="this API key already exists"),)
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    role: str = _str(16)
    key_hash: str = _str(128)
    prefix: str = _str(16)
    created_at: datetime = _time()
    name: str = _str(200, sa_column_kwargs={"server_default": ""})
    expires_at: datetime | None = _time()
    last_used_at: datetime | None = _time()
    revoked_at: datetime | None = _time()


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        _unique("uq_users_tenant_email", "tenant_id", "email", conflict="a user with this email already exists"),
        Index("ix_users_tenant_id", "tenant_id", "id"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    email: str = _str(320)
    name: str = _str(200)
    created_at: datetime = _time()


class RfidTagRow(SQLModel, table=True):
    __tablename__ = "rfid_tags"
    __table_args__ = (
        _unique("uq_rfid_tags_tenant_id_tag", "tenant_id", "id_tag", conflict="this RFID tag is already registered"),
        Index("ix_rfid_tags_user", "user_id"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    user_id: UUID = _uuid(foreign_key="users.id")
    id_tag: str = _str(64)
    created_at: datetime = _time()


class VehicleRow(SQLModel, table=True):
    __tablename__ = "vehicles"
    __table_args__ = (
        _partial_unique(
            "uq_vehicles_active_plate",
            "tenant_id",
            "license_plate",
            where=ACTIVE,
            conflict="an active vehicle with this license plate already exists",
        ),
        Index("ix_vehicles_tenant_user", "tenant_id", "user_id"),
        Index("ix_vehicles_tenant_id", "tenant_id", "id"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    user_id: UUID = _uuid(foreign_key="users.id")
    license_plate: str = _str(32)
    make: str | None = _str(100)
    model: str | None = _str(100)
    status: str = _str(16)
    created_at: datetime = _time()
    retired_at: datetime | None = _time()


class VehicleIdentifierRow(SQLModel, table=True):
    __tablename__ = "vehicle_identifiers"
    __table_args__ = (
        _partial_unique(
            "uq_vehicle_identifiers_active_value",
            "tenant_id",
            "value",
            where=ACTIVE,
            conflict="this identifier is already active on a vehicle",
        ),
        _partial_unique(
            "uq_vehicle_identifiers_active_vehicle",
            "vehicle_id",
            where=ACTIVE,
            conflict="this vehicle already has an active identifier; retire it first",
        ),
        Index("ix_vehicle_identifiers_tenant_value", "tenant_id", "value"),
        Index("ix_vehicle_identifiers_vehicle", "vehicle_id", "captured_at"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    vehicle_id: UUID = _uuid(foreign_key="vehicles.id")
    value: str = _str(64)
    status: str = _str(16)
    source: str = _str(16)
    captured_at: datetime = _time()
    captured_on_charger_id: UUID | None = _uuid(foreign_key="chargers.id")
    retired_at: datetime | None = _time()


class ChargerRow(SQLModel, table=True):
    __tablename__ = "chargers"
    __table_args__ = (
        _unique(
            "uq_chargers_charge_point_id",
            "charge_point_id",
            conflict="this chargePointId is not available: choose another",
        ),
        Index("ix_chargers_tenant_id", "tenant_id", "id"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    charge_point_id: str = _str(128)
    name: str = _str(200)
    password_hash: str | None = _str(256)
    security_profile: int
    autocharge_supported: bool
    connection_state: str = _str(32)
    ocpp_version: str | None = _str(16)
    vendor: str | None = _str(100)
    model: str | None = _str(100)
    firmware_version: str | None = _str(100)
    last_seen_at: datetime | None = _time()
    connection_id: UUID | None = _uuid()
    created_at: datetime = _time()
    local_list_version: int | None = None


class ConnectorRow(SQLModel, table=True):
    __tablename__ = "connectors"
    __table_args__ = (PrimaryKeyConstraint("charger_id", "connector_id", name="pk_connectors"),)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    connector_id: int
    status: str = _str(32)
    updated_at: datetime = _time()


class ChargerSettingRow(SQLModel, table=True):
    """A charger's configuration value as it last reported it."""

    __tablename__ = "charger_settings"
    __table_args__ = (PrimaryKeyConstraint("charger_id", "key", name="pk_charger_settings"),)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    key: str = _str(256)
    value: str | None = Field(sa_type=Text)  # 2.0.1 allows 2500 characters
    readonly: bool
    reported_at: datetime = _time()


class ChargerLocalListEntryRow(SQLModel, table=True):
    """An entry of the local authorisation list a charger last accepted."""

    __tablename__ = "charger_local_list_entries"
    __table_args__ = (PrimaryKeyConstraint("charger_id", "id_tag", name="pk_charger_local_list_entries"),)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    id_tag: str = _str(64)
    vehicle: bool


class UnrecognisedIdentifierRow(SQLModel, table=True):
    __tablename__ = "unrecognised_identifiers"
    __table_args__ = (
        # The upsert of record() targets this key: one row per (charger, value).
        PrimaryKeyConstraint("tenant_id", "charger_id", "value", name="pk_unrecognised_identifiers"),
        Index("ix_unrecognised_identifiers_tenant_value", "tenant_id", "value"),
        Index("ix_unrecognised_identifiers_tenant_last_seen", "tenant_id", "last_seen_at"),
    )
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    value: str = _str(64)
    first_seen_at: datetime = _time()
    last_seen_at: datetime = _time()
    times_seen: int
    suggested_user_id: UUID | None = _uuid(foreign_key="users.id")
    suggested_vehicle_id: UUID | None = _uuid(foreign_key="vehicles.id")
    suggested_at: datetime | None = _time()


class TransactionRow(SQLModel, table=True):
    __tablename__ = "transactions"
    __table_args__ = (
        _unique(
            "uq_transactions_charger_start_key", "charger_id", "start_key", conflict="this start is already recorded"
        ),
        _unique(
            "uq_transactions_charger_ocpp_id",
            "charger_id",
            "ocpp_transaction_id",
            conflict="this charger already has a transaction with this transactionId",
        ),
        Index("ix_transactions_tenant_started", "tenant_id", "started_at", "id"),
        Index("ix_transactions_tenant_vehicle_started_id", "tenant_id", "vehicle_id", "started_at", "id"),
        Index("ix_transactions_tenant_charger_started", "tenant_id", "charger_id", "started_at"),
        Index("ix_transactions_tenant_user_started", "tenant_id", "user_id", "started_at"),
        # Concurrent use: is this token charging elsewhere? Asked on every Authorize and start.
        Index("ix_transactions_tenant_id_tag_status", "tenant_id", "id_tag", "status"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    connector_id: int
    ocpp_transaction_id: str = _str(64)
    start_key: str = _str(128)
    id_tag: str = _str(64)
    origin: str = _str(16)
    authorization: str = _str(16)
    status: str = _str(16)
    user_id: UUID | None = _uuid(foreign_key="users.id")
    vehicle_id: UUID | None = _uuid(foreign_key="vehicles.id")
    started_at: datetime = _time()
    stopped_at: datetime | None = _time()
    meter_start_wh: int
    meter_last_wh: int | None = None
    meter_stop_wh: int | None = None
    stop_reason: str | None = _str(64)


class RemoteStartRow(SQLModel, table=True):
    __tablename__ = "remote_starts"
    __table_args__ = (Index("ix_remote_starts_charger_id_tag", "charger_id", "id_tag"),)
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    connector_id: int
    user_id: UUID = _uuid(foreign_key="users.id")
    id_tag: str = _str(64)
    created_at: datetime = _time()
    expires_at: datetime = _time()
    transaction_id: UUID | None = _uuid(foreign_key="transactions.id")


class PairingSessionRow(SQLModel, table=True):
    __tablename__ = "pairing_sessions"
    __table_args__ = (
        _partial_unique(
            "uq_pairing_sessions_waiting_charger",
            "charger_id",
            where=WAITING,
            conflict="a pairing session is already waiting on this charger",
        ),
        Index("ix_pairing_sessions_status_expires", "status", "expires_at"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    vehicle_id: UUID = _uuid(foreign_key="vehicles.id")
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    status: str = _str(32)
    failure_reason: str | None = _str(64)
    identifier_id: UUID | None = _uuid(foreign_key="vehicle_identifiers.id")
    started_at: datetime = _time()
    expires_at: datetime = _time()
    finished_at: datetime | None = _time()


class OcppLogEntryRow(SQLModel, table=True):
    __tablename__ = "ocpp_log_entries"
    __table_args__ = (
        Index("ix_ocpp_log_entries_charger_id", "charger_id", "id"),
        Index("ix_ocpp_log_entries_timestamp", "timestamp"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    charger_id: UUID = _uuid(foreign_key="chargers.id")
    charge_point_id: str = _str(128)
    timestamp: datetime = _time()
    direction: str = _str(16)
    message_type: str = _str(16)
    unique_id: str = _str(64)
    action: str | None = _str(64)
    payload: Any = Field(sa_type=json_payload())
    # The entry as it was, as ASCII-only JSON, when a column above holds an escaped or cut form of it (NUL,
    # lone surrogates, over-long ids, an oversize payload: see infra/db/storable_frames.py); NULL otherwise.
    raw: str | None = Field(default=None, sa_type=Text)


class OcppLogDeadLetterRow(SQLModel, table=True):
    """Frames the log could not store even one by one: set aside with the error, so nothing is silently lost.

    No foreign keys: a frame of a charger or tenant deleted meanwhile is exactly what must still land here.
    """

    __tablename__ = "ocpp_log_dead_letters"
    __table_args__ = (Index("ix_ocpp_log_dead_letters_failed_at", "failed_at"),)
    id: UUID = _uuid(primary_key=True)  # the log entry's own id
    tenant_id: UUID = _uuid()
    charger_id: UUID = _uuid()
    charge_point_id: str = Field(sa_type=Text)
    timestamp: datetime = _time()
    direction: str = _str(16)
    message_type: str = _str(16)
    raw: str = Field(sa_type=Text)  # the entry (uniqueId, action, payload) as ASCII-only JSON
    error: str = Field(sa_type=Text)
    failed_at: datetime = _time()


class AuditEntryRow(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_tenant_id_at", "tenant_id", "at", "id"),
        Index("ix_audit_entries_at", "at"),
    )
    id: UUID = _uuid(primary_key=True)
    tenant_id: UUID = _tenant()
    at: datetime = _time()
    api_key_id: UUID | None = _uuid()  # no foreign key: keys are revoked, never deleted, and entries outlive nothing
    operation: str = _str(100)
    arguments: Any = Field(sa_type=json_payload())
    outcome: str = _str(32)


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# Core tables for the repositories: statements on them never touch the ORM identity map or lazy loading.
tenants = _table(TenantRow)
api_keys = _table(ApiKeyRow)
users = _table(UserRow)
rfid_tags = _table(RfidTagRow)
vehicles = _table(VehicleRow)
vehicle_identifiers = _table(VehicleIdentifierRow)
chargers = _table(ChargerRow)
connectors = _table(ConnectorRow)
charger_settings = _table(ChargerSettingRow)
charger_local_list_entries = _table(ChargerLocalListEntryRow)
unrecognised_identifiers = _table(UnrecognisedIdentifierRow)
transactions = _table(TransactionRow)
remote_starts = _table(RemoteStartRow)
pairing_sessions = _table(PairingSessionRow)
ocpp_log_entries = _table(OcppLogEntryRow)
ocpp_log_dead_letters = _table(OcppLogDeadLetterRow)
audit_entries = _table(AuditEntryRow)
