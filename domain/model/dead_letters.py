from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.model.logs import LogDirection, OcppMessageType


@dataclass(frozen=True, kw_only=True)
class OcppDeadLetter:
    """An OCPP frame the log could not store even on its own and set aside, with the database's refusal."""

    id: UUID  # the log entry's own id
    tenant_id: UUID  # the tenant of the charger that sent or received the frame, as known on its connection
    charger_id: UUID  # no longer a stored charger when it was deleted meanwhile
    charge_point_id: str
    timestamp: datetime  # when the frame crossed the wire
    direction: LogDirection
    message_type: OcppMessageType
    raw: str  # the frame's uniqueId, action, payload and charge point id as ASCII-only JSON
    error: str  # why the database refused it, in one line
    failed_at: datetime  # when it was set aside
