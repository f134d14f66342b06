from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class TransactionOrigin(enum.StrEnum):
    AUTOCHARGE = "AUTOCHARGE"
    RFID = "RFID"
    REMOTE = "REMOTE"


class TransactionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"


class AuthorizationStatus(enum.StrEnum):
    """The verdict on a presented token; the same words on OCPP 1.6 and 2.0.1."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"  # the token is charging on another charger now


@dataclass(kw_only=True)
class Transaction:
    id: UUID
    tenant_id: UUID
    charger_id: UUID
    connector_id: int
    ocpp_transaction_id: str
    # A hash of what identifies one start on the wire; a retried start finds the first by it.
    start_key: str
    id_tag: str
    origin: TransactionOrigin
    authorization: AuthorizationStatus
    status: TransactionStatus = TransactionStatus.ACTIVE
    user_id: UUID | None = None
    vehicle_id: UUID | None = None
    started_at: datetime
    stopped_at: datetime | None = None
    meter_start_wh: int
    meter_last_wh: int | None = None
    meter_stop_wh: int | None = None
    stop_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status is TransactionStatus.ACTIVE

    @property
    def energy_wh(self) -> int | None:
        """Energy delivered so far: final when stopped, the latest reading while active."""
        end = self.meter_stop_wh if self.meter_stop_wh is not None else self.meter_last_wh
        return None if end is None else max(0, end - self.meter_start_wh)


@dataclass(kw_only=True)
class RemoteStart:
    """A remote start sent to a charger; the transaction it causes is REMOTE and belongs to the user."""

    id: UUID
    tenant_id: UUID
    charger_id: UUID
    connector_id: int
    user_id: UUID
    id_tag: str  # a one-off token sent in the request, so the start that follows can be recognised
    created_at: datetime
    expires_at: datetime
    transaction_id: UUID | None = None
