"""A steady OCPP load for the fault suite: chargers sending numbered Heartbeats over raw websockets, each
reconnecting (to any of the given servers) when its connection drops, and a count of what was answered."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

ANSWER_WAIT_SECONDS = 10.0


@dataclass
class Tally:
    """What the chargers sent and what came back, by uniqueId."""

    sent: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)  # a CALLRESULT
    refused: set[str] = field(default_factory=set)  # a CALLERROR
    unanswered: set[str] = field(default_factory=set)  # the connection dropped before an answer
    reconnects: int = 0


class Load:
    """Each charger sends `rate` Heartbeats a second, until stop()."""

    def __init__(self, charge_point_ids: list[str], urls: list[str], rate: float) -> None:
        self._ids = charge_point_ids
        self._urls = urls  # ws://host:port/ocpp ; a charger tries the next one after a drop
        self._interval = 1 / rate
        self.tally = Tally()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._charger(cpid, n)) for n, cpid in enumerate(self._ids)]

    async def stop(self) -> Tally:
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        return self.tally

    async def _charger(self, cpid: str, offset: int) -> None:
        counter = itertools.count()
        urls = itertools.cycle(self._urls[offset % len(self._urls) :] + self._urls[: offset % len(self._urls)])
        while not self._stopping.is_set():
            url = next(urls)
            try:
                async with connect(f"{url}/{cpid}", subprotocols=[Subprotocol("ocpp1.6")], open_timeout=5) as ws:
                    await self._beat(ws, cpid, counter)
            except (OSError, ConnectionClosed, InvalidHandshake, InvalidStatus, TimeoutError):
                pass
            if not self._stopping.is_set():
                self.tally.reconnects += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 0.2)

    async def _beat(self, ws: ClientConnection, cpid: str, counter: itertools.count[int]) -> None:
        while not self._stopping.is_set():
            unique_id = f"{cpid}-{next(counter)}"
            self.tally.sent.add(unique_id)
            try:
                await ws.send(json.dumps([2, unique_id, "Heartbeat", {}]))
                answer = json.loads(await asyncio.wait_for(ws.recv(), ANSWER_WAIT_SECONDS))
            except (ConnectionClosed, TimeoutError):
                self.tally.unanswered.add(unique_id)
                raise
            if answer[:2] == [3, unique_id]:
                self.tally.answered.add(unique_id)
            elif answer[:2] == [4, unique_id]:
                self.tally.refused.add(unique_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
