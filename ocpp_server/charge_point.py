"""What both versions' ChargePoints share: routing every frame (bad ones too), CALLERRORs, latency, domain access."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar, cast
from uuid import UUID

import structlog
from ocpp.charge_point import ChargePoint as OcppChargePoint
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult
from ocpp.routing import create_route_map, on

from domain.charger_commands import ChargerCommand, CommandAnswer
from domain.errors import Invalid, NotFound, Unavailable
from domain.model import OcppMessageType
from domain.ports import UnitOfWork
from domain.services import chargers, station_operations
from domain.services.deps import Deps
from ocpp_server import errors
from ocpp_server.commands import Sender, Senders
from ocpp_server.errors import CallErrorReply
from ocpp_server.frames import Frame, is_known_action, known_action, parse_frame
from ocpp_server.journal import Identity, JournaledConnection
from ocpp_server.metrics import OcppMetrics
from ocpp_server.payloads import dumps, to_camel, to_snake
from ocpp_server.validation import validate

logger = structlog.get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Handlers whose use case already moves last_seen_at.
_WRITES_LAST_SEEN = frozenset({"Heartbeat", "BootNotification", "StatusNotification"})


_HANDLERS: dict[type, dict[str, Callable[..., Any]]] = {}


def handlers_of(cls: type) -> dict[str, Callable[..., Any]]:
    """Each action's handler function, found once per class (the package maps bound methods per connection)."""
    found = _HANDLERS.get(cls)
    if found is None:
        routes = create_route_map(cls)
        found = _HANDLERS[cls] = {
            getattr(action, "value", action): r["_on_action"] for action, r in routes.items() if "_on_action" in r
        }
    return found


