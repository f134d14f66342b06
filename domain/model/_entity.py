from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class Entity:
    """Records the events its changes cause; the unit of work publishes them after commit."""

    events: list[Any] = field(default_factory=list, repr=False, compare=False)

    def record(self, event: Any) -> None:
        self.events.append(event)
