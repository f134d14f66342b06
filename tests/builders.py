"""Test data: one builder per entity, each a valid value with every field overridable by keyword.

`a_charger(tenant_id, name="Depot")` is a Charger nobody stored; tests/databases.py's Seed stores them, and
tests/api/factories.py makes data through the use cases when a rule must hold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.ids import new_id
from domain.model import (
    AuthorizationStatus,
    Charger,
    IdentifierSource,
    LogDirection,
    OcppLogEntry,
    OcppMessageType,
    Tenant,
    Transaction,
    TransactionOrigin,
    User,
    Vehicle,
    VehicleIdentifier,
)

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def a_tenant(**overrides: Any) -> Tenant:
    id_ = new_id()
    return Tenant(**{"id": id_, "name": "Tenant", "slug": f"t-{id_.hex[-12:]}", "created_at": T0, **overrides})


def a_user(tenant_id: UUID, **overrides: Any) -> User:
    id_ = new_id()
    values = {
        "id": id_,
        "tenant_id": tenant_id,
        "email": f"{id_.hex[-12:]}@example.com",
        "name": "Ada",
        "created_at": T0,
    }
    return User(**{**values, **overrides})


def a_charger(tenant_id: UUID, **overrides: Any) -> Charger:
    id_ = new_id()
    values = {
        "id": id_,
        "tenant_id": tenant_id,
        "charge_point_id": f"CP-{id_.hex[-12:]}",
        "name": "Bay",
        "created_at": T0,
    }
    return Charger(**{**values, **overrides})


def a_vehicle(user: User, **overrides: Any) -> Vehicle:
    id_ = new_id()
    values = {"id": id_, "tenant_id": user.tenant_id, "user_id": user.id, "license_plate": id_.hex[-8:].upper()}
    return Vehicle(**{**values, "created_at": T0, **overrides})


def an_identifier(vehicle: Vehicle, value: str, **overrides: Any) -> VehicleIdentifier:
    values = {"id": new_id(), "tenant_id": vehicle.tenant_id, "vehicle_id": vehicle.id, "value": value}
    return VehicleIdentifier(**{**values, "source": IdentifierSource.MANUAL, "captured_at": T0, **overrides})


def a_transaction(charger: Charger, number: int, **overrides: Any) -> Transaction:
    values = {
        "id": new_id(),
        "tenant_id": charger.tenant_id,
        "charger_id": charger.id,
        "connector_id": 1,
        "ocpp_transaction_id": str(number),
        "start_key": f"start-{number}",
        "id_tag": "TAG",
        "origin": TransactionOrigin.RFID,
        "authorization": AuthorizationStatus.ACCEPTED,
        "started_at": T0 + timedelta(minutes=number),
        "meter_start_wh": 1000,
    }
    return Transaction(**{**values, **overrides})


def a_log_entry(charger: Charger, **overrides: Any) -> OcppLogEntry:
    values = {
        "id": new_id(),
        "tenant_id": charger.tenant_id,
        "charger_id": charger.id,
        "charge_point_id": charger.charge_point_id,
        "timestamp": T0,
        "direction": LogDirection.FROM_CHARGER,
        "message_type": OcppMessageType.CALL,
        "unique_id": "1",
        "action": "Heartbeat",
        "payload": {},
    }
    return OcppLogEntry(**{**values, **overrides})
