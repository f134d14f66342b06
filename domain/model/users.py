from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(kw_only=True)
class User:
    """A driver of the tenant; owns vehicles and RFID tags."""

    id: UUID
    tenant_id: UUID
    email: str
    name: str
    created_at: datetime


@dataclass(kw_only=True)
class RfidTag:
    """An RFID card's idTag; belongs to at most one user of a tenant."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    id_tag: str
    created_at: datetime
