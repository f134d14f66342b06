"""Identifiers and clocks shared by every entity."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID


class _Uuid7:
    """UUIDv7 (RFC 9562) with a 12-bit counter after the millisecond (section 6.2, method 1).

    Written here rather than taken from the uuid6 package, which on every call asks the kernel for random
    bits (a syscall: two of them per OCPP round trip, for the two logged frames) and, for a second ID within
    a millisecond, moves the timestamp one millisecond forward: under a few thousand IDs per second its IDs
    ran ahead of the clock, without bound. Here IDs within a millisecond count up; the random bits come from
    os.urandom 4 KiB at a time; a forked child starts with a fresh buffer.
    """

    _BUFFER_BYTES = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0
        self._random = b""
        self._offset = 0
        os.register_at_fork(after_in_child=self._forget_random)

    def _forget_random(self) -> None:
        self._random, self._offset = b"", 0

    def _random_bits(self, count_bytes: int) -> int:
        if self._offset + count_bytes > len(self._random):
            self._random, self._offset = os.urandom(self._BUFFER_BYTES), 0
        start, self._offset = self._offset, self._offset + count_bytes
        return int.from_bytes(self._random[start : self._offset])

    def __call__(self) -> UUID:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._counter = self._random_bits(2) & 0x7FF  # a random start, leaving room to count up
            else:
                self._counter += 1
                if self._counter > 0xFFF:  # 4,096 IDs in one millisecond: borrow the next one
                    self._last_ms += 1
                    self._counter = 0
            tail = self._random_bits(8) & 0x3FFF_FFFF_FFFF_FFFF  # 62 random bits
            value = (self._last_ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | self._counter << 64 | 0b10 << 62 | tail
        return UUID(int=value)


new_id = _Uuid7()
new_id.__doc__ = "A time-ordered UUIDv7: sorting by id sorts by creation, which makes cursors cheap."


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
