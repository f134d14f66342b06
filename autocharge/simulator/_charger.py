"""A simulated Autocharge DC charger: one websocket, one OCPP version, the Autocharge session flow."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection

from autocharge.simulator._connect import charge_point_id_from_url, open_connection
from autocharge.simulator._errors import SimulatorError
from autocharge.simulator._link import ConnectorStatuses, Driver
from autocharge.simulator._report import Reporter, Step, silent
from autocharge.simulator._station import Setting, Station, default_settings
from autocharge.simulator._tokens import IdToken, OcppVersion, token_for_mac
from autocharge.simulator._v16 import V16Driver
from autocharge.simulator._v201 import V201Driver

ACCEPTED = "Accepted"


@dataclass(frozen=True, slots=True)
class SessionResult:
    """What one plug-in achieved; `authorization` is the server's answer to Authorize."""

    token: IdToken
    authorization: str
    transaction_id: str | None = None
    start_status: str | None = None  # the token's status in the answer to the transaction's start
    meter_start: int = 0
    meter_stop: int = 0
    meter_values: int = 0
    stop_reason: str | None = None

    @property
    def completed(self) -> bool:
        return self.authorization == ACCEPTED and self.start_status == ACCEPTED

    @property
    def energy_wh(self) -> int:
        return self.meter_stop - self.meter_start


@dataclass(frozen=True, slots=True)
class RemoteTransaction:
    """A transaction the server started or stopped remotely, once the charger has done it."""

    connector: int
    transaction_id: str
    token: IdToken | None
    status: str  # the token's status when started; the stop reason when stopped


