"""What each simulated charger does in a scenario, and the recorder that counts it inside the measured window."""

from __future__ import annotations

import asyncio
import random
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks._ocpp import Messages
from benchmarks._wire import CallFailed, CallTimeout, Closed, OcppClient

SCENARIOS = ("authorize", "heartbeat", "full-session", "idle", "day")
ACCEPTED = "Accepted"


@dataclass
class Plan:
    """When and how hard: the same for every worker process."""

    scenario: str
    version: str
    total_chargers: int
    start: float  # monotonic; load begins here
    window_start: float  # counted from here...
    window_end: float  # ...to here, then the chargers stop
    rate: float | None = None  # open loop: calls/s across all chargers
    meter_values: int = 3
    heartbeat_interval: float = 30.0
    # day: this share of the chargers charges (sessions back to back), a reading every meter_interval seconds,
    # sessions session_seconds long on average (exponentially distributed); the others only heartbeat.
    charging_share: float = 0.1
    meter_interval: float = 10.0
    session_seconds: float = 120.0


@dataclass
class Recorder:
    """Counts what happened; latencies and throughput only for answers that arrive inside the window."""

    window_start: float
    window_end: float
    stopping: bool = False
    latencies: array[float] = field(default_factory=lambda: array("d"))
    scheduled_latencies: array[float] = field(default_factory=lambda: array("d"))
    session_latencies: array[float] = field(default_factory=lambda: array("d"))
    calls: int = 0
    sessions: int = 0
    call_errors: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    closed: int = 0
    rejected: int = 0
    session_failures: int = 0
    late_sends: int = 0
    missed_sends: int = 0
    # Over the whole run (setup included): what the server should have logged and stored.
    calls_sent: int = 0
    answers: int = 0
    transactions_started: int = 0

    def in_window(self, at: float) -> bool:
        return self.window_start <= at < self.window_end

    async def call(self, client: OcppClient, message: tuple[str, dict[str, Any]]) -> Any | None:
        """One timed round trip; None when it failed (counted by kind)."""
        self.calls_sent += 1
        sent = time.monotonic()
        try:
            answer = await client.call(*message)
        except CallFailed as error:
            self.answers += 1
            self.call_errors[error.code] += 1
            return None
        except CallTimeout:
            self.timeouts += 1
            return None
        except Closed:
            self.closed += 1
            raise
        now = time.monotonic()
        self.answers += 1
        if self.window_start <= now < self.window_end:
            self.calls += 1
            self.latencies.append(now - sent)
        return answer

    def summary(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "scheduled_latencies": self.scheduled_latencies,
            "session_latencies": self.session_latencies,
            "calls": self.calls,
            "sessions": self.sessions,
            "call_errors": dict(self.call_errors),
            "timeouts": self.timeouts,
            "closed": self.closed,
            "rejected": self.rejected,
            "session_failures": self.session_failures,
            "late_sends": self.late_sends,
            "missed_sends": self.missed_sends,
            "calls_sent": self.calls_sent,
            "answers": self.answers,
            "transactions_started": self.transactions_started,
        }


async def setup(
    client: OcppClient, messages: Messages, recorder: Recorder, scenario: str, charging: bool = False
) -> bool:
    """BootNotification (and StatusNotification Available before sessions), as a charger does on connecting;
    `charging` (day): a session begun too, so the measured day starts with its share of chargers charging."""
    if await recorder.call(client, messages.boot()) is None:
        return False
    sessions = scenario in ("full-session", "day")
    if sessions and await recorder.call(client, messages.status("Available")) is None:
        return False
    if charging:
        return await _begin_session(client, messages, recorder)
    return True


async def run_charger(client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan, slot: int) -> None:
    """The charger's load until the recorder stops it; `slot` spreads open-loop sends and idle heartbeats."""
    await _sleep_until(plan.start)
    try:
        if plan.scenario == "idle" or (plan.scenario == "day" and not charges(plan.charging_share, slot)):
            await _idle(client, messages, recorder, plan, slot)
        elif plan.scenario == "day":
            await _charging(client, messages, recorder, plan, slot)
        elif plan.scenario == "full-session":
            while not recorder.stopping and not client.closed:
                await _session(client, messages, recorder, plan)
        elif plan.rate:
            await _open_loop(client, messages, recorder, plan, slot)
        else:
            message = messages.authorize() if plan.scenario == "authorize" else messages.heartbeat()
            while not recorder.stopping and not client.closed:
                answer = await recorder.call(client, message)
                if answer is not None and plan.scenario == "authorize":
                    _check_authorized(recorder, messages.version, answer)
    except Closed:
        pass


