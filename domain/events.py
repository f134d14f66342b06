"""Facts that happened, published after commit on channels named by tenant and topic."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from domain.model import Charger, OcppLogEntry, PairingSession, Transaction

CHARGERS_TOPIC = "chargers"
TRANSACTIONS_TOPIC = "transactions"
API_KEYS_TOPIC = "api_keys"
# What a presented vehicle token is judged on, beside chargers and transactions: its identifiers, their vehicles,
# and whether a pairing session waits on a charger (a tenant-wide topic, unlike each session's own).
TOKENS_TOPIC = "tokens"


class ChargerChange(enum.StrEnum):
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"
    BOOTED = "BOOTED"
    CONNECTOR_STATUS = "CONNECTOR_STATUS"
    UPDATED = "UPDATED"


class TransactionChange(enum.StrEnum):
    STARTED = "STARTED"
    METER_VALUES = "METER_VALUES"
    STOPPED = "STOPPED"


@dataclass(frozen=True, kw_only=True)
class ChargerStatusChanged:
    tenant_id: UUID
    change: ChargerChange
    charger: Charger  # a snapshot as committed

    topic: ClassVar[str] = CHARGERS_TOPIC


@dataclass(frozen=True, kw_only=True)
class TransactionChanged:
    tenant_id: UUID
    change: TransactionChange
    transaction: Transaction

    topic: ClassVar[str] = TRANSACTIONS_TOPIC


@dataclass(frozen=True, kw_only=True)
class PairingSessionChanged:
    tenant_id: UUID
    session: PairingSession

    @property
    def topic(self) -> str:
        return pairing_topic(self.session.id)


@dataclass(frozen=True, kw_only=True)
class OcppFrameLogged:
    tenant_id: UUID
    entry: OcppLogEntry

    @property
    def topic(self) -> str:
        return logs_topic(self.entry.charger_id)


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked:
    """Every process drops the key at once: its cached principals and the subscriptions opened with it."""

    tenant_id: UUID
    key_id: UUID

    topic: ClassVar[str] = API_KEYS_TOPIC


@dataclass(frozen=True, kw_only=True)
class IdentifierAdded:
    """A vehicle token became the active identifier of a vehicle."""

    tenant_id: UUID
    identifier_id: UUID
    vehicle_id: UUID
    value: str

    topic: ClassVar[str] = TOKENS_TOPIC


@dataclass(frozen=True, kw_only=True)
class IdentifierRetired:
    """A vehicle token no longer authorises its vehicle."""

    tenant_id: UUID
    identifier_id: UUID
    vehicle_id: UUID
    value: str

    topic: ClassVar[str] = TOKENS_TOPIC


@dataclass(frozen=True, kw_only=True)
class VehicleRetired:
    tenant_id: UUID
    vehicle_id: UUID

    topic: ClassVar[str] = TOKENS_TOPIC


@dataclass(frozen=True, kw_only=True)
class ChargerPairingChanged:
    """A pairing session started waiting on a charger, or stopped waiting (paired, failed, expired, cancelled)."""

    tenant_id: UUID
    charger_id: UUID
    session_id: UUID
    waiting: bool

    topic: ClassVar[str] = TOKENS_TOPIC


DomainEvent = (
    ChargerStatusChanged
    | TransactionChanged
    | PairingSessionChanged
    | OcppFrameLogged
    | IdentifierAdded
    | IdentifierRetired
    | VehicleRetired
    | ChargerPairingChanged
    | ApiKeyRevoked
)

# Why a subscription ended before its subscriber left: it may have missed events, and must read the current
# state again after subscribing anew.
SUBSCRIBER_TOO_SLOW = (
    "this subscriber was too slow and events were dropped: subscribe again (and read the current state)"
)
EVENTS_INTERRUPTED = (
    "the connection to the event bus was lost and events may have been missed: subscribe again "
    "(and read the current state)"
)


def pairing_topic(session_id: UUID) -> str:
    return f"pairing.{session_id}"


def logs_topic(charger_id: UUID) -> str:
    return f"logs.{charger_id}"
