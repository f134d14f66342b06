"""What both OCPP versions share: typed `ocpp` decorators, reported calls, and the driver protocols."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from ocpp.exceptions import OCPPError
from ocpp.routing import after as _after
from ocpp.routing import on as _on
from websockets.exceptions import ConnectionClosed

from autocharge.simulator._errors import CallFailed, ChargerDisconnected
from autocharge.simulator._report import Direction, Reporter, Step
from autocharge.simulator._station import Station
from autocharge.simulator._tokens import IdToken

F = TypeVar("F", bound=Callable[..., Any])


# `ocpp` ships no type hints; these keep mypy --strict able to see through the decorators.
def on(action: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], _on(action))


def after(action: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], _after(action))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ConnectorStatuses(NamedTuple):
    """The StatusNotification values of one version for the moments of a session (None: no change)."""

    plugged: str
    charging: str | None
    finishing: str | None
    available: str


class RemoteControl(Protocol):
    """How a driver hands the server's remote commands to the charger, which owns the connector state."""

    def request_start(self, call_id: str, token: IdToken, connector: int | None, remote_start_id: int | None) -> bool:
        """Decide (and reserve the connector); the work starts at proceed(), after the answer was sent."""

    def request_stop(self, call_id: str, transaction_id: str) -> bool: ...

    def proceed(self, call_id: str) -> None: ...

    # Station operations: each decides at once; what follows the answer runs at proceed().
    @property
    def station(self) -> Station: ...
    def later(self, call_id: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None: ...
    def request_reset(self, call_id: str) -> str: ...
    def unlock(self, connector: int) -> bool: ...
    def request_availability(self, call_id: str, connector: int, operative: bool) -> str: ...
    def request_trigger(self, call_id: str, message: str, connector: int | None) -> str: ...


class Driver(Protocol):
    """The charger's messages in one OCPP version; transaction ids are text in both."""

    statuses: ConnectorStatuses

    async def serve(self) -> None: ...
    async def boot(self, vendor: str, model: str) -> str: ...
    async def heartbeat(self) -> str: ...
    async def status(self, connector: int, status: str) -> None: ...
    async def authorize(self, token: IdToken) -> str: ...

    async def start_transaction(
        self, connector: int, token: IdToken, meter_start: int, remote_start_id: int | None = None
    ) -> tuple[str, str]: ...

    async def meter_values(self, connector: int, transaction_id: str, wh: int) -> None: ...
    async def stop_transaction(self, transaction_id: str, meter_stop: int, reason: str) -> None: ...
    async def meter_reading(self, connector: int, transaction_id: str | None, wh: int) -> None:
        """A MeterValues the server asked for with TriggerMessage (in or outside a transaction)."""


class Link:
    """The receive loop and the outgoing calls of one `ocpp` ChargePoint, each step reported."""

    def __init__(self, charge_point_id: str, reporter: Reporter) -> None:
        self._charge_point_id = charge_point_id
        self._reporter = reporter
        self._cp: Any = None
        self._closed = asyncio.Event()

    def bind(self, charge_point: Any) -> None:
        """Attach the ChargePoint, which itself needs this link to report the commands it answers."""
        self._cp = charge_point

    def report(self, direction: Direction, text: str) -> None:
        self._reporter(Step(self._charge_point_id, direction, text))

    async def serve(self) -> None:
        """Route incoming frames until the connection closes."""
        try:
            await self._cp.start()
        except ConnectionClosed:
            pass
        finally:
            self._closed.set()

    async def call(self, payload: object, summary: str, describe: Callable[[Any], str]) -> Any:
        """Send one CALL and return its typed result; raise CallFailed or ChargerDisconnected."""
        action = type(payload).__name__
        self.report("->", f"{action} {summary}".rstrip())
        call = asyncio.ensure_future(self._cp.call(payload, suppress=False))
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            # `ocpp` would wait its full response timeout for an answer that can no longer come.
            await asyncio.wait({call, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            call.cancel()
        if not call.done() or call.cancelled():
            self.report("<-", "connection closed")
            raise ChargerDisconnected(f"the connection closed while waiting for the answer to {action}")
        try:
            result = call.result()
        except ConnectionClosed as error:
            self.report("<-", "connection closed")
            raise ChargerDisconnected(f"the connection closed before {action} was sent") from error
        except OCPPError as error:
            reason = f"{type(error).__name__}: {error.description}"
            self.report("<-", f"CALLERROR {reason}")
            raise CallFailed(action, reason) from error
        except TimeoutError as error:
            self.report("<-", "no answer")
            raise CallFailed(action, "no answer in time") from error
        self.report("<-", describe(result))
        return result
