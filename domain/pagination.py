"""Keyset pagination: opaque cursors that carry the sort key of the last row seen."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import Invalid

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int = DEFAULT_PAGE_SIZE
    after: str | None = None
    # Counting every matching row costs a scan; a stream that pages through everything (an export) skips it.
    with_total: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.first <= MAX_PAGE_SIZE:
            raise Invalid(f"first must be between 0 and {MAX_PAGE_SIZE}, got {self.first}")
        if self.after is not None:
            decode_cursor(self.after)  # fail early, with VALIDATION, on a cursor we did not make

    @property
    def after_key(self) -> list[str] | None:
        return None if self.after is None else decode_cursor(self.after)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next: bool
    total_count: int | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(key: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(f"cursor {cursor!r} is not one this API issued") from None
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise Invalid(f"cursor {cursor!r} is not one this API issued")
    return key
