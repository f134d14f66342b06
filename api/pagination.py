"""Cursor connections: the shared PageInfo and the translation of GraphQL arguments to a PageRequest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from domain.pagination import DEFAULT_PAGE_SIZE, Page, PageRequest

__all__ = ["DEFAULT_PAGE_SIZE", "PageInfo", "as_utc", "page_info", "page_request", "selects", "total"]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def page_request(first: int, after: str | None, info: strawberry.Info[Any, Any] | None = None) -> PageRequest:
    """Raises the domain's Invalid (VALIDATION) for first outside 0..500 or a cursor we did not issue.

    Given the connection field's `info`, rows are counted only when the query selects totalCount.
    """
    return PageRequest(first=first, after=after, with_total=info is None or selects(info, "totalCount"))


def selects(info: strawberry.Info[Any, Any], *path: str) -> bool:
    """Whether the query selects `path` under the current field (through fragments, whatever their directives)."""
    return any(_selects(field.selections, path) for field in info.selected_fields)


def _selects(selections: list[Selection], path: tuple[str, ...]) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and (len(path) == 1 or _selects(selection.selections, path[1:])):
                return True
        elif _selects(selection.selections, path):
            return True
    return False


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor)


def total(page: Page[Any]) -> int:
    return page.total_count if page.total_count is not None else len(page.items)


def as_utc(moment: datetime | None) -> datetime | None:
    """A timestamp argument without an offset is read as UTC, so it compares with stored times."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
