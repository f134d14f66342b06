from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


class LogDirection(enum.StrEnum):
    FROM_CHARGER = "FROM_CHARGER"
    TO_CHARGER = "TO_CHARGER"


class OcppMessageType(enum.StrEnum):
    CALL = "CALL"
    CALL_RESULT = "CALL_RESULT"
    CALL_ERROR = "CALL_ERROR"


@dataclass(frozen=True, kw_only=True, slots=True)
class OcppLogEntry:
    """One OCPP-J frame as it crossed the wire; ids are time-ordered, so id order is wire order."""

    id: UUID
    tenant_id: UUID
    charger_id: UUID
    charge_point_id: str
    timestamp: datetime
    direction: LogDirection
    message_type: OcppMessageType
    unique_id: str
    action: str | None
    payload: Any