async def _open_loop(client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan, slot: int) -> None:
    """Each charger sends at rate/N per second on its own schedule, one call in flight at a time."""
    assert plan.rate
    interval = plan.total_chargers / plan.rate
    message = messages.authorize() if plan.scenario == "authorize" else messages.heartbeat()
    due = plan.start + interval * slot / plan.total_chargers
    while not recorder.stopping and not client.closed:
        await _sleep_until(due)
        if time.monotonic() - due > 0.001:
            recorder.late_sends += 1
        answer = await recorder.call(client, message)
        now = time.monotonic()
        if answer is not None:
            if recorder.in_window(now):
                # From when it was due: a server that falls behind delays the next sends, which counts too.
                recorder.scheduled_latencies.append(now - due)
            if plan.scenario == "authorize":
                _check_authorized(recorder, messages.version, answer)
        due += interval
        if due < now:  # behind: skip the sends that are already late rather than burst to catch up
            recorder.missed_sends += int((now - due) / interval) + 1
            due = now


async def _session(client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan) -> None:
    began = time.monotonic()
    if await recorder.call(client, messages.status("Preparing")) is None:
        recorder.session_failures += 1
        return
    answer = await recorder.call(client, messages.authorize())
    if answer is None or not _check_authorized(recorder, messages.version, answer):
        recorder.session_failures += 1
        await recorder.call(client, messages.status("Available"))
        return
    answer = await recorder.call(client, messages.start())
    if answer is None:
        recorder.session_failures += 1
        return
    recorder.transactions_started += 1
    if messages.started(answer) != ACCEPTED:
        recorder.rejected += 1
    ok = True
    for _ in range(plan.meter_values):
        ok = await recorder.call(client, messages.meter_values()) is not None and ok
    ok = await recorder.call(client, messages.stop()) is not None and ok
    ok = await recorder.call(client, messages.status("Available")) is not None and ok
    now = time.monotonic()
    if not ok:
        recorder.session_failures += 1
    elif recorder.in_window(now):
        recorder.sessions += 1
        recorder.session_latencies.append(now - began)


async def _idle(client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan, slot: int) -> None:
    """A heartbeat every interval, the chargers' phases spread evenly over it."""
    due = plan.start + plan.heartbeat_interval * slot / plan.total_chargers
    while not recorder.stopping and not client.closed:
        await _sleep_until(due)
        if recorder.stopping:
            return
        await recorder.call(client, messages.heartbeat())
        due = max(due + plan.heartbeat_interval, time.monotonic())


def charges(share: float, slot: int) -> bool:
    """Whether charger `slot` is one of the day's charging ones: `share` of the slots, spread evenly."""
    return int((slot + 1) * share) > int(slot * share)


async def _charging(client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan, slot: int) -> None:
    """The session begun at setup, then sessions back to back: each a reading every meter_interval for a
    random length (exponential around session_seconds), stop, Available, a random pause of up to one
    interval, then the next one: Preparing, Authorize, start."""
    chance = random.Random(slot)  # the same day on every run
    # The session under way reads first at a random point of its interval (an exponential length has no
    # memory: what remains of a session under way is distributed as a whole one is).
    first = chance.uniform(0, plan.meter_interval)
    while not recorder.stopping and not client.closed:
        readings = max(1, round(chance.expovariate(1 / plan.session_seconds) / plan.meter_interval))
        if not await _readings_and_stop(client, messages, recorder, plan, readings, first):
            return
        await asyncio.sleep(chance.uniform(0, plan.meter_interval))
        if recorder.stopping:
            return
        if not await _begin_session(client, messages, recorder):
            await asyncio.sleep(plan.meter_interval)  # refused: the driver tries again later
            continue
        first = plan.meter_interval


async def _begin_session(client: OcppClient, messages: Messages, recorder: Recorder) -> bool:
    """Preparing, Authorize, the transaction's start; False when any failed."""
    if await recorder.call(client, messages.status("Preparing")) is None:
        recorder.session_failures += 1
        return False
    answer = await recorder.call(client, messages.authorize())
    if answer is None or not _check_authorized(recorder, messages.version, answer):
        recorder.session_failures += 1
        await recorder.call(client, messages.status("Available"))
        return False
    answer = await recorder.call(client, messages.start())
    if answer is None:
        recorder.session_failures += 1
        return False
    recorder.transactions_started += 1
    if messages.started(answer) != ACCEPTED:
        recorder.rejected += 1
    return True


async def _readings_and_stop(
    client: OcppClient, messages: Messages, recorder: Recorder, plan: Plan, readings: int, first: float
) -> bool:
    """The session's readings, `first` seconds then every meter_interval apart, then its stop and
    StatusNotification Available; False when the run ended first (the transaction stays open, as a charger
    cut off mid-session leaves it)."""
    due = time.monotonic() + first
    for _ in range(readings):
        await _sleep_until(due)
        if recorder.stopping:
            return False
        await recorder.call(client, messages.meter_values())
        due = max(due + plan.meter_interval, time.monotonic())
    await recorder.call(client, messages.stop())
    await recorder.call(client, messages.status("Available"))
    if recorder.in_window(time.monotonic()):
        recorder.sessions += 1
    return True


def _check_authorized(recorder: Recorder, version: str, answer: dict[str, Any]) -> bool:
    info = answer.get("idTagInfo" if version == "1.6" else "idTokenInfo") or {}
    if info.get("status") == ACCEPTED:
        return True
    recorder.rejected += 1
    return False


async def _sleep_until(at: float) -> None:
    delay = at - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
