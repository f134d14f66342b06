"""The load generator: N simulated chargers over real sockets, one scenario, figures as JSON on stdout.

    python -m benchmarks.loadgen --port 9000 --scenario authorize --chargers 100 --duration 10 --server-pid PID

Scenarios: `authorize` (closed loop, or open loop at --rate calls/s in total), `heartbeat` (the same with
Heartbeat), `full-session` (per session: StatusNotification Preparing, Authorize with the vehicle's token,
StartTransaction / TransactionEvent Started, K MeterValues / TransactionEvent Updated, StopTransaction /
TransactionEvent Ended, StatusNotification Available), `idle` (connect, BootNotification, then a Heartbeat
every --heartbeat-interval seconds; the slowest heartbeat is the "pause" figure), `day` (a realistic day:
--charging-share of the chargers charge, sessions back to back each begun at a random moment with
StatusNotification Preparing and Authorize, a reading every --meter-interval seconds for an exponentially
distributed length around --session-seconds; those chargers begin their first session while connecting, so
the measured day starts with them charging; the others heartbeat as in `idle`; the figure is the latency of
every frame). Every charger first
connects and sends BootNotification; that setup is not counted. Only 127.0.0.1-style local hosts are allowed.

With --processes P the chargers are split over P processes (one process holds at most its open-files limit
of sockets); the figures are merged.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks._ocpp import CHARGE_POINT_PREFIX, Messages, charge_point_id
from benchmarks._scenarios import SCENARIOS, Plan, Recorder, charges, run_charger, setup
from benchmarks._stats import ProcSample, cpu_percent, percentiles, sample, wait_percent
from benchmarks._wire import OcppClient, Refused

# Sockets a process keeps for itself (stdio, the event loop, pipes) below its open-files limit.
_SPARE_FILES = 128


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 9000
    path: str = "/ocpp/"
    version: str = "1.6"
    scenario: str = "authorize"
    chargers: int = 100
    first: int = 0
    prefix: str = CHARGE_POINT_PREFIX
    duration: float = 10.0
    warmup: float = 2.0
    rate: float | None = None
    meter_values: int = 3
    heartbeat_interval: float = 30.0
    charging_share: float = 0.1
    meter_interval: float = 10.0
    session_seconds: float = 120.0
    connect_concurrency: int = 64
    timeout: float = 10.0
    processes: int = 1
    server_pid: int | None = None
    uvloop: bool = True


def raise_open_files_limit() -> int:
    """Soft limit up to the hard one (raising the hard limit needs privileges this may not have)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run_loop(work: Coroutine[Any, Any, Any], use_uvloop: bool) -> Any:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(work)
    return asyncio.run(work)


# --- the channel between the coordinator and a worker ---


class Channel:
    """Messages between coordinator and worker: asyncio queues in one process, a pipe between two.

    A pipe is read in a thread with a blocking descriptor: an event loop's reader would make it non-blocking,
    and a large message (the latencies) would then fail half-read.
    """

    def __init__(self, pipe: multiprocessing.connection.Connection | None = None) -> None:
        self._pipe = pipe
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.peer: Channel | None = None

    @classmethod
    def local_pair(cls) -> tuple[Channel, Channel]:
        a, b = cls(), cls()
        a.peer, b.peer = b, a
        return a, b

    def send(self, message: Any) -> None:
        if self._pipe is not None:
            self._pipe.send(message)
        else:
            assert self.peer is not None
            self.peer._inbox.put_nowait(message)

    async def recv(self) -> Any:
        if self._pipe is not None:
            return await asyncio.get_running_loop().run_in_executor(None, self._pipe.recv)
        return await self._inbox.get()


# --- a worker: its share of the chargers ---


