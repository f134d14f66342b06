"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns tz-aware datetimes: SQLite has no time zones and would hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive datetime is a bug upstream; refusing it beats silently storing local time.
            raise ValueError(f"naive datetime {value!r}: the database stores tz-aware UTC datetimes only")
        value = value.astimezone(UTC)
        # SQLite compares the stored text, so every value must be written in the same (UTC, naive) form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_payload() -> TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (smaller, indexable)."""
    return JSON().with_variant(JSONB(), "postgresql")
