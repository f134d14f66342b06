"""One live charger connection: its ChargePoint, its place in the registry, its idle timeout, its commands."""

from __future__ import annotations

import asyncio
from uuid import UUID

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from domain.charger_commands import ChargerCommand, CommandAnswer
from domain.commands import ReportConnected, ReportDisconnected, ResumeConnection
from domain.errors import Unavailable
from domain.model import OcppMessageType
from domain.queries import ChargerLogin
from domain.services import chargers
from domain.services.deps import Deps
from ocpp_server.call_budget import CallBudget, Verdict, refusal
from ocpp_server.charge_point import BaseChargePoint, SessionContext
from ocpp_server.frames import CALL_ERROR, Frame
from ocpp_server.journal import Identity, JournaledConnection
from ocpp_server.metrics import OcppMetrics
from ocpp_server.payloads import dumps
from ocpp_server.registry import ConnectionRegistry
from ocpp_server.text_frames import TextFrames
from ocpp_server.v16 import ChargePoint16
from ocpp_server.v201 import ChargePoint201

logger = structlog.get_logger(__name__)

CHARGE_POINTS: dict[str, type[BaseChargePoint]] = {"1.6": ChargePoint16, "2.0.1": ChargePoint201}


class ChargerSession:
    def __init__(
        self,
        websocket: ServerConnection,
        login: ChargerLogin,
        version: str,
        *,
        deps: Deps,
        registry: ConnectionRegistry,
        metrics: OcppMetrics,
        heartbeat_interval: int,
        idle_timeout: float | None,
        command_timeout: float,
        call_budget: CallBudget | None = None,
        read_settings_after_boot: bool = True,
    ) -> None:
        self._websocket = websocket
        self._login = login
        self._version = version
        self._deps = deps
        self._registry = registry
        self._metrics = metrics
        self._idle_timeout = idle_timeout
        self._command_timeout = command_timeout
        identity = Identity(login.tenant_id, login.charger_id, login.charge_point_id)
        self._call_budget = call_budget  # None: no limit on the charger's CALLs
        self._connection = JournaledConnection(TextFrames(websocket), identity, deps.journal, deps.clock, metrics)
        context = SessionContext(deps, identity, metrics, heartbeat_interval, read_settings_after_boot)
        self._charge_point = CHARGE_POINTS[version](context, self._connection)
        self._closed = asyncio.Event()
        self._connection_id: UUID | None = None  # set once the connection is recorded
        self._moved = False  # closed because the charger connected to another process
        self._closer: asyncio.Task[None] | None = None
        self._last_frame_at = 0.0  # loop time of the last frame received
        self._watchdog: asyncio.TimerHandle | None = None  # the idle check
        self._log = logger.bind(charge_point_id=login.charge_point_id, ocpp_version=version)

    @property
    def charge_point_id(self) -> str:
        return self._login.charge_point_id

    @property
    def charger_id(self) -> UUID:
        return self._login.charger_id

    async def run(self) -> None:
        """Serve the connection until it closes; the charger is 'connected' exactly while this runs."""
        if not await self._attach():
            return
        self._metrics.connected.labels(self._version).inc()
        try:
            await self._receive()
        except ConnectionClosed:
            pass  # the charger went away, or we closed it
        finally:
            self._closed.set()
            self._metrics.connected.labels(self._version).dec()
            await self._charge_point.stop_background()
            await self._detach()
            if self._closer is not None:
                await self._closer

    async def close(self, code: int, reason: str, *, moved: bool = False) -> None:
        """moved: the charger is connected to another process, whose connection owns its recorded state."""
        self._moved = self._moved or moved
        await self._websocket.close(code, reason)

    def close_soon(self, code: int, reason: str) -> None:
        """Close without waiting for the peer: a dead peer would hold the caller for the whole close timeout."""
        if self._closer is None:
            self._closer = asyncio.create_task(self.close(code, reason))

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_frame_at = loop.time()
        if self._idle_timeout is not None:
            self._watchdog = loop.call_later(self._idle_timeout, self._check_idle)
        try:
            while True:
                frame = await self._connection.recv_frame()
                self._last_frame_at = loop.time()
                if self._call_budget is not None and frame.message_type is OcppMessageType.CALL:
                    verdict = self._call_budget.spend()  # synchronous: no coroutine per CALL on the usual path
                    if verdict is not Verdict.ADMIT:
                        await self._over_budget(frame, self._call_budget, verdict)
                        continue
                await self._charge_point.route_frame(frame)
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()

    async def _over_budget(self, frame: Frame, budget: CallBudget, verdict: Verdict) -> None:
        """A CALL past the charger's budget is not routed: it gets a CALLERROR naming the limit or, when the charger
        keeps flooding, the connection is closed with 1008. One flooding charger cannot starve the others."""
        if verdict is Verdict.CLOSE:
            if self._closer is None:
                self._metrics.throttled_calls.labels("closed").inc()
                self._log.warning("closing a charger flooding CALLs", limit=budget.describe())
            # Without waiting for the peer; frames already in flight are read (and dropped) until the close ends.
            self.close_soon(CloseCode.POLICY_VIOLATION, "CALL rate limit exceeded repeatedly")
            return
        self._metrics.throttled_calls.labels("refused").inc()
        reply = refusal(budget)
        self._metrics.call_errors.labels(reply.code).inc()
        await self._connection.send(dumps([CALL_ERROR, frame.unique_id, reply.code, reply.description, reply.details]))

    def _check_idle(self) -> None:
        """The idle timeout, as one timer per idle period that re-arms itself from the last frame's time.

        Not a timeout around every frame's recv(): that armed and cancelled a timer per frame, and looked up the
        running loop, which on Python 3.11 costs a getpid() syscall: measurable at thousands of frames a second.
        """
        assert self._idle_timeout is not None  # armed only with a timeout
        loop = asyncio.get_running_loop()
        idle_for = loop.time() - self._last_frame_at
        if idle_for < self._idle_timeout:
            self._watchdog = loop.call_later(self._idle_timeout - idle_for, self._check_idle)
            return
        self._log.info("closing an idle charger connection", idle_timeout=self._idle_timeout)
        self.close_soon(CloseCode.NORMAL_CLOSURE, "idle timeout: no OCPP frame received")

    async def _attach(self) -> bool:
        async with self._registry.lock(self.charge_point_id):
            try:
                charger = await chargers.charger_connected(
                    self._deps.uow(self._login.tenant_id),
                    ReportConnected(self.charger_id, self._version),
                    self._deps.clock,
                )
            except Exception as error:
                self._log.warning("could not record the connection; refusing it", error=repr(error))
                await self._websocket.close(CloseCode.TRY_AGAIN_LATER, "back office unavailable")
                return False
            self._connection_id = charger.connection_id
            previous = self._registry.attach(self)
            await self._registry.announce(self.charge_point_id, connected=True)
        if isinstance(previous, ChargerSession):
            self._log.info("a new connection replaces the charger's previous one")
            previous.close_soon(CloseCode.NORMAL_CLOSURE, "replaced by a new connection")
        self._log.info("charger connected")
        return True

    async def _detach(self) -> None:
        async with self._registry.lock(self.charge_point_id):
            if not self._registry.detach(self):
                return  # replaced: the newer connection owns the charger's state now
            await self._registry.announce(self.charge_point_id, connected=False)
            if self._moved:
                self._log.info("charger moved to another process")
                return
            assert self._connection_id is not None  # _attach recorded it
            try:
                await chargers.charger_disconnected(
                    self._deps.uow(self._login.tenant_id),
                    ReportDisconnected(self.charger_id, self._connection_id),
                    self._deps.clock,
                )
            except Exception as error:
                self._log.warning("could not record the disconnection", error=repr(error))
        self._log.info("charger disconnected")

    async def resume(self) -> None:
        """Record this connection as the charger's current one again, if another process ended it as orphaned."""
        async with self._registry.lock(self.charge_point_id):
            if self._registry.session(self.charge_point_id) is not self or self._connection_id is None:
                return  # replaced or ending: its successor, or its end, owns the charger's state
            resumed = await chargers.connection_resumed(
                self._deps.uow(self._login.tenant_id),
                ResumeConnection(self.charger_id, self._connection_id),
                self._deps.clock,
            )
        if resumed:
            self._log.warning("charger connection recorded again: another process had ended it as orphaned")

    # --- commands, for the registry ---

    async def execute(self, command: ChargerCommand) -> CommandAnswer:
        """The charger's answer; Unavailable when it disconnects or stays silent past the command timeout."""
        action = self._charge_point.sender(command).action
        if self._closed.is_set():
            raise Unavailable(f"charger {self.charge_point_id} is not connected")
        sending = asyncio.ensure_future(self._charge_point.execute(command))
        closing = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({sending, closing}, timeout=self._command_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sending, closing):
                task.cancel()
            await asyncio.gather(sending, closing, return_exceptions=True)
        try:
            answer = self._answer_of(sending, action)
        except Unavailable:
            self._metrics.commands.labels(action, "unanswered").inc()
            raise
        self._metrics.commands.labels(action, "accepted" if answer.accepted else "rejected").inc()
        return answer

    def _answer_of(self, sending: asyncio.Future[CommandAnswer], action: str) -> CommandAnswer:
        if sending.cancelled():
            if self._closed.is_set():
                raise Unavailable(f"charger {self.charge_point_id} disconnected before answering {action}")
            raise Unavailable(
                f"charger {self.charge_point_id} did not answer {action} within {self._command_timeout:g}s"
            )
        try:
            return sending.result()
        except ConnectionClosed:
            raise Unavailable(f"charger {self.charge_point_id} disconnected before answering {action}") from None
