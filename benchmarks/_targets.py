"""The issue's targets, checked against one scenario's figures, and the short table a person reads."""

from __future__ import annotations

from typing import Any


def _get(figures: dict[str, Any] | None, *path: str) -> Any:
    value: Any = figures
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def compare(result: dict[str, Any]) -> None:
    """Adds `ratio` and `targets` (each: wanted, measured, met) to a scenario's result, in place."""
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
    if name == "authorize":
        targets["authorize_per_s >= 0.5 x bare"] = _at_least(ratio.get("calls_per_s"), 0.5)
    elif name == "authorize-rate":
        targets["p99 < 5 ms at the rate"] = _below(_get(ours, "latency_ms", "p99"), 5.0)
        achieved = _ratio(_get(ours, "calls_per_s"), _get(ours, "rate_target"))
        targets["rate achieved (>= 0.98)"] = _at_least(achieved, 0.98)
    elif name == "full-session":
        targets["sessions_per_s >= 0.25 x bare"] = _at_least(ratio.get("sessions_per_s"), 0.25)
        checks = result.get("checks", {})
        targets["every frame logged"] = _equal(checks.get("frames_stored"), checks.get("frames_expected"))
        targets["every transaction stored"] = _equal(
            checks.get("transactions_stored"), checks.get("transactions_expected")
        )
    elif name == "idle":
        targets["chargers connected"] = _equal(_get(ours, "connected"), result.get("requested_chargers"))
        targets["server RSS per charger <= 32 KiB"] = _below(_get(ours, "server", "rss_per_charger_kib"), 32.0, True)
        targets["slowest heartbeat <= 50 ms"] = _below(_get(ours, "latency_ms", "max"), 50.0, True)
    elif name == "ocpplogs":
        targets["frame-to-subscriber p99 < 20 ms"] = _below(_get(ours, "latency_ms", "p99"), 20.0)
    result["ratio"] = ratio
    result["targets"] = targets


def _at_least(measured: float | None, wanted: float) -> dict[str, Any]:
    return {"wanted": f">= {wanted}", "measured": measured, "met": measured is not None and measured >= wanted}


def _below(measured: float | None, wanted: float, inclusive: bool = False) -> dict[str, Any]:
    met = measured is not None and (measured <= wanted if inclusive else measured < wanted)
    return {"wanted": f"{'<=' if inclusive else '<'} {wanted}", "measured": measured, "met": met}


def _equal(measured: Any, wanted: Any) -> dict[str, Any]:
    return {"wanted": wanted, "measured": measured, "met": measured is not None and measured == wanted}


def table(results: list[dict[str, Any]]) -> str:
    rows = [("scenario", "figure", "bare", "autocharge", "ratio")]
    for result in results:
        label = f"{result['scenario']} {result['ocpp']}"
        bare, ours = result.get("bare"), result.get("autocharge")
        figures = [
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
            if title == "RSS KiB/charger" and result["scenario"] != "idle":
                continue
            a, b = _get(bare, *path.split(".")), _get(ours, *path.split("."))
            if a is None and b is None:
                continue
            ratio = _ratio(b, a) if title in ("calls/s", "sessions/s") else None
            rows.append((label, title, _text(a), _text(b), _text(ratio)))
            label = ""
        for what, target in result.get("targets", {}).items():
            verdict = "MET" if target["met"] else "NOT MET"
            rows.append(("", f"target: {what}", "", _text(target["measured"]), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)
