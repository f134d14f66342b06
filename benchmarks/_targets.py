"""The issue's targets, checked against one scenario's figures, and the short table a person reads."""

from __future__ import annotations

from typing import Any

IDLE_TARGET_CHARGERS = 20_000
DAY_TARGET_CHARGERS = 10_000


def _get(figures: dict[str, Any] | None, *path: str) -> Any:
    value: Any = figures
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


# Issue 12's targets, in the order the summary prints them: (scenario, target). A scenario may run on both OCPP
# versions; a target whose scenario was not run is printed as such.
ISSUE_TARGETS: tuple[tuple[str, str], ...] = (
    ("authorize", "Authorize/s >= 0.5 x bare"),
    ("authorize-rate", "Authorize p99 < 5 ms at the rate"),
    ("authorize-rate", "rate achieved (>= 0.98 of it)"),
    ("full-session", "sessions/s >= 0.25 x bare"),
    ("full-session", "every frame logged"),
    ("full-session", "every transaction stored"),
    ("idle", f"{IDLE_TARGET_CHARGERS:,} idle chargers connected"),
    ("idle", "server RSS per idle charger <= 32 KiB"),
    ("idle", "slowest heartbeat <= 50 ms"),
    ("day", f"day of {DAY_TARGET_CHARGERS:,} chargers connected"),
    ("day", "day: p99 per frame < 20 ms"),
    ("ocpplogs", "frame-to-subscriber p99 < 20 ms"),
)
# Targets no run.py scenario measures, with where their figures come from.
ELSEWHERE = (("per-vehicle queries p95 < 20 ms", "not run by run.py: see python -m benchmarks.vehicle_queries"),)


def compare(result: dict[str, Any]) -> None:
    """Adds `ratio` and `targets` (each: wanted, measured, bare, ratio, met) to a scenario's result, in place."""
    name, bare, ours = result["scenario"], result.get("bare"), result.get("autocharge")
    ratio: dict[str, float | None] = {}
    targets: dict[str, dict[str, Any]] = {}
    if bare is not None:
        ratio["calls_per_s"] = _ratio(_get(ours, "calls_per_s"), _get(bare, "calls_per_s"))
        ratio["calls_per_server_cpu_s"] = _ratio(
            _get(ours, "server", "calls_per_cpu_s"), _get(bare, "server", "calls_per_cpu_s")
        )
        if name == "full-session":
            ratio["sessions_per_s"] = _ratio(_get(ours, "sessions_per_s"), _get(bare, "sessions_per_s"))
            ratio["sessions_per_server_cpu_s"] = _ratio(
                _get(ours, "server", "sessions_per_cpu_s"), _get(bare, "server", "sessions_per_cpu_s")
            )

    def figure(*path: str) -> tuple[Any, Any]:
        """This figure of autocharge and of the bare server."""
        return _get(ours, *path), _get(bare, *path)

    if name == "authorize":
        targets["Authorize/s >= 0.5 x bare"] = _at_least(*figure("calls_per_s"), 0.5)
    elif name == "authorize-rate":
        targets["Authorize p99 < 5 ms at the rate"] = _below(*figure("latency_ms", "p99"), 5.0)
        achieved = _ratio(_get(ours, "calls_per_s"), _get(ours, "rate_target"))
        bare_achieved = _ratio(_get(bare, "calls_per_s"), _get(bare, "rate_target"))
        targets["rate achieved (>= 0.98 of it)"] = _absolute_at_least(achieved, bare_achieved, 0.98)
    elif name == "full-session":
        targets["sessions/s >= 0.25 x bare"] = _at_least(*figure("sessions_per_s"), 0.25)
        checks = result.get("checks", {})
        targets["every frame logged"] = _equal(checks.get("frames_stored"), checks.get("frames_expected"))
        targets["every transaction stored"] = _equal(
            checks.get("transactions_stored"), checks.get("transactions_expected")
        )
    elif name == "idle":
        targets[f"{IDLE_TARGET_CHARGERS:,} idle chargers connected"] = _count(
            *figure("connected"), IDLE_TARGET_CHARGERS
        )
        targets["server RSS per idle charger <= 32 KiB"] = _below(*figure("server", "rss_per_charger_kib"), 32.0, True)
        targets["slowest heartbeat <= 50 ms"] = _below(*figure("latency_ms", "max"), 50.0, True)
    elif name == "day":
        targets[f"day of {DAY_TARGET_CHARGERS:,} chargers connected"] = _count(
            *figure("connected"), DAY_TARGET_CHARGERS
        )
        targets["day: p99 per frame < 20 ms"] = _below(*figure("latency_ms", "p99"), 20.0)
    elif name == "ocpplogs":
        targets["frame-to-subscriber p99 < 20 ms"] = _below(_get(ours, "latency_ms", "p99"), None, 20.0)
    result["ratio"] = ratio
    result["targets"] = targets


