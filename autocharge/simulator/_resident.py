"""A simulated charger that stays connected and idle, and steps aside while another connection uses its id.

The demo keeps its charger online this way, so that a pairing can be started after the story; a person then
plugs a car in with `autocharge simulate` on the same chargePointId. The server lets the newest connection of a
charger replace the previous one (it closes the old one with 1000 "replaced by a new connection"), so the
resident charger does not fight it: it waits until the charger is reported disconnected, then comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from websockets.frames import CloseCode

from autocharge.simulator._charger import ACCEPTED, SimulatedCharger
from autocharge.simulator._connect import charge_point_id_from_url
from autocharge.simulator._errors import ChargerDisconnected, SimulatorError
from autocharge.simulator._report import Reporter, Step
from autocharge.simulator._tokens import OcppVersion

# The reason the OCPP server gives when a newer connection of the same charger takes over.
REPLACED_REASON = "replaced by a new connection"


class ResidentCharger:
    """Keeps the charger on `url` connected: booted, its connector Available, heartbeating.

    `run()` returns when the server shuts down (close code 1001) and otherwise runs until cancelled. When another
    connection replaces it, it waits until `is_free()` says the charger is no longer connected, polling every
    `poll_seconds`, and connects again; any other loss of the connection is retried after `retry_seconds`.
    """

    def __init__(
        self,
        url: str,
        *,
        is_free: Callable[[], Awaitable[bool]],
        heartbeat_seconds: float,
        reporter: Reporter,
        ocpp_version: OcppVersion = "1.6",
        password: str | None = None,
        poll_seconds: float = 1.0,
        retry_seconds: float = 2.0,
    ) -> None:
        self.url = url
        self.charge_point_id = charge_point_id_from_url(url)
        self.connected = asyncio.Event()  # set while the resident connection is booted and idle
        self._is_free = is_free
        self._heartbeat_seconds = heartbeat_seconds
        self._reporter = reporter
        self._version: OcppVersion = ocpp_version
        self._password = password
        self._poll_seconds = poll_seconds
        self._retry_seconds = retry_seconds

    async def run(self) -> None:
        """Connect, idle until the connection closes, and decide whether and when to come back."""
        while True:
            try:
                code, reason = await self._connect_and_idle()
            except SimulatorError as error:  # refused, dropped mid-call, or an answer that makes no sense
                self._note(f"{error}; trying again in {self._retry_seconds:g} s")
                await asyncio.sleep(self._retry_seconds)
                continue
            finally:
                self.connected.clear()
            if code == CloseCode.GOING_AWAY:
                self._note("the server is shutting down")
                return
            if reason == REPLACED_REASON:
                self._note("another connection took this charger over; stepping aside until it disconnects")
                await self._until_free()
                continue
            closed = f"{code} {reason}".strip()
            self._note(f"the connection closed ({closed}); reconnecting in {self._retry_seconds:g} s")
            await asyncio.sleep(self._retry_seconds)

    async def _connect_and_idle(self) -> tuple[int | None, str]:
        """One resident connection, from the handshake to its close code and reason."""
        async with SimulatedCharger(self.url, self._version, self._password, reporter=self._reporter) as charger:
            try:
                boot = await charger.boot()
                if boot != ACCEPTED:
                    raise SimulatorError(f"the server answered BootNotification with {boot}")
                await charger.status(1, charger.statuses.available)
                self.connected.set()
                self._note("idle and Available, heartbeating")
                await self._heartbeat_until_closed(charger)
            except ChargerDisconnected:
                pass  # closed while waiting for an answer (e.g. replaced during the boot): the close code says why
            return await charger.wait_closed()

    async def _heartbeat_until_closed(self, charger: SimulatedCharger) -> None:
        closed = asyncio.ensure_future(charger.wait_closed())
        try:
            while not closed.done():
                done, _ = await asyncio.wait({closed}, timeout=self._heartbeat_seconds)
                if not done:
                    await charger.heartbeat()
        finally:
            closed.cancel()

    async def _until_free(self) -> None:
        # Polling, not an event: the other connection belongs to someone else, only the back office sees it.
        while not await self._is_free():  # noqa: ASYNC110
            await asyncio.sleep(self._poll_seconds)

    def _note(self, text: str) -> None:
        self._reporter(Step(self.charge_point_id, "--", text))
