"""Rows of the fault table, filled by the fault tests and printed by tests/faults/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    fault: str
    load: str
    sent: int
    answered: int  # CALLRESULT or CALLERROR received
    stored: int  # answered frames whose CALL and answer are both in the Real-Time Logs
    lost: int  # answered but not stored
    reconnects: int


ROWS: list[Row] = []

_HEADER = ("fault", "load", "sent", "answered", "stored", "lost", "reconnects")


def table() -> str:
    cells = [_HEADER, *((r.fault, r.load, r.sent, r.answered, r.stored, r.lost, r.reconnects) for r in ROWS)]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(_HEADER))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells)
