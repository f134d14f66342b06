"""Entities and value objects of the back office; each row carries its tenant."""

from domain.model.chargers import Charger, ChargerSetting, ConnectionState, Connector, UnrecognisedIdentifier
from domain.model.logs import LogDirection, OcppLogEntry, OcppMessageType
from domain.model.pairing import Capture, PairingFailure, PairingSession, PairingStatus
from domain.model.tenants import ApiKey, ApiRole, Principal, Tenant
from domain.model.transactions import (
    AuthorizationStatus,
    RemoteStart,
    Transaction,
    TransactionOrigin,
    TransactionStatus,
)
from domain.model.users import RfidTag, User
from domain.model.vehicles import (
    IdentifierSource,
    IdentifierStatus,
    Vehicle,
    VehicleIdentifier,
    VehicleStatus,
)

__all__ = [
    "ApiKey",
    "ApiRole",
    "AuthorizationStatus",
    "Capture",
    "Charger",
    "ChargerSetting",
    "ConnectionState",
    "Connector",
    "IdentifierSource",
    "IdentifierStatus",
    "LogDirection",
    "OcppLogEntry",
    "OcppMessageType",
    "PairingFailure",
    "PairingSession",
    "PairingStatus",
    "Principal",
    "RemoteStart",
    "RfidTag",
    "Tenant",
    "Transaction",
    "TransactionOrigin",
    "TransactionStatus",
    "UnrecognisedIdentifier",
    "User",
    "Vehicle",
    "VehicleIdentifier",
    "VehicleStatus",
]