async def worker(config: Config, indices: range, channel: Channel) -> None:
    recorder = Recorder(window_start=math.inf, window_end=math.inf)
    opened: list[OcppClient] = []
    watchdog = asyncio.create_task(_expire_late_calls(opened, config.timeout))
    clients, refused, connect_seconds = await _connect_all(config, indices, recorder, opened)
    channel.send({"connected": len(clients), "refused": dict(refused), "connect_s": connect_seconds})
    start = (await channel.recv())["start"]
    # The chargers are all made: no collection pass may stall this process and pass for a server's pause.
    gc.collect()
    gc.freeze()
    gc.disable()
    recorder.window_start = start + config.warmup
    recorder.window_end = recorder.window_start + config.duration
    plan = Plan(
        scenario=config.scenario,
        version=config.version,
        total_chargers=config.chargers,
        start=start,
        window_start=recorder.window_start,
        window_end=recorder.window_end,
        rate=config.rate,
        meter_values=config.meter_values,
        heartbeat_interval=config.heartbeat_interval,
        charging_share=config.charging_share,
        meter_interval=config.meter_interval,
        session_seconds=config.session_seconds,
    )
    own: list[ProcSample | None] = []
    loop = asyncio.get_running_loop()
    for at in (recorder.window_start, recorder.window_end):
        loop.call_later(max(0.0, at - time.monotonic()), lambda: own.append(sample(os.getpid())))
    tasks = [
        asyncio.create_task(run_charger(client, messages, recorder, plan, index - config.first))
        for index, client, messages in clients
    ]
    await asyncio.sleep(max(0.0, recorder.window_end - time.monotonic()))
    recorder.stopping = True
    _, still_running = await asyncio.wait(tasks, timeout=config.timeout + 1) if tasks else (set(), set())
    for task in still_running:
        task.cancel()
    watchdog.cancel()
    for _, client, _ in clients:
        client.close()
    await asyncio.sleep(0.2)  # let the close frames go out
    gc.enable()
    result = recorder.summary()
    result["own"] = own if len(own) == 2 else None
    result["server_calls"] = sum(client.server_calls for _, client, _ in clients)
    channel.send(result)


async def _connect_all(
    config: Config, indices: range, recorder: Recorder, opened: list[OcppClient]
) -> tuple[list[tuple[int, OcppClient, Messages]], Counter[str], float]:
    gate = asyncio.Semaphore(config.connect_concurrency)
    refused: Counter[str] = Counter()
    began = time.monotonic()

    async def one(index: int) -> tuple[int, OcppClient, Messages] | None:
        async with gate:
            path = config.path + charge_point_id(index, config.prefix)
            try:
                client = await OcppClient.open(config.host, config.port, path, config.version, config.timeout)
            except Refused as error:
                refused[error.reason] += 1
                return None
            opened.append(client)
            messages = Messages(config.version, index)
            try:
                charging = config.scenario == "day" and charges(config.charging_share, index - config.first)
                ok = await setup(client, messages, recorder, config.scenario, charging)
            except Exception:
                ok = False
            if not ok:
                refused["setup failed"] += 1
                client.close()
                return None
            return index, client, messages

    results = await asyncio.gather(*(one(i) for i in indices))
    return [r for r in results if r is not None], refused, time.monotonic() - began


async def _expire_late_calls(clients: list[OcppClient], after: float) -> None:
    while True:
        await asyncio.sleep(0.5)
        limit = time.monotonic() - after
        for client in clients:
            if client.pending:
                client.expire(limit)


def _worker_process(config: Config, indices: range, pipe: multiprocessing.connection.Connection) -> None:
    raise_open_files_limit()

    async def main() -> None:
        await worker(config, indices, Channel(pipe))

    run_loop(main(), config.uvloop)


# --- the coordinator ---


