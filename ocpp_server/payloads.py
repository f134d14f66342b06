"""Payload keys and answers: the ocpp package's camelCase/snake_case rules, applied once per key, and orjson."""

from __future__ import annotations

import dataclasses
import decimal
import enum
from functools import lru_cache
from typing import Any

import orjson
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case

# Keys come from schemas (customData admits any): bounded, and the few hundred real ones always stay hot.
_KEYS = 4096


@lru_cache(maxsize=_KEYS)
def snake_key(key: str) -> str:
    """The package's camel_to_snake_case, for one key."""
    converted: dict[str, None] = camel_to_snake_case({key: None})
    return next(iter(converted))


@lru_cache(maxsize=_KEYS)
def camel_key(key: str) -> str:
    """The package's snake_to_camel_case, for one key."""
    converted: dict[str, None] = snake_to_camel_case({key: None})
    return next(iter(converted))


@lru_cache(maxsize=256)
def _field_names(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, camel_key(f.name)) for f in dataclasses.fields(cls))


def to_snake(data: Any) -> Any:
    """A charger's payload as handler arguments: every dict's keys in snake_case, values as they are."""
    if isinstance(data, dict):
        return {snake_key(k): to_snake(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_snake(v) for v in data]
    return data


_PLAIN = frozenset({str, int, float, bool})


def to_camel(data: Any) -> Any:
    """A handler's answer as a JSON payload: what snake_to_camel_case(remove_nones(serialize_as_dict(x)))
    makes, with enums as their values, built in one pass."""
    kind: type = type(data)
    if kind in _PLAIN:  # most values: checked first, by exact type (an enum member is not one of these)
        return data
    if hasattr(kind, "__dataclass_fields__"):
        out = {}
        for name, key in _field_names(kind):
            value = getattr(data, name)
            if value is not None:
                out[key] = to_camel(value)
        return out
    if isinstance(data, dict):
        return {camel_key(k): to_camel(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [to_camel(v) for v in data if v is not None]
    if isinstance(data, enum.Enum):
        return data.value
    return data


def _default(value: Any) -> Any:
    # As the package's encoder: a Decimal is written with one decimal place.
    if isinstance(value, decimal.Decimal):
        return float(f"{value:.1f}")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(frame: list[Any]) -> str:
    return orjson.dumps(frame, default=_default).decode()