class SimulatedCharger:
    """An Autocharge charger on `url`; use as `async with SimulatedCharger(url) as charger:`."""

    def __init__(
        self,
        url: str,
        ocpp_version: OcppVersion = "1.6",
        password: str | None = None,
        *,
        reporter: Reporter = silent,
        vendor: str = "Autocharge",
        model: str = "Simulator DC",
        connectors: int = 1,
        meter_wh: int = 0,
        response_timeout: float = 30,
        tls: ssl.SSLContext | None = None,
        autocharge_switch: bool | None = False,
        settings: dict[str, str] | None = None,
    ) -> None:
        """`autocharge_switch`: the vendor Autocharge switch the charger reports (AutoChargeEnabled on 1.6,
        AutoCharge/Enabled on 2.0.1), on or off, or None for none; `settings` overrides or adds values."""
        self.url = url
        self.ocpp_version: OcppVersion = ocpp_version
        self.charge_point_id = charge_point_id_from_url(url)
        self.vendor = vendor
        self.model = model
        self.meter_wh = meter_wh  # the energy register, which keeps counting across sessions
        self.remote_starts: asyncio.Queue[RemoteTransaction] = asyncio.Queue()
        self.remote_stops: asyncio.Queue[RemoteTransaction] = asyncio.Queue()
        self.errors: list[BaseException] = []  # what failed in the background (remote commands)
        self._password = password
        self._tls = tls  # for wss:// (see client_context)
        self._reporter = reporter
        self._connectors = range(1, connectors + 1)
        self._timeout = response_timeout
        self._busy: set[int] = set()  # connectors with a vehicle plugged in
        self._transactions: dict[str, int] = {}  # active transaction -> its connector
        self._pending: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {}  # accepted remote commands
        self._tasks: set[asyncio.Task[None]] = set()
        # Held from "is the transaction still running?" to its reading being answered, so that a
        # remote stop's StopTransaction never comes before a reading of the same transaction.
        self._readings = asyncio.Lock()
        self._connection: ClientConnection | None = None
        self.station = Station(default_settings(ocpp_version, connectors, autocharge_switch))
        for key, value in (settings or {}).items():
            self.station.settings[key] = Setting(value)
        self._driver: Driver | None = None
        self._reader: asyncio.Task[None] | None = None

    # --- connection ---

    async def __aenter__(self) -> SimulatedCharger:
        self._connection = await open_connection(self.url, self.ocpp_version, self._password, tls=self._tls)
        make = V16Driver if self.ocpp_version == "1.6" else V201Driver
        self._driver = make(self.charge_point_id, self._connection, self, self._reporter, self._timeout)
        self._reader = asyncio.create_task(self._driver.serve(), name=f"ocpp-{self.charge_point_id}")
        self._note(f"connected to {self.url} ({self._connection.subprotocol})")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel what remote commands started, then close; the receive loop ends with the socket."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
        if self._reader is not None:
            await self._reader
        self._connection = self._reader = None

    async def wait_closed(self) -> tuple[int | None, str]:
        """Wait until the connection is closed (by either side, or lost); return its close code and reason."""
        if self._connection is None:
            raise SimulatorError("the charger is not connected: use `async with SimulatedCharger(...)`")
        connection = self._connection
        await connection.wait_closed()
        return connection.close_code, connection.close_reason or ""

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            raise SimulatorError("the charger is not connected: use `async with SimulatedCharger(...)`")
        return self._driver

    @property
    def statuses(self) -> ConnectorStatuses:
        return V16Driver.statuses if self.ocpp_version == "1.6" else V201Driver.statuses

    # --- one message each ---

    async def boot(self) -> str:
        return await self.driver.boot(self.vendor, self.model)

    async def heartbeat(self) -> str:
        return await self.driver.heartbeat()

    async def status(self, connector: int, status: str) -> None:
        await self.driver.status(connector, status)

    async def authorize(self, token: IdToken) -> str:
        return await self.driver.authorize(token)

    async def start_transaction(
        self, connector: int, token: IdToken, meter_start: int, remote_start_id: int | None = None
    ) -> tuple[str, str]:
        self.meter_wh = meter_start
        transaction_id, status = await self.driver.start_transaction(connector, token, meter_start, remote_start_id)
        self._transactions[transaction_id] = connector
        return transaction_id, status

    async def meter_values(self, connector: int, transaction_id: str, wh: int) -> None:
        self.meter_wh = wh
        await self.driver.meter_values(connector, transaction_id, wh)

    async def stop_transaction(self, transaction_id: str, meter_stop: int, reason: str = "Local") -> None:
        self.meter_wh = meter_stop
        self._transactions.pop(transaction_id, None)
        await self.driver.stop_transaction(transaction_id, meter_stop, reason)

    # --- the Autocharge flow ---

    async def run_session(
        self,
        mac: str | IdToken,
        meter_values: int = 3,
        energy_per_step_wh: int = 1000,
        *,
        connector: int = 1,
        interval: float = 0,
        stop_reason: str = "Local",
    ) -> SessionResult:
        """Plug in, Authorize with the vehicle's token, charge with `meter_values` readings, stop, unplug."""
        token = mac if isinstance(mac, IdToken) else token_for_mac(mac, self.ocpp_version)
        self._plug(connector)
        try:
            await self.status(connector, self.statuses.plugged)
            authorization = await self.authorize(token)
            if authorization != ACCEPTED:
                self._note(f"Authorize answered {authorization}: not charging; unplugging")
                await self.status(connector, self.statuses.available)
                return SessionResult(token, authorization)
            meter_start = self.meter_wh
            transaction_id, start_status = await self.start_transaction(connector, token, meter_start)
            sent = 0
            if start_status == ACCEPTED:
                sent = await self._charge(connector, transaction_id, meter_values, energy_per_step_wh, interval)
            else:
                # The server withdrew the token as the transaction began: a charger stops at once.
                self._note(f"the transaction's start answered {start_status}: stopping")
                stop_reason = "DeAuthorized"
            if transaction_id not in self._transactions:
                stop_reason = "Remote"  # a remote stop took it, and its own flow unplugs
            else:
                await self._finish(connector, transaction_id, stop_reason)
            return SessionResult(
                token, authorization, transaction_id, start_status, meter_start, self.meter_wh, sent, stop_reason
            )
        finally:
            self._busy.discard(connector)

    async def _charge(self, connector: int, transaction_id: str, steps: int, step_wh: int, interval: float) -> int:
        if self.statuses.charging:
            await self.status(connector, self.statuses.charging)
        for sent in range(steps):
            if interval:
                await asyncio.sleep(interval)
            async with self._readings:
                if transaction_id not in self._transactions:
                    return sent  # a remote stop took it
                await self.meter_values(connector, transaction_id, self.meter_wh + step_wh)
        return steps

    async def _finish(self, connector: int, transaction_id: str, reason: str) -> None:
        await self.stop_transaction(transaction_id, self.meter_wh, reason)
        if self.statuses.finishing:
            await self.status(connector, self.statuses.finishing)
        await self.status(connector, self.statuses.available)

    def _plug(self, connector: int) -> None:
        if connector not in self._connectors:
            raise SimulatorError(f"connector {connector} does not exist (this charger has {len(self._connectors)})")
        if connector in self._busy:
            raise SimulatorError(f"connector {connector} is already in use")
        self._busy.add(connector)

    # --- remote commands (the RemoteControl the drivers call) ---

    def request_start(self, call_id: str, token: IdToken, connector: int | None, remote_start_id: int | None) -> bool:
        free = [c for c in self._connectors if c not in self._busy]
        chosen = connector if connector is not None else (free[0] if free else None)
        if chosen is None or chosen not in free:
            return False
        self._busy.add(chosen)
        self._pending[call_id] = lambda: self._remote_start(chosen, token, remote_start_id)
        return True

    def request_stop(self, call_id: str, transaction_id: str) -> bool:
        connector = self._transactions.pop(transaction_id, None)
        if connector is None:
            return False
        self._pending[call_id] = lambda: self._remote_stop(connector, transaction_id)
        return True

    # --- station operations (the rest of the RemoteControl) ---

    def later(self, call_id: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work` once the answer to the call has been sent (at proceed())."""
        self._pending[call_id] = work

    def request_reset(self, call_id: str) -> str:
        # A real charger reboots: here it boots again on the same connection, with its settings kept.
        self._pending[call_id] = self._rebooted
        return "Accepted"

    def unlock(self, connector: int) -> bool:
        return connector in self._connectors

    def request_availability(self, call_id: str, connector: int, operative: bool) -> str:
        """Accepted, or Scheduled while a transaction runs on it (then it changes when that ends: not simulated)."""
        if connector != 0 and connector not in self._connectors:
            return "Rejected"
        affected = list(self._connectors) if connector == 0 else [connector]
        if any(c in self._transactions.values() for c in affected):
            return "Scheduled"
        if operative:
            self.station.inoperative.discard(connector)
        else:
            self.station.inoperative.add(connector)
        self._pending[call_id] = lambda: self._report_statuses(affected)
        return "Accepted"

    def request_trigger(self, call_id: str, message: str, connector: int | None) -> str:
        sends: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "BootNotification": self._boot_again,
            "Heartbeat": self._heartbeat_again,
            "StatusNotification": lambda: self._report_statuses([connector] if connector else list(self._connectors)),
            "MeterValues": lambda: self._report_meter(connector or 1),
        }
        send = sends.get(message)
        if send is None:
            return "NotImplemented"
        self._pending[call_id] = send
        return "Accepted"

    def connector_status(self, connector: int) -> str:
        if connector in self.station.inoperative or 0 in self.station.inoperative:
            return "Unavailable"
        return self.statuses.plugged if connector in self._busy else self.statuses.available

    async def _rebooted(self) -> None:
        self.station.resets.append("Reset")
        await self._boot_again()

    async def _boot_again(self) -> None:
        await self.boot()

    async def _heartbeat_again(self) -> None:
        await self.heartbeat()

    async def _report_statuses(self, connectors: list[int]) -> None:
        for connector in connectors:
            await self.status(connector, self.connector_status(connector))

    async def _report_meter(self, connector: int) -> None:
        running = [tx for tx, c in self._transactions.items() if c == connector]
        await self.driver.meter_reading(connector, running[0] if running else None, self.meter_wh)

    def proceed(self, call_id: str) -> None:
        work = self._pending.pop(call_id, None)
        if work is not None:
            task = asyncio.create_task(work())
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    async def _remote_start(self, connector: int, token: IdToken, remote_start_id: int | None) -> None:
        try:
            await self.status(connector, self.statuses.plugged)
            transaction_id, status = await self.start_transaction(connector, token, self.meter_wh, remote_start_id)
            if status == ACCEPTED:
                if self.statuses.charging:
                    await self.status(connector, self.statuses.charging)
            else:
                await self._finish(connector, transaction_id, "DeAuthorized")
                self._busy.discard(connector)
        except BaseException:
            self._busy.discard(connector)
            raise
        self.remote_starts.put_nowait(RemoteTransaction(connector, transaction_id, token, status))

    async def _remote_stop(self, connector: int, transaction_id: str) -> None:
        try:
            async with self._readings:
                await self._finish(connector, transaction_id, "Remote")
        finally:
            self._busy.discard(connector)
        self.remote_stops.put_nowait(RemoteTransaction(connector, transaction_id, None, "Remote"))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            self.errors.append(error)
            self._note(f"a remote command failed: {error}")

    def _note(self, text: str) -> None:
        self._reporter(Step(self.charge_point_id, "--", text))