async def coordinate(config: Config, pipes: list[multiprocessing.connection.Connection]) -> dict[str, Any]:
    pid = config.server_pid
    before = sample(pid) if pid else None
    if pipes:
        channels = [Channel(pipe) for pipe in pipes]
        local: asyncio.Task[None] | None = None
    else:
        mine, theirs = Channel.local_pair()
        channels = [mine]
        local = asyncio.create_task(worker(config, range(config.first, config.first + config.chargers), theirs))
    reports = [await channel.recv() for channel in channels]
    connected = sample(pid) if pid else None
    start = time.monotonic() + 0.2
    for channel in channels:
        channel.send({"start": start})
    window_start = start + config.warmup
    await asyncio.sleep(max(0.0, window_start - time.monotonic()))
    server_start = sample(pid) if pid else None
    await asyncio.sleep(max(0.0, window_start + config.duration - time.monotonic()))
    server_end = sample(pid) if pid else None
    results = [await channel.recv() for channel in channels]
    after = sample(pid) if pid else None
    if local is not None:
        await local
    return merge(config, reports, results, (before, connected, server_start, server_end, after))


def merge(
    config: Config,
    reports: list[dict[str, Any]],
    results: list[dict[str, Any]],
    server: tuple[ProcSample | None, ...],
) -> dict[str, Any]:
    def joined(key: str) -> list[float]:
        return [x for result in results for x in result[key]]

    def added(key: str) -> int:
        return sum(result[key] for result in results)

    connected = sum(report["connected"] for report in reports)
    refused: Counter[str] = Counter()
    call_errors: Counter[str] = Counter()
    for report in reports:
        refused.update(report["refused"])
    for result in results:
        call_errors.update(result["call_errors"])
    own = [result["own"] for result in results if result["own"] is not None]
    generator_cpu = [cpu_percent(a, b, config.duration) or 0.0 for a, b in own]
    generator_wait = [wait_percent(a, b, config.duration) or 0.0 for a, b in own]
    figures: dict[str, Any] = {
        "scenario": config.scenario,
        "ocpp": config.version,
        "chargers": config.chargers,
        "connected": connected,
        "processes": max(1, config.processes),
        "duration_s": config.duration,
        "rate_target": config.rate,
        "calls": added("calls"),
        "calls_per_s": round(added("calls") / config.duration, 1),
        "sessions": added("sessions"),
        "sessions_per_s": round(added("sessions") / config.duration, 1),
        "latency_ms": percentiles(joined("latencies")),
        "errors": {
            "call_errors": dict(call_errors),
            "timeouts": added("timeouts"),
            "closed": added("closed"),
            "refused": dict(refused),
            "rejected": added("rejected"),
            "session_failures": added("session_failures"),
        },
        "totals": {
            "calls_sent": added("calls_sent"),
            "answers": added("answers"),
            "transactions_started": added("transactions_started"),
            "server_calls": added("server_calls"),
        },
        "connect_s": round(max(report["connect_s"] for report in reports), 2),
        "generator": {
            "cpu_pct": round(sum(generator_cpu), 1) if own else None,
            "runqueue_wait_pct": round(sum(generator_wait), 1) if own else None,
        },
    }
    if config.rate:
        figures["latency_from_schedule_ms"] = percentiles(joined("scheduled_latencies"))
        figures["late_sends"] = added("late_sends")  # sent over 1 ms after they were due
        figures["missed_sends"] = added("missed_sends")  # skipped: the previous answer came after they were due
    if config.scenario == "day":
        figures["charging"] = sum(charges(config.charging_share, slot) for slot in range(config.chargers))
    if config.scenario == "full-session":
        figures["session_ms"] = percentiles(joined("session_latencies"))
    if config.server_pid:
        figures["server"] = server_figures = _server_figures(config.server_pid, connected, config.duration, server)
        if server_figures["cpu_pct"]:
            # Per second of the server's own CPU: comparable across runs on a machine others keep busy.
            core = server_figures["cpu_pct"] / 100
            server_figures["calls_per_cpu_s"] = round(figures["calls_per_s"] / core, 1)
            server_figures["sessions_per_cpu_s"] = round(figures["sessions_per_s"] / core, 1)
    return figures


