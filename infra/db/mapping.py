"""Between domain dataclasses and table rows, by field name: enums go in as their string value and come back typed."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

# Per dataclass: its fields' names (looked up once: dataclasses.fields() costs more than the copy itself) ...
_names: dict[type[Any], tuple[str, ...]] = {}
# ... and its stored fields, each with the enum to rebuild it as (None for anything else).
_layouts: dict[type[Any], tuple[tuple[str, type[enum.Enum] | None], ...]] = {}


def to_values(entity: object) -> dict[str, Any]:
    """The row of an entity: one value per stored dataclass field."""
    names = _names.get(type(entity))
    if names is None:
        assert is_dataclass(entity), f"{entity!r} is not a dataclass"
        names = _names[type(entity)] = tuple(f.name for f in fields(entity))
    values = {name: getattr(entity, name) for name in names}
    for name, value in values.items():
        if isinstance(value, enum.Enum):
            values[name] = value.value
    return values


def from_row(cls: type[T], row: Mapping[Any, Any]) -> T:
    """Build a dataclass from a row mapping (e.g. `result.mappings()`), turning strings back into enums."""
    kwargs: dict[str, Any] = {}
    for name, enum_type in _layout(cls):
        value = row[name]
        kwargs[name] = enum_type(value) if enum_type is not None and value is not None else value
    return cls(**kwargs)


def _layout(cls: type[Any]) -> tuple[tuple[str, type[enum.Enum] | None], ...]:
    layout = _layouts.get(cls)
    if layout is None:
        hints = get_type_hints(cls)
        stored = [f.name for f in fields(cls) if f.init]
        layout = _layouts[cls] = tuple((name, _enum_in(hints[name])) for name in stored)
    return layout


def _enum_in(hint: Any) -> type[enum.Enum] | None:
    """The enum of a field typed `SomeEnum` or `SomeEnum | None`."""
    candidates = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None
