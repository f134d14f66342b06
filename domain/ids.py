"""Identifiers and clocks shared by every entity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import uuid6


def new_id() -> UUID:
    """A time-ordered UUIDv7: sorting by id sorts by creation, which makes cursors cheap."""
    return UUID(int=uuid6.uuid7().int)


def parse_id(value: str, what: str = "ID") -> UUID:
    """Parse a UUID string, raising the domain's Invalid error with a readable message."""
    from domain.errors import Invalid

    try:
        return UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise Invalid(f"{what} {value!r} is not a UUID") from None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    def __call__(self) -> datetime: ...