def _server_figures(pid: int, connected: int, duration: float, server: tuple[ProcSample | None, ...]) -> dict[str, Any]:
    before, connected_at, window_start, window_end, _ = server
    figures: dict[str, Any] = {
        "pid": pid,
        "rss_before_kib": before.rss_kib if before else None,
        "rss_connected_kib": connected_at.rss_kib if connected_at else None,
        "rss_end_kib": window_end.rss_kib if window_end else None,
        "cpu_pct": cpu_percent(window_start, window_end, duration),
        "runqueue_wait_pct": wait_percent(window_start, window_end, duration),
    }
    if before and window_end and connected:
        figures["rss_per_charger_kib"] = round((window_end.rss_kib - before.rss_kib) / connected, 2)
    if before and connected_at and connected:
        figures["rss_per_charger_at_connect_kib"] = round((connected_at.rss_kib - before.rss_kib) / connected, 2)
    return figures


def _local_only(host: str) -> str:
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        if host == "localhost":
            return host
    raise SystemExit(f"refusing to load {host}: this generator only targets the loopback interface")


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="/ocpp/", help="the URL path before the chargePointId")
    parser.add_argument("--ocpp", dest="version", choices=["1.6", "2.0.1"], default="1.6")
    parser.add_argument("--scenario", choices=SCENARIOS, default="authorize")
    parser.add_argument("--chargers", type=int, default=100, help="N simulated chargers")
    parser.add_argument("--first", type=int, default=0, help="index of the first charger (BENCH-00000 is 0)")
    parser.add_argument("--prefix", default=CHARGE_POINT_PREFIX, help="chargePointId prefix")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--rate", type=float, help="open loop: total calls/s (authorize, heartbeat)")
    parser.add_argument("--meter-values", type=int, default=3, help="K readings per session")
    parser.add_argument("--heartbeat-interval", type=float, default=30.0, help="idle: seconds between heartbeats")
    parser.add_argument("--charging-share", type=float, default=0.1, help="day: share of the chargers charging")
    parser.add_argument("--meter-interval", type=float, default=10.0, help="day: seconds between readings")
    parser.add_argument("--session-seconds", type=float, default=120.0, help="day: mean session length")
    parser.add_argument("--connect-concurrency", type=int, default=64, help="handshakes in flight at once")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a call counts as timed out")
    parser.add_argument("--processes", type=int, default=1, help="generator processes (more for many sockets)")
    parser.add_argument("--server-pid", type=int, help="read this process's RSS and CPU")
    parser.add_argument("--no-uvloop", dest="uvloop", action="store_false")
    args = parser.parse_args(argv)
    if not 1 <= args.chargers <= 100_000 or args.duration <= 0 or args.duration > 3600:
        parser.error("chargers must be 1..100000 and duration 0..3600 s")
    if not 0 <= args.charging_share <= 1 or args.meter_interval <= 0 or args.session_seconds <= 0:
        parser.error("charging share must be 0..1, meter interval and session length positive")
    return Config(**{**vars(args), "host": _local_only(args.host)})


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    limit = raise_open_files_limit()
    processes = max(config.processes, math.ceil(config.chargers / max(1, limit - _SPARE_FILES)))
    if processes > 1:
        config = Config(**{**asdict(config), "processes": processes})
    pipes: list[multiprocessing.connection.Connection] = []
    children: list[multiprocessing.process.BaseProcess] = []
    if processes > 1:
        context = multiprocessing.get_context("fork")
        share = math.ceil(config.chargers / processes)
        for p in range(processes):
            first = config.first + p * share
            indices = range(first, min(config.first + config.chargers, first + share))
            ours, theirs = context.Pipe()
            child = context.Process(target=_worker_process, args=(config, indices, theirs), daemon=True)
            child.start()
            pipes.append(ours)
            children.append(child)
    figures = run_loop(coordinate(config, pipes), config.uvloop)
    for child in children:
        child.join(timeout=10)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
