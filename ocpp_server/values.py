"""Reading the values chargers send: timestamps and energy meter readings, in either version's shape."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from ocpp.exceptions import PropertyConstraintViolationError

logger = structlog.get_logger(__name__)

ENERGY = "Energy.Active.Import.Register"  # also the measurand when a sampled value names none
_TO_WH = {"Wh": 1.0, "kWh": 1000.0}


def parse_timestamp(value: str) -> datetime:
    """An OCPP dateTime; one without a zone is read as UTC, as the spec requires UTC anyway."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PropertyConstraintViolationError(details={"cause": f"{value!r} is not an ISO 8601 dateTime"}) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EnergyReading:
    wh: int
    timestamp: datetime


def latest_energy(meter_values: Iterable[Mapping[str, Any]] | None) -> EnergyReading | None:
    """The last Energy.Active.Import.Register reading among the snake_cased MeterValue objects of 1.6 or 2.0.1."""
    latest: EnergyReading | None = None
    for meter_value in meter_values or ():
        wh = _energy_wh(meter_value.get("sampled_value") or [])
        if wh is not None:
            at = parse_timestamp(meter_value["timestamp"])
            if latest is None or at >= latest.timestamp:
                latest = EnergyReading(wh, at)
    return latest


def _energy_wh(sampled_values: Iterable[Mapping[str, Any]]) -> int | None:
    total: float | None = None
    phased: list[float] = []
    for sample in sampled_values:
        if sample.get("measurand", ENERGY) != ENERGY:
            continue
        wh = _sample_wh(sample)
        if wh is None:
            continue
        if sample.get("phase"):
            phased.append(wh)
        else:
            total = wh
    if total is None and phased:  # only per-phase registers: their sum is the total
        total = sum(phased)
    return None if total is None else round(total)


def _sample_wh(sample: Mapping[str, Any]) -> float | None:
    # 1.6: value is a string and the unit a sibling; 2.0.1: a number with unit_of_measure {unit, multiplier}.
    unit_of_measure = sample.get("unit_of_measure") or {}
    unit = sample.get("unit") or unit_of_measure.get("unit") or "Wh"
    multiplier = unit_of_measure.get("multiplier", 0)
    try:
        value = float(sample["value"]) * 10 ** int(multiplier)
    except (KeyError, TypeError, ValueError):
        logger.warning("unreadable meter value", sample=dict(sample))
        return None
    if not math.isfinite(value):
        return None
    if unit not in _TO_WH:
        logger.warning("energy meter value in an unexpected unit", unit=unit)
        return None
    return float(value * _TO_WH[unit])
