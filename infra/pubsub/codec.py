"""Domain events to bytes and back, for buses that cross a process boundary.

The wire format is a JSON envelope, ``{"type": "<event class name>", "event": {...}}``, the event
serialised by pydantic's TypeAdapter over the domain's own dataclasses: UUIDs, tz-aware datetimes
and StrEnums come back as the same types, and the domain needs no serialisation code of its own.
Datetimes come back equal and with the same UTC offset; their tzinfo is pydantic's TzInfo.
"""

from __future__ import annotations

from typing import Any, Final, get_args

import orjson
from pydantic import TypeAdapter, ValidationError

from domain.events import DomainEvent

_EVENT_TYPES: Final[tuple[type[Any], ...]] = get_args(DomainEvent)


_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {t.__name__: TypeAdapter(t) for t in _EVENT_TYPES}


def encode(event: DomainEvent) -> bytes:
    name = type(event).__name__
    body = _ADAPTERS[name].dump_json(event)
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
