"""Authorize's read-only path: a vehicle token's TokenFacts at a charger in one statement, outside a transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import bindparam, select

from domain.model import PairingSession, PairingStatus, Vehicle, VehicleIdentifier
from domain.queries import TokenFacts
from infra.db.engine import Database
from infra.db.errors import translate_errors
from infra.db.mapping import from_row
from infra.db.prepared import Prepared
from infra.db.repositories.transactions import in_use_elsewhere
from infra.db.tables import chargers, pairing_sessions, transactions, vehicle_identifiers, vehicles

T = TypeVar("T")

_waiting = pairing_sessions.alias("waiting")
_paired = vehicles.alias("paired")

_IDENTIFIER_COLUMNS = [(column.name, f"i_{column.name}") for column in vehicle_identifiers.c]
_VEHICLE_COLUMNS = [(column.name, f"v_{column.name}") for column in vehicles.c]
_SESSION_COLUMNS = [(column.name, f"s_{column.name}") for column in _waiting.c]
_PAIRED_COLUMNS = [(column.name, f"p_{column.name}") for column in _paired.c]

_in_use_on = (
    select(transactions.c.charger_id)
    .where(*in_use_elsewhere(transactions.c.tenant_id == chargers.c.tenant_id, bindparam("value"), chargers.c.id))
    .limit(1)
    .scalar_subquery()
    .label("in_use_on")
)

# The charger's row (none: not this tenant's charger) with the pairing session waiting on it (at most one) and
# that session's vehicle, once per identifier holding the value, with its vehicle.
_FACTS = Prepared(
    select(
        chargers.c.autocharge_supported,
        _in_use_on,
        *(vehicle_identifiers.c[name].label(label) for name, label in _IDENTIFIER_COLUMNS),
        *(vehicles.c[name].label(label) for name, label in _VEHICLE_COLUMNS),
        *(_waiting.c[name].label(label) for name, label in _SESSION_COLUMNS),
        *(_paired.c[name].label(label) for name, label in _PAIRED_COLUMNS),
    )
    .select_from(
        chargers.outerjoin(
            _waiting,
            (_waiting.c.tenant_id == chargers.c.tenant_id)
            & (_waiting.c.charger_id == chargers.c.id)
            & (_waiting.c.status == PairingStatus.WAITING_FOR_VEHICLE.value),
        )
        .outerjoin(_paired, (_paired.c.id == _waiting.c.vehicle_id) & (_paired.c.tenant_id == _waiting.c.tenant_id))
        .outerjoin(
            vehicle_identifiers,
            (vehicle_identifiers.c.tenant_id == chargers.c.tenant_id)
            & (vehicle_identifiers.c.value == bindparam("value")),
        )
        .outerjoin(
            vehicles,
            (vehicles.c.id == vehicle_identifiers.c.vehicle_id)
            & (vehicles.c.tenant_id == vehicle_identifiers.c.tenant_id),
        )
    )
    .where(chargers.c.tenant_id == bindparam("tenant_id"), chargers.c.id == bindparam("charger_id"))
    .order_by(vehicle_identifiers.c.id)
)


class SqlTokenFacts:
    """One SELECT outside any transaction: no BEGIN and no ROLLBACK around it, one round trip in all.

    A single statement reads one snapshot of the database, which is all a read-only decision needs. On
    PostgreSQL it runs on the driver's own pool with the statement compiled once: through the engine,
    SQLAlchemy's per-execution work cost more CPU than the statement itself, on every Authorize.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
        params = {"tenant_id": tenant_id, "charger_id": charger_id, "value": value}
        rows = await (self._via_engine(params) if self._database.is_sqlite else self._via_driver(params))
        if not rows:
            return None
        first = rows[0]
        known = tuple(
            (_part(VehicleIdentifier, row, _IDENTIFIER_COLUMNS), _vehicle(row, "v_id", _VEHICLE_COLUMNS))
            for row in rows
            if row["i_id"] is not None
        )
        in_use_on = first["in_use_on"]
        return TokenFacts(
            first["autocharge_supported"],
            in_use_on=None
            if in_use_on is None
            else UUID(str(in_use_on)),  # asyncpg's own UUID type, or the standard one
            known=known,
            pairing=None if first["s_id"] is None else _part(PairingSession, first, _SESSION_COLUMNS),
            pairing_vehicle=_vehicle(first, "p_id", _PAIRED_COLUMNS),
        )

    async def _via_engine(self, params: dict[str, Any]) -> Sequence[Mapping[Any, Any]]:
        with translate_errors():
            async with self._engine.connect() as connection:
                return list((await connection.execute(_FACTS.statement, params)).mappings())

    async def _via_driver(self, params: dict[str, Any]) -> Sequence[Mapping[Any, Any]]:
        sql, arguments = _FACTS.arguments(params)
        with translate_errors():
            pool = await self._database.driver_pool()
            async with pool.acquire() as connection:  # asyncpg prepares and caches the statement per connection
                rows: Sequence[Mapping[Any, Any]] = await connection.fetch(sql, *arguments)
                return rows


def _vehicle(row: Mapping[Any, Any], id_label: str, columns: list[tuple[str, str]]) -> Vehicle | None:
    return None if row[id_label] is None else _part(Vehicle, row, columns)


def _part(cls: type[T], row: Mapping[Any, Any], columns: list[tuple[str, str]]) -> T:
    return from_row(cls, {name: row[label] for name, label in columns})
