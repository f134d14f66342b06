"""Domain events to bytes and back, for buses that cross a process boundary.

The wire format is a JSON envelope, ``{"type": "<event class name>", "event": {...}}``, the event
serialised by pydantic's TypeAdapter over the domain's own dataclasses: UUIDs, tz-aware datetimes
and StrEnums come back as the same types, and the domain needs no serialisation code of its own.
Datetimes come back equal and with the same UTC offset; their tzinfo is pydantic's TzInfo.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final, get_args, get_type_hints

import orjson
from pydantic import TypeAdapter, ValidationError

from domain.events import DomainEvent

_EVENT_TYPES: Final[tuple[type[Any], ...]] = get_args(DomainEvent)


def _entity_fields(event_type: type[Any]) -> dict[str, set[str]]:
    """Exclusion of each snapshot's `events` list: published snapshots carry none, and any left would not survive."""
    hints = get_type_hints(event_type)
    return {
        field.name: {"events"}
        for field in dataclasses.fields(event_type)
        if dataclasses.is_dataclass(hints[field.name])
        and any(f.name == "events" for f in dataclasses.fields(hints[field.name]))
    }


_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {t.__name__: TypeAdapter(t) for t in _EVENT_TYPES}
_EXCLUDE: Final[dict[str, dict[str, set[str]]]] = {t.__name__: _entity_fields(t) for t in _EVENT_TYPES}


def encode(event: DomainEvent) -> bytes:
    name = type(event).__name__
    body = _ADAPTERS[name].dump_json(event, exclude=_EXCLUDE[name] or None)
    # A Fragment embeds pydantic's JSON as is: no second serialisation of the event.
    return orjson.dumps({"type": name, "event": orjson.Fragment(body)})


def decode(data: bytes | str) -> DomainEvent:
    """The event encoded in `data`; ValueError when it is not one this codec wrote."""
    try:
        envelope = orjson.loads(data)
        name, body = envelope["type"], envelope["event"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"not an event envelope: {exc}") from exc
    adapter = _ADAPTERS.get(name) if isinstance(name, str) else None
    if adapter is None:
        raise ValueError(f"unknown event type {name!r}")
    try:
        event: DomainEvent = adapter.validate_python(body)
    except ValidationError as exc:
        raise ValueError(f"malformed {name}: {exc}") from exc
    return event
