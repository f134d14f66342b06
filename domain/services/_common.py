from __future__ import annotations

import dataclasses
from typing import TypeVar

from domain.errors import NotFound

T = TypeVar("T")


def found(entity: T | None, what: str, ident: object) -> T:
    """The entity, or NotFound: an id of another tenant reads exactly like an unknown one."""
    if entity is None:
        raise NotFound(f"{what} {ident} not found")
    return entity


def snapshot(entity: T) -> T:
    """A copy for an event, so later changes to the entity do not leak into what was published."""
    return dataclasses.replace(entity)  # type: ignore[type-var]