def _at_least(measured: float | None, bare: float | None, wanted: float) -> dict[str, Any]:
    """A ratio to the bare server of at least `wanted`."""
    ratio = _ratio(measured, bare)
    met = ratio is not None and ratio >= wanted
    return {"wanted": f">= {wanted} x bare", "measured": measured, "bare": bare, "ratio": ratio, "met": met}


def _absolute_at_least(measured: float | None, bare: float | None, wanted: float) -> dict[str, Any]:
    met = measured is not None and measured >= wanted
    return {"wanted": f">= {wanted}", "measured": measured, "bare": bare, "ratio": _ratio(measured, bare), "met": met}


def _below(measured: float | None, bare: float | None, wanted: float, inclusive: bool = False) -> dict[str, Any]:
    met = measured is not None and (measured <= wanted if inclusive else measured < wanted)
    return {
        "wanted": f"{'<=' if inclusive else '<'} {wanted}",
        "measured": measured,
        "bare": bare,
        "ratio": _ratio(measured, bare),
        "met": met,
    }


def _count(measured: int | None, bare: int | None, wanted: int) -> dict[str, Any]:
    met = measured is not None and measured >= wanted
    return {"wanted": f">= {wanted}", "measured": measured, "bare": bare, "ratio": _ratio(measured, bare), "met": met}


def _equal(measured: Any, wanted: Any) -> dict[str, Any]:
    met = measured is not None and measured == wanted
    return {"wanted": wanted, "measured": measured, "bare": None, "ratio": None, "met": met}


def targets_table(results: list[dict[str, Any]]) -> str:
    """Every issue-12 target: autocharge's figure beside the bare server's, their ratio, met / NOT MET / not run."""
    rows = [("target", "run", "bare", "autocharge", "ratio", "verdict")]
    for scenario, what in ISSUE_TARGETS:
        ran = [result for result in results if result["scenario"] == scenario]
        if not ran:
            rows.append((what, "-", "", "", "", "not run"))
        for result in ran:
            run = f"{scenario} {result['ocpp']}"
            if scenario in ("idle", "day") and _get(result, "autocharge", "chargers"):
                run += f", {_get(result, 'autocharge', 'chargers'):,} chargers"
            target = result.get("targets", {}).get(what)
            if target is None:
                rows.append((what, run, "", "", "", "error: " + str(result.get("error", "no figure"))[:60]))
                continue
            verdict = "met" if target["met"] else "NOT MET"
            rows.append((what, run, _text(target["bare"]), _text(target["measured"]), _text(target["ratio"]), verdict))
    for what, where in ELSEWHERE:
        rows.append((what, "-", "", "", "", where))
    return _columns(rows)


def table(results: list[dict[str, Any]]) -> str:
    rows = [("scenario", "figure", "bare", "autocharge", "ratio")]
    for result in results:
        label = f"{result['scenario']} {result['ocpp']}"
        bare, ours = result.get("bare"), result.get("autocharge")
        figures = [
            ("chargers connected", "connected"),
            ("calls/s", "calls_per_s"),
            ("sessions/s", "sessions_per_s"),
            ("p50 ms", "latency_ms.p50"),
            ("p99 ms", "latency_ms.p99"),
            ("max ms", "latency_ms.max"),
            ("server CPU %", "server.cpu_pct"),
            ("server waiting for CPU %", "server.runqueue_wait_pct"),
            ("RSS KiB/charger", "server.rss_per_charger_kib"),
        ]
        for title, path in figures:
            if title == "sessions/s" and result["scenario"] != "full-session":
                continue
            if title in ("RSS KiB/charger", "chargers connected") and result["scenario"] not in ("idle", "day"):
                continue
            a, b = _get(bare, *path.split(".")), _get(ours, *path.split("."))
            if a is None and b is None:
                continue
            ratio = _ratio(b, a) if title in ("calls/s", "sessions/s") else None
            rows.append((label, title, _text(a), _text(b), _text(ratio)))
            label = ""
    return _columns(rows)


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)
