"""What adapters ask the domain to do: imperative, frozen, validated by the use cases.

A command holds everything its use case acts on (see domain.services). A use case whose store is not one
tenant's unit of work (a UnitOfWorkFactory, the Directory) finds the tenant in its command: `tenant_id`
(keyword-only where it joins a charger's command, so that it is never mistaken for the charger's id), or in
each item of a sweep across tenants.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from domain.charger_commands import ChargerCommand
from domain.identifiers import is_autocharge_id_tag
from domain.model import ApiRole
from domain.queries import RecordedConnection

C = TypeVar("C", bound=ChargerCommand, covariant=True)


@dataclass(frozen=True, slots=True)
class Token:
    """A token a charger presented: an Autocharge vehicle token or an RFID idTag."""

    raw: str
    autocharge: bool

    @classmethod
    def from_ocpp16(cls, id_tag: str) -> Token:
        """On 1.6 only the 'VID:' prefix marks an Autocharge token."""
        return cls(raw=id_tag, autocharge=is_autocharge_id_tag(id_tag))

    @classmethod
    def from_ocpp201(cls, id_token: str, token_type: str) -> Token:
        """On 2.0.1 the type MacAddress marks one, with or without the prefix."""
        return cls(raw=id_token, autocharge=token_type == "MacAddress" or is_autocharge_id_tag(id_token))


# --- operator (CLI, GraphQL): tenants and API keys, kept in the Directory ---


@dataclass(frozen=True, slots=True)
class CreateTenant:
    name: str


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    tenant_id: UUID
    role: ApiRole
    name: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RevokeApiKey:
    tenant_id: UUID
    key_id: UUID


@dataclass(frozen=True, slots=True)
class Authenticate:
    secret: str | None  # as the caller sent it (a bearer API key)


# --- back office (GraphQL) ---


@dataclass(frozen=True, slots=True)
class CreateUser:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class AddRfidTag:
    user_id: UUID
    id_tag: str


@dataclass(frozen=True, slots=True)
class RemoveRfidTag:
    user_id: UUID
    id_tag: str


@dataclass(frozen=True, slots=True)
class AddVehicle:
    user_id: UUID
    license_plate: str
    make: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class RetireVehicle:
    vehicle_id: UUID


@dataclass(frozen=True, slots=True)
class AddVehicleIdentifier:
    vehicle_id: UUID
    value: str


@dataclass(frozen=True, slots=True)
class RetireVehicleIdentifier:
    identifier_id: UUID


@dataclass(frozen=True, slots=True)
class RegisterCharger:
    charge_point_id: str
    name: str
    password: str | None = None
    autocharge_supported: bool = False


@dataclass(frozen=True, slots=True)
class SetAutochargeSupported:
    charger_id: UUID
    supported: bool


@dataclass(frozen=True, slots=True)
class SetChargerSecurityProfile:
    charger_id: UUID
    profile: int


@dataclass(frozen=True, slots=True)
class StartPairing:
    vehicle_id: UUID
    charger_id: UUID
    timeout_seconds: int = 300


@dataclass(frozen=True, slots=True)
class CancelPairing:
    session_id: UUID


@dataclass(frozen=True, slots=True)
class RemoteStartTransaction:
    charger_id: UUID
    connector_id: int
    user_id: UUID


@dataclass(frozen=True, slots=True)
class RemoteStopTransaction:
    transaction_id: UUID


# --- station operations (GraphQL, jobs): what an operator asks of a charger ---


@dataclass(frozen=True, slots=True)
class OperateCharger(Generic[C]):
    """Send `command` to the charger `charger_id`, wherever it is connected."""

    charger_id: UUID
    command: C


@dataclass(frozen=True, slots=True)
class SetAutochargeEnabled:
    """Write the charger's Autocharge switch (the vendor setting it reported) on or off."""

    charger_id: UUID
    enabled: bool


@dataclass(frozen=True, slots=True)
class SendFullLocalList:
    charger_id: UUID


@dataclass(frozen=True, slots=True)
class SyncLocalList:
    charger_id: UUID


# --- charger connections (OCPP server, jobs) ---


@dataclass(frozen=True, slots=True)
class ReportConnected:
    charger_id: UUID
    ocpp_version: str


@dataclass(frozen=True, slots=True)
class ReportDisconnected:
    charger_id: UUID
    connection_id: UUID  # the connection that ended: a newer one is left alone


@dataclass(frozen=True, slots=True)
class ResumeConnection:
    charger_id: UUID
    connection_id: UUID


@dataclass(frozen=True, slots=True)
class ReportSeen:
    """A heartbeat, or another frame that shows the charger is there."""

    charger_id: UUID


@dataclass(frozen=True, slots=True)
class EndOrphanedConnections:
    recorded: tuple[RecordedConnection, ...]  # connections recorded as current, of any tenant


@dataclass(frozen=True, slots=True)
class ExpirePairingSessions:
    due: tuple[tuple[UUID, UUID], ...]  # (tenant_id, session_id) of sessions past their expiry


# --- charger (OCPP) ---


@dataclass(frozen=True, slots=True)
class ReportBoot:
    charger_id: UUID
    vendor: str | None
    model: str | None
    firmware_version: str | None


@dataclass(frozen=True, slots=True)
class ReportConnectorStatus:
    charger_id: UUID
    connector_id: int
    status: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Authorize:
    charger_id: UUID
    token: Token
    _: KW_ONLY
    tenant_id: UUID


@dataclass(frozen=True, slots=True)
class StartTransaction:
    charger_id: UUID
    connector_id: int
    token: Token | None
    meter_start_wh: int
    timestamp: datetime
    # What makes a retried start recognisable: on 1.6 the start's own fields, on 2.0.1 the charger's transactionId.
    start_key: str
    # 2.0.1: the charger's transactionId. 1.6: None, the back office allocates a number.
    ocpp_transaction_id: str | None = None
    _: KW_ONLY
    tenant_id: UUID


@dataclass(frozen=True, slots=True)
class ReportMeterValues:
    charger_id: UUID
    ocpp_transaction_id: str
    energy_wh: int | None
    timestamp: datetime
    token: Token | None = None  # 2.0.1 may present the token only after the transaction started
    _: KW_ONLY
    tenant_id: UUID


@dataclass(frozen=True, slots=True)
class StopTransaction:
    charger_id: UUID
    ocpp_transaction_id: str
    meter_stop_wh: int | None
    timestamp: datetime
    reason: str | None = None
