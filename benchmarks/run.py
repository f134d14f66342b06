"""One command for the OCPP benchmarks: the bare reference, then `autocharge serve`, per scenario, as JSON.

    python -m benchmarks.run                                  # the default scenarios, a few minutes
    python -m benchmarks.run --scenarios authorize,full-session:2.0.1 --duration 20
    python -m benchmarks.run --scenarios day --day-chargers 10000             # the realistic day's target size

For each scenario the bare websockets server (benchmarks/bare_server.py) is started pinned to one core
(taskset -c 0) and measured by the load generator pinned to the other (taskset -c 1); then `autocharge
serve` is started the same way on a throwaway PostgreSQL database (created, migrated with `autocharge
migrate`, given a tenant, an admin key, the chargers and their drivers' vehicles) with Real-Time Logs on,
and measured the same way. Prints one JSON object per scenario (both figures, the ratio, the targets), then a
table of the figures and one of every issue-12 target (bare, autocharge, ratio, met / NOT MET / not run);
stops the servers and drops the database. PostgreSQL itself is not pinned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import _seeding
from benchmarks._servers import AutochargeServer, BareServer, Server, pinned
from benchmarks._targets import compare, table, targets_table
from benchmarks.profile_breakdown import breakdown

DEFAULT_SCENARIOS = "authorize,authorize-rate,full-session:1.6,full-session:2.0.1,idle,day,ocpplogs"
KNOWN = ("authorize", "authorize-rate", "heartbeat", "full-session", "idle", "day", "ocpplogs")
# Many sockets: the chargers over several generator processes, so no one event loop's own delays count.
_SOCKETS_PER_GENERATOR = {"idle": 10_000, "day": 5_000}
# Descriptors autocharge keeps besides its chargers' sockets: database pool, listeners, logs, pipes.
_SERVER_SPARE_FILES = 200


@dataclass(frozen=True)
class Scenario:
    name: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"


def parse_scenarios(text: str) -> list[Scenario]:
    scenarios = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, version = item.partition(":")
        if name not in KNOWN or version not in ("", "1.6", "2.0.1"):
            raise SystemExit(f"unknown scenario {item!r}: choose from {', '.join(KNOWN)} (optionally :1.6 or :2.0.1)")
        scenarios.append(Scenario(name, version or "1.6"))
    return scenarios


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.database_name = _seeding.throwaway_name("run")
        self.database_url = ""
        self.tenant: _seeding.Tenant | None = None
        self.fleet: _seeding.Fleet | None = None
        self.open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]

    # --- the database ---

    def prepare(self, scenarios: list[Scenario]) -> None:
        args = self.args
        chargers = max(self.chargers_for(s) for s in scenarios)
        vehicles = max([self.chargers_for(s) for s in scenarios if s.name != "idle"] or [1])
        began = time.monotonic()
        self.database_url = asyncio.run(_seeding.create_database(args.database_server_url, self.database_name))
        _seeding.migrate(self.database_url)
        self.tenant = _seeding.create_tenant(self.database_url, f"Bench {os.getpid()}")
        self.fleet = asyncio.run(_seeding.seed_fleet(self.database_url, self.tenant.id, chargers, vehicles))
        seconds = time.monotonic() - began
        note(f"database {self.database_name}: {chargers} chargers, {vehicles} vehicles ({seconds:.1f} s)")

    def cleanup(self) -> None:
        if self.database_url and not self.args.keep_database:
            asyncio.run(_seeding.drop_database(self.args.database_server_url, self.database_name))

    def chargers_for(self, scenario: Scenario) -> int:
        return min(self.requested(scenario), self.open_files - _SERVER_SPARE_FILES)

    def requested(self, scenario: Scenario) -> int:
        if scenario.name == "idle":
            return int(self.args.idle_chargers)
        if scenario.name == "day":
            return int(self.args.day_chargers)
        return int(self.args.chargers)

    # --- one scenario ---

    def run(self, scenario: Scenario) -> dict[str, Any]:
        result: dict[str, Any] = {"scenario": scenario.name, "ocpp": scenario.version}
        if scenario.name in ("idle", "day"):
            result["requested_chargers"] = self.requested(scenario)
            if self.chargers_for(scenario) < self.requested(scenario):
                result["limited_by"] = (
                    f"RLIMIT_NOFILE: one process may hold {self.open_files} descriptors here and the hard limit "
                    f"cannot be raised, so the server can take at most {self.chargers_for(scenario)} chargers"
                )
        if scenario.name != "ocpplogs":
            with BareServer(self.log(f"bare-{scenario.name}"), self.args.server_cpu, self.args.bare_uvloop) as bare:
                bare.start()
                note(f"{scenario.label}: bare server (pid {bare.pid})")
                result["bare"] = self.load(scenario, bare)
        result["autocharge"], result["checks"] = self.run_autocharge(scenario)
        compare(result)
        return result

    def run_autocharge(self, scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
        before = self.counts()
        server = AutochargeServer(
            self.database_url,
            self.log(f"autocharge-{scenario.name}"),
            self.args.server_cpu,
            workers=self.args.workers,
            redis_url=self.args.redis_url if self.args.workers > 1 else None,
        )
        try:
            server.start()
            note(f"{scenario.label}: autocharge serve (pid {server.pid})")
            profiler = self.profile(scenario, server)
            figures = self.load(scenario, server)
            if profiler is not None:
                profiler.join()
                figures["profile"] = profiler.result
        finally:
            stop_seconds = server.stop(timeout=180)
        after = self.counts()
        totals = figures.get("totals", {})
        checks = {
            "server_stop_s": round(stop_seconds, 1),
            # Our CALLs and their answers, and the server's own CALLs (GetConfiguration after a boot) with ours.
            "frames_expected": _frames(totals) if totals else None,
            "frames_stored": after["frames"] - before["frames"],
            "transactions_expected": totals.get("transactions_started") if totals else None,
            "transactions_stored": after["transactions"] - before["transactions"],
            "transactions_completed": after["completed"] - before["completed"],
            "db_transactions": after["xacts"] - before["xacts"],
        }
        if totals.get("calls_sent"):
            checks["db_transactions_per_call"] = round(checks["db_transactions"] / totals["calls_sent"], 2)
        return figures, checks

    def counts(self) -> dict[str, int]:
        async def read() -> dict[str, int]:
            import asyncpg

            connection = await asyncpg.connect(_seeding.asyncpg_dsn(self.database_url))
            try:
                await connection.execute("SELECT pg_stat_clear_snapshot()")
                return {
                    "frames": await connection.fetchval("SELECT count(*) FROM ocpp_log_entries"),
                    "transactions": await connection.fetchval("SELECT count(*) FROM transactions"),
                    "completed": await connection.fetchval(
                        "SELECT count(*) FROM transactions WHERE status = 'COMPLETED'"
                    ),
                    "xacts": await connection.fetchval(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
                    ),
                }
            finally:
                await connection.close()

        time.sleep(1.0)  # PostgreSQL publishes its statistics with a delay of up to a second
        return asyncio.run(read())

    # --- the generators ---

    def load(self, scenario: Scenario, server: Server) -> dict[str, Any]:
        args = self.args
        if scenario.name == "ocpplogs":
            assert isinstance(server, AutochargeServer) and self.tenant and self.fleet
            argv = [
                *("-m", "benchmarks.ocpplogs_latency", "--ocpp-port", str(server.ocpp_port)),
                *("--api-url", server.api_url, "--api-key", self.tenant.key, "--ocpp", scenario.version),
                *("--chargers", str(args.chargers), "--rate", str(args.logs_rate)),
                *("--duration", str(args.duration), "--warmup", str(args.warmup)),
                *("--charger-id", str(self.fleet.charger_ids[0]), "--server-pid", str(server.pid)),
            ]
        else:
            name = "authorize" if scenario.name == "authorize-rate" else scenario.name
            duration, warmup, heartbeat = self.timing(scenario)
            argv = [
                *("-m", "benchmarks.loadgen", "--port", str(server.ocpp_port), "--scenario", name),
                *("--ocpp", scenario.version, "--chargers", str(self.chargers_for(scenario))),
                *("--duration", str(duration), "--warmup", str(warmup)),
                *("--meter-values", str(args.meter_values), "--heartbeat-interval", str(heartbeat)),
                *("--server-pid", str(server.pid)),
            ]
            if scenario.name == "authorize-rate":
                argv += ["--rate", str(args.rate)]
            if scenario.name == "day":
                argv += ["--charging-share", str(args.day_charging_share)]
                argv += ["--meter-interval", str(args.day_meter_interval)]
                argv += ["--session-seconds", str(args.day_session_seconds)]
            per_process = _SOCKETS_PER_GENERATOR.get(scenario.name)
            if per_process:
                argv += ["--processes", str(-(-self.chargers_for(scenario) // per_process))]
        log = self.log(f"generator-{scenario.name}")
        with log.open("ab") as stderr:
            done = subprocess.run(
                pinned([sys.executable, *argv], args.generator_cpu),
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=max(args.idle_duration, args.day_duration) + 900,
                check=False,
            )
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"the generator failed ({done.returncode}); see {log}")
        figures: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return figures

    def timing(self, scenario: Scenario) -> tuple[float, float, float]:
        """Measured seconds, warm-up seconds and heartbeat interval of the scenario."""
        args = self.args
        if scenario.name == "idle":
            return args.idle_duration, args.idle_warmup, args.idle_heartbeat
        if scenario.name == "day":
            return args.day_duration, args.day_warmup, args.day_heartbeat
        return args.duration, args.warmup, args.idle_heartbeat

    def profile(self, scenario: Scenario, server: AutochargeServer) -> _Profiler | None:
        if self.args.profile is None or scenario.name not in self.args.profile_scenarios.split(","):
            return None
        directory = Path(self.args.profile)
        directory.mkdir(parents=True, exist_ok=True)
        output = directory / f"{scenario.name}-{scenario.version}.txt"
        delay = self.args.warmup + 2.0  # connecting 100 chargers and the warm-up
        profiler = _Profiler(server.pid, output, delay, max(1.0, self.args.duration - 1))
        profiler.start()
        return profiler

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"


def _frames(totals: dict[str, int]) -> int:
    return totals.get("calls_sent", 0) + totals.get("answers", 0) + 2 * totals.get("server_calls", 0)


class _Profiler(threading.Thread):
    """py-spy on the server during the measured window; the breakdown by category when done."""

    def __init__(self, pid: int, output: Path, delay: float, duration: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.output, self.delay, self.duration = pid, output, delay, duration
        self.result: dict[str, Any] | None = None

    def run(self) -> None:
        time.sleep(self.delay)
        py_spy = str(Path(sys.executable).with_name("py-spy"))
        argv = [py_spy, "record", "--pid", str(self.pid), "--duration", str(int(self.duration))]
        argv += ["--rate", "100", "--nonblocking", "--format", "raw", "-o", str(self.output)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not self.output.exists():
            self.result = {"error": (done.stderr or "py-spy failed").strip()[-500:]}
            return
        self.result = breakdown(str(self.output), top=12)


def note(text: str) -> None:
    sys.stderr.write(f"[bench] {text}\n")
    sys.stderr.flush()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS, help=f"[default: {DEFAULT_SCENARIOS}]")
    parser.add_argument("--chargers", type=int, default=100, help="chargers of the load scenarios")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="authorize-rate: Authorize/s in total")
    parser.add_argument("--meter-values", type=int, default=3, help="full-session: readings per session")
    parser.add_argument("--idle-chargers", type=int, default=5_000, help="the target run uses 20000")
    parser.add_argument("--idle-heartbeat", type=float, default=300.0, help="idle: seconds between heartbeats")
    parser.add_argument("--idle-duration", type=float, default=60.0)
    parser.add_argument("--idle-warmup", type=float, default=5.0)
    parser.add_argument("--day-chargers", type=int, default=2_000, help="day: chargers; the target run uses 10000")
    parser.add_argument("--day-charging-share", type=float, default=0.1, help="day: share of them charging")
    parser.add_argument("--day-meter-interval", type=float, default=10.0, help="day: seconds between readings")
    parser.add_argument("--day-session-seconds", type=float, default=120.0, help="day: mean session length")
    parser.add_argument("--day-heartbeat", type=float, default=300.0, help="day: seconds between heartbeats")
    parser.add_argument("--day-duration", type=float, default=60.0)
    parser.add_argument("--day-warmup", type=float, default=15.0)
    parser.add_argument("--logs-rate", type=float, default=1000.0, help="ocpplogs: frames/s the chargers send")
    parser.add_argument("--server-cpu", default="0", help="taskset CPU list for the servers")
    parser.add_argument("--generator-cpu", default="1", help="taskset CPU list for the generators")
    parser.add_argument("--bare-uvloop", action="store_true", help="run the bare server on uvloop")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="autocharge serve --workers N (N > 1: with --redis-url; the server's "
        "CPU and memory figures are then the supervisor's only)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for --workers > 1")
    parser.add_argument("--database-server-url", default=_seeding.DEFAULT_SERVER_URL)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the autocharge server; raw profiles go here")
    parser.add_argument("--profile-scenarios", default="authorize,full-session")
    parser.add_argument("--output", help="also write the JSON results to this file")
    parser.add_argument("--logs", metavar="DIR", help="where server and generator logs go [default: a new temp dir]")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    scenarios = parse_scenarios(args.scenarios)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers and generators inherit it
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="autocharge-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    bench = Bench(args, logs)
    try:
        bench.prepare(scenarios)
        for scenario in scenarios:
            try:
                result = bench.run(scenario)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                result = {"scenario": scenario.name, "ocpp": scenario.version, "error": str(error)}
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        bench.cleanup()
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results), flush=True)
    print(flush=True)
    print(targets_table(results), flush=True)
    note(f"server and generator logs: {logs}")


if __name__ == "__main__":
    main()
