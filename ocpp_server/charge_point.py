"""What both versions' ChargePoints share: OCPP-J routing of every frame (bad ones too), CALLERRORs, our own
CALLs matched to their answers, latency, domain access.

Our own small router on the `ocpp` package's public parts only (its schemas, its Call/CallResult messages and
OCPPError types, its request and answer dataclasses): a handler is found by a table built once per class, a
frame is validated once by a precompiled schema, and one CALL of ours is in flight at a time, as OCPP-J wants.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC
from types import ModuleType
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

import structlog
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult

from domain import queries
from domain.charger_commands import ChargerCommand, CommandAnswer, ReadSettings
from domain.commands import OperateCharger, ReportSeen
from domain.errors import Invalid, NotFound, Unavailable
from domain.model import OcppMessageType
from domain.ports import UnitOfWork
from domain.services import chargers, station_operations
from domain.services.deps import Deps
from ocpp_server import errors
from ocpp_server.commands import Sender, Senders
from ocpp_server.errors import CallErrorReply
from ocpp_server.frames import CALL, CALL_ERROR, CALL_RESULT, Frame, is_known_action, known_action
from ocpp_server.journal import Identity, JournaledConnection
from ocpp_server.metrics import OcppMetrics
from ocpp_server.payloads import dumps, to_camel, to_snake
from ocpp_server.validation import validate

logger = structlog.get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[..., Coroutine[Any, Any, Any]]

# Where handles() marks a handler with the action it answers.
_ACTION_MARK = "ocpp_action"
# Handlers whose use case already moves last_seen_at.
_WRITES_LAST_SEEN = frozenset({"Heartbeat", "BootNotification", "StatusNotification"})


def handles(action: str) -> Callable[[F], F]:
    """Mark a ChargePoint method as the handler of `action` (an Action enum member or its name): it takes the
    payload's fields as snake_case keyword arguments and returns the version's call_result dataclass."""
    name = str(getattr(action, "value", action))

    def mark(handler: F) -> F:
        setattr(handler, _ACTION_MARK, name)
        return handler

    return mark


class ChargerCallError(Exception):
    """The charger answered one of our CALLs with a CALLERROR."""

    def __init__(self, code: str, description: str, details: Any) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What a ChargePoint needs beyond its connection: whose charger it is and how to reach the domain."""

    deps: Deps
    identity: Identity
    metrics: OcppMetrics
    heartbeat_interval: int
    read_settings_after_boot: bool = True


class BaseChargePoint:
    """One charger's OCPP-J conversation on one connection."""

    version: ClassVar[str]
    senders: ClassVar[Senders]  # the commands this version can send
    results: ClassVar[ModuleType]  # the version's call_result module: our CALL's answer as its dataclass
    handlers: ClassVar[dict[str, Handler]] = {}  # action -> handler, built once per class

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(cls.handlers)
        for member in vars(cls).values():
            action = getattr(member, _ACTION_MARK, None)
            if action is not None:
                found[action] = member
        cls.handlers = found

    def __init__(self, context: SessionContext, connection: JournaledConnection) -> None:
        self.ctx = context
        self._connection = connection
        self._last_touch = time.monotonic()
        self.log = logger.bind(charge_point_id=context.identity.charge_point_id, ocpp_version=self.version)
        self._after_reply: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._reading_settings = False  # one settings read at a time, however often the charger boots
        self._calling = asyncio.Lock()  # OCPP-J: one CALL of ours waits for its answer at a time
        self._awaited: tuple[str, asyncio.Future[Frame]] | None = None  # that CALL's uniqueId and answer

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

    async def route_frame(self, frame: Frame) -> None:
        """Answer a CALL, hand an answer to the call() waiting for it; a faulty frame gets its CALLERROR."""
        if frame.fault is not None:
            await self._send_error(frame.unique_id, errors.for_fault(frame.fault, self.version, frame.cause))
        elif frame.message_type is OcppMessageType.CALL:
            await self._answer(Call(frame.unique_id, frame.action, frame.payload))
            await self._touch(frame.action)
        else:
            # An answer to anything but the CALL waiting (stale, or sent unasked) was logged and is dropped.
            awaited = self._awaited
            if awaited is not None and awaited[0] == frame.unique_id and not awaited[1].done():
                awaited[1].set_result(frame)

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
            await self._connection.send_frame(frame, dumps([CALL_RESULT, call.unique_id, reply]))
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
            due = await queries.settings_due(self.uow(), self.charger_id, firmware_version)
        except Exception as error:
            self.log.warning("could not tell whether settings are due", error=repr(error))
            return
        if due:
            self._reading_settings = True
            self.after_reply(self._read_settings)

    async def _read_settings(self) -> None:
        deps = self.ctx.deps
        try:
            await station_operations.refresh_settings(
                self.uow(), deps.commands, OperateCharger(self.charger_id, ReadSettings()), deps.clock
            )
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
        except ChargerCallError as error:
            self.log.warning("command answered with a CALLERROR", command=command.name, error=str(error))
            return CommandAnswer(error.code)
        except OCPPError as error:
            self.log.warning("command answered outside its schema", command=command.name, error=str(error))
            return CommandAnswer(str(error.code))

    async def call(self, request: Any) -> Any:
        """Send one of the version's call dataclasses as a CALL and return its answer as the matching call_result
        dataclass. Raises ChargerCallError for a CALLERROR, OCPPError for an answer outside its schema. Waits as
        long as the caller lets it: the session puts its command timeout around it."""
        action = type(request).__name__
        payload = to_camel(request)
        await validate(Call("", action, payload), self.version)  # our own request is wrong: our bug
        async with self._calling:
            unique_id = str(uuid4())
            answer: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._awaited = (unique_id, answer)
            try:
                frame = Frame(OcppMessageType.CALL, unique_id, action, payload)
                await self._connection.send_frame(frame, dumps([CALL, unique_id, action, payload]))
                reply = await answer
            finally:
                self._awaited = None
        if reply.error is not None:
            code, description, details = reply.error
            raise ChargerCallError(str(code), str(description), details)
        await validate(CallResult(unique_id, reply.payload, action), self.version)
        return getattr(self.results, action)(**to_snake(reply.payload))

    async def _dispatch(self, call: Call) -> dict[str, Any] | CallErrorReply:
        """The answer's payload: the call checked against its schema, handled, the answer checked against its own."""
        handler = self.handlers.get(call.action)
        if handler is None:
            return errors.unknown_action(call.action, is_known_action(call.action, self.version))
        await validate(call, self.version)
        response = await handler(self, **to_snake(call.payload))
        payload: dict[str, Any] = to_camel(response)
        try:
            await validate(CallResult(call.unique_id, payload, call.action), self.version)
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
            await chargers.charger_seen(self.uow(), ReportSeen(self.charger_id), self.ctx.deps.clock)
        except Exception as error:  # after the answer was sent: nothing to tell the charger
            self.log.warning("could not record last seen", error=repr(error))

    async def _send_error(self, unique_id: str, reply: CallErrorReply) -> None:
        self.ctx.metrics.call_errors.labels(reply.code).inc()
        message = [CALL_ERROR, unique_id, reply.code, reply.description, reply.details]
        # Logged from what is sent, not parsed back: an echoed over-long uniqueId would read as a faulty frame.
        payload = {"errorCode": reply.code, "errorDescription": reply.description, "errorDetails": reply.details}
        error = (reply.code, reply.description, reply.details)
        frame = Frame(OcppMessageType.CALL_ERROR, unique_id, None, payload, error=error)
        await self._connection.send_frame(frame, dumps(message))
