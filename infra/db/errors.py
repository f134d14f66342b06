"""The one place where database errors become domain errors: Conflict for broken rules, Unavailable for outages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.errors import Conflict, Unavailable
from infra.db.tables import metadata


@contextmanager
def translate_errors() -> Iterator[None]:
    """Wrap every statement and commit: the domain only ever sees its own errors."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(conflict_message(str(exc.orig or exc))) from exc
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable(f"database unavailable: {_first_line(exc.orig or exc)}") from exc
    except PoolTimeout as exc:  # every pooled connection stayed busy for the whole pool timeout
        raise Unavailable("database busy: no connection became free in time") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable(f"database unavailable: {_first_line(exc.orig or exc)}") from exc
        raise
    except (OSError, TimeoutError) as exc:
        # Raised by the drivers themselves while connecting (refused, unreachable, timed out).
        raise Unavailable(f"database unavailable: {_first_line(exc) or type(exc).__name__}") from exc
    except Exception as exc:
        # The prepared statements (prepared.py) run on asyncpg itself: its errors arrive untranslated.
        if _is_asyncpg_error(exc, "IntegrityConstraintViolationError"):
            raise Conflict(conflict_message(str(exc))) from exc
        if _is_asyncpg_error(exc, "PostgresConnectionError", "InterfaceError"):
            raise Unavailable(f"database unavailable: {_first_line(exc)}") from exc
        raise


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    sqlite_signature: str  # how SQLite names it: "UNIQUE constraint failed: vehicles.tenant_id, vehicles.license_plate"
    message: str


@cache
def _rules() -> tuple[_Rule, ...]:
    """Every uniqueness rule declared in tables.py with an `info["conflict"]` message."""
    rules = []
    for table in metadata.tables.values():
        declared: list[Index | UniqueConstraint] = [*table.indexes]
        declared += [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        for rule in declared:
            if "conflict" in rule.info and isinstance(rule.name, str):
                columns = ", ".join(f"{table.name}.{column.name}" for column in rule.columns)
                rules.append(_Rule(rule.name, f"UNIQUE constraint failed: {columns}", rule.info["conflict"]))
    return tuple(rules)


def conflict_message(text: str) -> str:
    """Name the broken rule (the driver's error message) in words a person can act on."""
    for rule in _rules():
        if f'"{rule.name}"' in text or (text.startswith(rule.sqlite_signature) and _ends_there(text, rule)):
            return rule.message
    if "FOREIGN KEY" in text or "foreign key" in text:
        return f"the change refers to something that does not exist ({_first_line(text)})"
    if match := re.search(r'UNIQUE constraint failed: (\w+)\.id$|"pk_(\w+)"', text):
        return f"a {match.group(1) or match.group(2)} row with this id already exists"
    return f"the change breaks a database rule: {_first_line(text)}"


def _ends_there(text: str, rule: _Rule) -> bool:
    # "…: t.a" must not match a rule on "…: t.a, t.b".
    rest = text[len(rule.sqlite_signature) :]
    return not rest or (not rest[0].isalnum() and rest[0] not in ",._")


def _first_line(exc: BaseException | str) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _is_asyncpg_error(exc: Exception, *names: str) -> bool:
    # Checked by name so this module does not import the driver (asyncpg ships no type stubs either).
    return any(cls.__module__.startswith("asyncpg") and cls.__name__ in names for cls in type(exc).__mro__)
