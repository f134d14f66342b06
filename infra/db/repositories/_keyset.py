"""Keyset pagination: the cursor carries the sort key of a row, the next page starts strictly after it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Result, Select, and_, func, or_
from sqlalchemy.sql import Executable

from domain.errors import Invalid
from domain.pagination import Page, PageRequest, encode_cursor
from infra.db.mapping import from_row

T = TypeVar("T")
Execute = Callable[[Executable], Awaitable[Result[Any]]]


async def keyset_page(
    execute: Execute,
    cls: type[T],
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    request: PageRequest,
    *,
    descending: bool,
) -> Page[T]:
    """One page of `query` (already filtered) in `keys` order, with one cursor per item and the total count."""
    total = None
    if request.with_total:
        total = (await execute(query.with_only_columns(func.count(), maintain_column_froms=True))).scalar_one()
    page_query = query
    if (after := request.after_key) is not None:
        page_query = page_query.where(_after(keys, _parse_key(keys, after), descending))
    order = [key.desc() if descending else key.asc() for key in keys]
    # One row more than asked tells whether there is a next page without a second query.
    rows = (await execute(page_query.order_by(*order).limit(request.first + 1))).mappings().all()
    shown = rows[: request.first]
    return Page(
        items=[from_row(cls, row) for row in shown],
        cursors=[encode_cursor([_format(row[_name(key)]) for key in keys]) for row in shown],
        has_next=len(rows) > request.first,
        total_count=total,
    )


def _after(keys: Sequence[ColumnElement[Any]], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    # (a, b) after (x, y) == a > x OR (a = x AND b > y): spelled out, since row values vary between databases.
    clauses = []
    for i, key in enumerate(keys):
        equal_before = [keys[j] == values[j] for j in range(i)]
        beyond = key < values[i] if descending else key > values[i]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def _parse_key(keys: Sequence[ColumnElement[Any]], raw: list[str]) -> list[Any]:
    if len(raw) != len(keys):
        raise Invalid("cursor does not belong to this list")
    return [_parse(key, value) for key, value in zip(keys, raw, strict=True)]


def _parse(key: ColumnElement[Any], value: str) -> Any:
    try:
        if key.type.python_type is UUID:
            return UUID(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"cursor value {value!r} is not one this API issued") from None
    if parsed.tzinfo is None:
        raise Invalid(f"cursor value {value!r} is not one this API issued")
    return parsed


def _format(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _name(key: ColumnElement[Any]) -> str:
    name = getattr(key, "name", None)
    assert isinstance(name, str), f"sort key {key!r} must be a plain column"
    return name
