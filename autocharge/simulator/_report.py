"""The steps a simulated charger reports: what it sent and what the server answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Direction = Literal["->", "<-", "--"]  # sent, received, the simulator's own note


@dataclass(frozen=True, slots=True)
class Step:
    charge_point_id: str
    direction: Direction
    text: str

    def __str__(self) -> str:
        return f"[{self.charge_point_id}] {self.direction} {self.text}"


Reporter = Callable[[Step], None]


def silent(step: Step) -> None:
    """The library default: tests and benchmarks read the central system, not the console."""


def printing(out: Callable[[str], object]) -> Reporter:
    """A reporter that writes one line per step, e.g. "[CP-1] -> Authorize idTag=VID:0A1B2C3D4E5F"."""

    def report(step: Step) -> None:
        out(str(step))

    return report
