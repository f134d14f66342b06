"""The commands a ChargePoint can send: each domain command type mapped to its version's OCPP action and sender."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.charger_commands import ChargerCommand, CommandAnswer, TriggerableMessage

C = TypeVar("C", bound=ChargerCommand)
Send = Callable[[Any, Any], Awaitable[CommandAnswer]]

# The message a TriggerMessage asks for: spelled the same in 1.6 and 2.0.1.
TRIGGERED_MESSAGES = {
    TriggerableMessage.BOOT_NOTIFICATION: "BootNotification",
    TriggerableMessage.HEARTBEAT: "Heartbeat",
    TriggerableMessage.STATUS_NOTIFICATION: "StatusNotification",
    TriggerableMessage.METER_VALUES: "MeterValues",
}


@dataclass(frozen=True, slots=True)
class Sender:
    action: str  # the OCPP action sent, for metrics and messages
    send: Send  # (charge point, command) -> its answer


class Senders:
    """One version's table: `@SENDERS.of(Reset, "Reset")` over `async def reset(cp, command) -> CommandAnswer`."""

    def __init__(self) -> None:
        self._senders: dict[type[ChargerCommand], Sender] = {}

    def of(self, command: type[C], action: str) -> Callable[[Callable[[Any, C], Awaitable[CommandAnswer]]], Send]:
        def register(send: Callable[[Any, C], Awaitable[CommandAnswer]]) -> Send:
            self._senders[command] = Sender(action, send)
            return send

        return register

    def get(self, command: ChargerCommand) -> Sender | None:
        return self._senders.get(type(command))


async def ask(cp: Any, request: Any) -> Any:
    """Send the CALL and return its typed answer; a CALLERROR raises (its code becomes the status:
    BaseChargePoint.execute)."""
    return await cp.call(request)


def status_of(answer: Any) -> str:
    return str(answer.status)
