"""Real-Time Logs: every frame through the connection, both ways, becomes an OcppLogEntry in the journal."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import structlog

from domain.ids import Clock, new_id
from domain.model import LogDirection, OcppLogEntry, OcppMessageType
from domain.ports import FrameJournal
from ocpp_server.frames import Frame, parse_frame
from ocpp_server.metrics import OcppMetrics

logger = structlog.get_logger(__name__)

# Calls still waiting for their answer, per direction; a peer that never answers cannot grow it past this.
_MAX_PENDING = 64
# How long an answer waits for itself and its CALL to be stored before it is sent anyway: past this the
# database is out, and a charger left without an answer would only time out and send the CALL again.
STORE_BEFORE_ANSWER_SECONDS = 5.0


class Wire(Protocol):
    """The part of a websocket connection the OCPP layer uses."""

    async def recv(self) -> str | bytes: ...
    async def send(self, message: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Identity:
    tenant_id: UUID
    charger_id: UUID
    charge_point_id: str


class _Pending:
    def __init__(self) -> None:
        self._actions: OrderedDict[str, str] = OrderedDict()

    def add(self, unique_id: str, action: str) -> None:
        self._actions[unique_id] = action
        while len(self._actions) > _MAX_PENDING:
            self._actions.popitem(last=False)

    def answer(self, unique_id: str) -> str | None:
        return self._actions.pop(unique_id, None)


class JournaledConnection:
    """Wraps recv/send, so handlers never think about logging and no frame can slip past it."""

    def __init__(
        self, wire: Wire, identity: Identity, journal: FrameJournal, clock: Clock, metrics: OcppMetrics
    ) -> None:
        self._wire = wire
        self._identity = identity
        self._journal = journal
        self._clock = clock
        self._metrics = metrics
        self._from_charger = _Pending()  # the charger's CALLs, answered by us
        self._to_charger = _Pending()  # our CALLs, answered by the charger

    async def recv_frame(self) -> Frame:
        """The next frame, parsed once: the log and the routing share it."""
        frame = parse_frame(await self._wire.recv())
        self._record(LogDirection.FROM_CHARGER, frame)
        return frame

    async def send(self, message: str) -> None:
        # Logged before the send: the answer to a CALL may otherwise be logged ahead of the CALL.
        self._record(LogDirection.TO_CHARGER, parse_frame(message))
        await self._wire.send(message)

    async def send_frame(self, frame: Frame, message: str) -> None:
        """Send `message`, whose parsed form the caller already has (its own answer), without parsing it again.

        An answer (CALLRESULT or CALLERROR) leaves only once it and the CALL it answers are stored: a process
        killed right after answering has lost no answered frame. The journal writes the frames of every
        charger together, so this costs one shared commit per batch, not one per frame."""
        self._record(LogDirection.TO_CHARGER, frame)
        if frame.message_type is not OcppMessageType.CALL:
            await self._stored()
        await self._wire.send(message)

    async def _stored(self) -> None:
        try:
            async with asyncio.timeout(STORE_BEFORE_ANSWER_SECONDS):  # no task of its own, unlike wait_for
                await self._journal.flush()
        except TimeoutError:  # the database is out: answered now, stored when it is back (or counted at stop)
            self._metrics.answered_before_stored.inc()

    def _record(self, direction: LogDirection, frame: Frame) -> None:
        asked, answered = (
            (self._from_charger, self._to_charger)
            if direction is LogDirection.FROM_CHARGER
            else (self._to_charger, self._from_charger)
        )
        action = frame.action
        if frame.message_type is OcppMessageType.CALL:
            if action is not None:  # even a faulty CALL: its CALLERROR then shows the action
                asked.add(frame.unique_id, action)
        else:
            action = answered.answer(frame.unique_id)
        self._metrics.frame(direction.value, frame.message_type.value, action)
        entry = OcppLogEntry(
            id=new_id(),
            tenant_id=self._identity.tenant_id,
            charger_id=self._identity.charger_id,
            charge_point_id=self._identity.charge_point_id,
            timestamp=self._clock(),
            direction=direction,
            message_type=frame.message_type,
            unique_id=frame.unique_id,
            action=action,
            payload=frame.payload,
        )
        try:
            self._journal.append(entry)
        except Exception:  # the log must never take the charger's session down with it
            logger.exception("frame journal append failed", charge_point_id=self._identity.charge_point_id)
