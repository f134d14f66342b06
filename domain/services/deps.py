"""What the adapters hand to use cases: built once by the composition root, never a global."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.ids import Clock, utcnow
from domain.ports import (
    AuditTrail,
    ChargerCommands,
    DeadLetters,
    Directory,
    EventBus,
    FrameJournal,
    TokenFactsReader,
    UnitOfWorkFactory,
)
from domain.services.login_throttle import LoginThrottle


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory  # tenant_id -> a fresh, unopened unit of work
    directory: Directory
    bus: EventBus
    journal: FrameJournal
    commands: ChargerCommands
    tokens: TokenFactsReader  # Authorize's read-only path
    clock: Clock = field(default=utcnow)
    # Failed charger passwords and API keys; unthrottled unless the composition root gives one.
    logins: LoginThrottle = field(default_factory=LoginThrottle.unlimited)
    # The audit log; without one (unit tests' fakes), mutations are not audited.
    audit: AuditTrail | None = None
    # The OCPP frames the log set aside; without one (unit tests' fakes), there are none to read.
    dead_letters: DeadLetters | None = None
