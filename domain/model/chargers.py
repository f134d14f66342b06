from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class ConnectionState(enum.StrEnum):
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"
    NEVER_CONNECTED = "NEVER_CONNECTED"


@dataclass(kw_only=True)
class Charger:
    """A charge point registered to a tenant; chargePointId is its OCPP identity, unique system-wide."""

    id: UUID
    tenant_id: UUID
    charge_point_id: str
    name: str
    password_hash: str | None = None
    # The lowest OCPP security profile it may connect with (domain.security_profiles).
    security_profile: int = 0
    autocharge_supported: bool = False
    connection_state: ConnectionState = ConnectionState.NEVER_CONNECTED
    ocpp_version: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    last_seen_at: datetime | None = None
    # A fresh id per websocket connection: a connection that ended late (on another process) can then
    # tell that the charger has since reconnected, and leave its state alone.
    connection_id: UUID | None = None
    created_at: datetime
    local_list_version: int | None = None  # the local authorisation list version the charger last accepted

    @property
    def is_connected(self) -> bool:
        return self.connection_state is ConnectionState.CONNECTED


@dataclass(kw_only=True)
class Connector:
    tenant_id: UUID
    charger_id: UUID
    connector_id: int
    status: str
    updated_at: datetime


@dataclass(kw_only=True)
class UnrecognisedIdentifier:
    """An Autocharge token a charger presented that matched no active identifier."""

    tenant_id: UUID
    charger_id: UUID
    value: str
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int = 1
    # Learnt from an RFID tap on the same charger soon after this token was rejected; an admin confirms.
    suggested_user_id: UUID | None = None
    suggested_vehicle_id: UUID | None = None
    suggested_at: datetime | None = None


@dataclass(kw_only=True)
class ChargerSetting:
    """One configuration value as the charger last reported it (1.6 key, or 2.0.1 "Component/Variable")."""

    tenant_id: UUID
    charger_id: UUID
    key: str
    value: str | None
    readonly: bool
    reported_at: datetime
