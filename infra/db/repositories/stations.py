"""What a charger reported of its configuration, and what goes onto its local authorisation list."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, select, union, update

from domain.charger_commands import LocalListEntry
from domain.model import ChargerSetting, IdentifierStatus, TransactionOrigin
from infra.db.mapping import to_values
from infra.db.repositories._base import SqlRepository
from infra.db.tables import (
    charger_local_list_entries,
    charger_settings,
    chargers,
    rfid_tags,
    transactions,
    unrecognised_identifiers,
    vehicle_identifiers,
)


class SqlChargerSettingRepository(SqlRepository):
    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[ChargerSetting]:
        if not charger_ids:
            return []
        t = charger_settings
        query = self._select(t).where(t.c.charger_id.in_(set(charger_ids))).order_by(t.c.charger_id, t.c.key)
        return await self._all(ChargerSetting, query)

    async def replace(self, charger_id: UUID, settings: Sequence[ChargerSetting]) -> None:
        t = charger_settings
        await self._execute(delete(t).where(t.c.tenant_id == self._tenant_id, t.c.charger_id == charger_id))
        for setting in settings:
            self._check_owner(setting)
        if settings:
            await self._execute(t.insert(), [to_values(s) for s in settings])

    async def put(self, setting: ChargerSetting) -> None:
        self._check_owner(setting)
        insert = self._upsert(charger_settings).values(to_values(setting))
        await self._execute(
            insert.on_conflict_do_update(
                index_elements=[charger_settings.c.charger_id, charger_settings.c.key],
                set_={
                    "value": insert.excluded.value,
                    "readonly": insert.excluded.readonly,
                    "reported_at": insert.excluded.reported_at,
                },
                where=charger_settings.c.tenant_id == self._tenant_id,
            )
        )

    async def autocharge_tokens_seen(self, charger_ids: Sequence[UUID]) -> set[UUID]:
        if not charger_ids:
            return set()
        wanted = set(charger_ids)
        u, tx, vi = unrecognised_identifiers, transactions, vehicle_identifiers
        seen = union(
            select(u.c.charger_id).where(u.c.tenant_id == self._tenant_id, u.c.charger_id.in_(wanted)),
            select(tx.c.charger_id).where(
                tx.c.tenant_id == self._tenant_id,
                tx.c.charger_id.in_(wanted),
                tx.c.origin == TransactionOrigin.AUTOCHARGE.value,
            ),
            select(vi.c.captured_on_charger_id).where(
                vi.c.tenant_id == self._tenant_id, vi.c.captured_on_charger_id.in_(wanted)
            ),
        )
        return {row[0] for row in await self._execute(seen)}


class SqlLocalListRepository(SqlRepository):
    async def entries(self) -> list[LocalListEntry]:
        vi = vehicle_identifiers
        vehicles = select(vi.c.value).where(
            vi.c.tenant_id == self._tenant_id, vi.c.status == IdentifierStatus.ACTIVE.value
        )
        tags = select(rfid_tags.c.id_tag).where(rfid_tags.c.tenant_id == self._tenant_id)
        found = [LocalListEntry(row[0], True) for row in await self._execute(vehicles.order_by(vi.c.value))]
        found += [LocalListEntry(row[0], False) for row in await self._execute(tags.order_by(rfid_tags.c.id_tag))]
        return found

    async def accepted(self, charger_id: UUID) -> list[LocalListEntry]:
        t = charger_local_list_entries
        query = select(t.c.id_tag, t.c.vehicle).where(t.c.tenant_id == self._tenant_id, t.c.charger_id == charger_id)
        rows = (await self._execute(query.order_by(t.c.id_tag))).mappings()
        return [LocalListEntry(row["id_tag"], row["vehicle"]) for row in rows]

    async def record_accepted(self, charger_id: UUID, version: int, entries: Sequence[LocalListEntry]) -> None:
        c = chargers
        await self._execute(
            update(c).where(c.c.tenant_id == self._tenant_id, c.c.id == charger_id).values(local_list_version=version)
        )
        t = charger_local_list_entries
        await self._execute(delete(t).where(t.c.tenant_id == self._tenant_id, t.c.charger_id == charger_id))
        if entries:
            rows = [
                {"tenant_id": self._tenant_id, "charger_id": charger_id, "id_tag": e.id_tag, "vehicle": e.vehicle}
                for e in entries
            ]
            await self._execute(t.insert(), rows)
