from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One change asked of the back office (a GraphQL mutation, a CLI command): who, what, with what, how it ended."""

    id: UUID
    tenant_id: UUID
    at: datetime
    api_key_id: UUID | None  # None: the CLI
    operation: str  # the mutation's field name, e.g. "retireVehicle", or the CLI command, e.g. "apikey create"
    arguments: dict[str, Any]  # secrets and passwords replaced by MASK
    outcome: str  # "OK", or the error's code, e.g. "CONFLICT"