def handles(action: str) -> Callable[[F], F]:
    """ocpp.routing.on with a type: a handler takes the payload's fields as snake_case keyword arguments."""
    return cast(Callable[[F], F], on(action))


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What a ChargePoint needs beyond its connection: whose charger it is and how to reach the domain."""

    deps: Deps
    identity: Identity
    metrics: OcppMetrics
    heartbeat_interval: int
    read_settings_after_boot: bool = True


class BaseChargePoint(OcppChargePoint):  # type: ignore[misc]
    _ocpp_version: str
    senders: Senders  # the commands this version can send

    def __init__(self, context: SessionContext, connection: JournaledConnection, response_timeout: float) -> None:
        super().__init__(context.identity.charge_point_id, connection, response_timeout=response_timeout)
        self.route_map: dict[str, Any] = {}  # unused: _dispatch routes through the class's handlers_of()
        self._handlers = handlers_of(type(self))
        self.ctx = context
        self._last_touch = time.monotonic()
        self.log = logger.bind(charge_point_id=context.identity.charge_point_id, ocpp_version=self._ocpp_version)
        self._after_reply: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._reading_settings = False  # one settings read at a time, however often the charger boots

    @property
    def version(self) -> str:
        return self._ocpp_version

    @property
    def charger_id(self) -> UUID:
        return self.ctx.identity.charger_id

    @property
    def tenant_id(self) -> UUID:
        return self.ctx.identity.tenant_id

    def uow(self) -> UnitOfWork:
        return self.ctx.deps.uow(self.tenant_id)

    def now_text(self) -> str:
        return self.ctx.deps.clock().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def route_message(self, raw_msg: str) -> None:
        """Replaces the package's routing, which drops frames it cannot parse without answering."""
        await self.route_frame(parse_frame(raw_msg))

    async def route_frame(self, frame: Frame) -> None:
        """Answer a CALL, hand an answer to the call() waiting for it; a faulty frame gets its CALLERROR."""
        if frame.fault is not None:
            await self._send_error(frame.unique_id, errors.for_fault(frame.fault, self.version, frame.cause))
        elif frame.message_type is not OcppMessageType.CALL:
            # call() holds the lock while it waits: an answer arriving outside one is stale (logged, then
            # dropped), and a charger sending them unasked cannot grow the queue.
            if not self._call_lock.locked():
                return
            if frame.message_type is OcppMessageType.CALL_RESULT:
                self._response_queue.put_nowait(CallResult(frame.unique_id, frame.payload))
            else:
                code, description, details = frame.error or ("", "", {})
                self._response_queue.put_nowait(CallError(frame.unique_id, code, description, details))
        else:
            await self._answer(Call(frame.unique_id, frame.action, frame.payload))
            await self._touch(frame.action)

    async def _answer(self, call: Call) -> None:
        started = time.perf_counter()
        try:
            reply: dict[str, Any] | CallErrorReply = await self._dispatch(call)
        except OCPPError as error:  # the payload broke the schema, or a handler refused a value
            reply = errors.for_ocpp_error(error, self.version)
        except (Unavailable, NotFound) as error:  # database down, or the charger deleted under us
            self.log.warning("ocpp request failed", action=call.action, error=error.message)
            reply = errors.INTERNAL
        except Exception:
            self.log.exception("ocpp handler failed", action=call.action)
            reply = errors.INTERNAL
        self.ctx.metrics.handler_seconds.labels(known_action(call.action)).observe(time.perf_counter() - started)
        if isinstance(reply, CallErrorReply):
            await self._send_error(call.unique_id, reply)
        else:
            frame = Frame(OcppMessageType.CALL_RESULT, call.unique_id, None, reply)
            await self._connection.send_frame(frame, dumps([CallResult.message_type_id, call.unique_id, reply]))
        self._start_after_reply()

    def after_reply(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work` in the background once the answer to the CALL being handled is sent."""
        self._after_reply.append(work)

    def _start_after_reply(self) -> None:
        works, self._after_reply = self._after_reply, []
        for work in works:
            task = asyncio.create_task(work())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def stop_background(self) -> None:
        """Cancel the background work still running (the connection ended)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def read_settings_after_boot(self, firmware_version: str | None) -> None:
        """Before a boot is recorded: read the charger's settings after the answer when it is due (its first boot,
        a new firmware). Never fails the boot."""
        if not self.ctx.read_settings_after_boot or self._reading_settings:
            return
        try:
            due = await station_operations.settings_due(self.uow(), self.charger_id, firmware_version)
        except Exception as error:
            self.log.warning("could not tell whether settings are due", error=repr(error))
            return
        if due:
            self._reading_settings = True
            self.after_reply(self._read_settings)

    async def _read_settings(self) -> None:
        deps = self.ctx.deps
        try:
            await station_operations.refresh_settings(self.uow(), deps.commands, self.charger_id, deps.clock)
        except Exception as error:  # a charger that cannot or will not report: nothing else depends on it
            self.log.info("could not read the charger's settings after its boot", error=repr(error))
        finally:
            self._reading_settings = False

    # --- commands to the charger ---

    def sender(self, command: ChargerCommand) -> Sender:
        sender = self.senders.get(command)
        if sender is None:
            raise Invalid(f"{type(command).__name__} cannot be sent on OCPP {self.version}")
        return sender

    async def execute(self, command: ChargerCommand) -> CommandAnswer:
        """Send the command and read its answer; a CALLERROR's code (e.g. NotImplemented), or an answer that breaks
        the schema (e.g. FormatViolation), is its status."""
        try:
            return await self.sender(command).send(self, command)
        except OCPPError as error:
            self.log.warning("command answered with an error", command=command.name, error=str(error))
            return CommandAnswer(str(getattr(error, "code", type(error).__name__)))

    async def _dispatch(self, call: Call) -> dict[str, Any] | CallErrorReply:
        """The answer's payload: the call checked against its schema, handled, the answer checked against its own."""
        handler = self._handlers.get(call.action)
        if handler is None:
            return errors.unknown_action(call.action, is_known_action(call.action, self.version))
        validate(call, self.version)
        response = await handler(self, **to_snake(call.payload))
        payload: dict[str, Any] = to_camel(response)
        try:
            validate(CallResult(call.unique_id, payload, call.action), self.version)
        except OCPPError as error:  # our own answer is wrong: our bug, an InternalError, not the charger's fault
            raise RuntimeError(f"invalid answer to {call.action}: {error}") from error
        return payload

    async def _touch(self, action: str | None) -> None:
        """Keep last_seen_at current while a busy charger skips heartbeats (2.0.1: an inactivity interval)."""
        now = time.monotonic()
        if action not in _WRITES_LAST_SEEN and now - self._last_touch < self.ctx.heartbeat_interval:
            return
        self._last_touch = now
        if action in _WRITES_LAST_SEEN:
            return  # its handler just wrote it
        try:
            await chargers.charger_seen(self.uow(), self.charger_id, self.ctx.deps.clock)
        except Exception as error:  # after the answer was sent: nothing to tell the charger
            self.log.warning("could not record last seen", error=repr(error))

    async def _send_error(self, unique_id: str, reply: CallErrorReply) -> None:
        self.ctx.metrics.call_errors.labels(reply.code).inc()
        message = [CallError.message_type_id, unique_id, reply.code, reply.description, reply.details]
        # Logged from what is sent, not parsed back: an echoed over-long uniqueId would read as a faulty frame.
        payload = {"errorCode": reply.code, "errorDescription": reply.description, "errorDetails": reply.details}
        error = (reply.code, reply.description, reply.details)
        frame = Frame(OcppMessageType.CALL_ERROR, unique_id, None, payload, error=error)
        await self._connection.send_frame(frame, dumps(message))
