"""A charger's reported settings and its Autocharge readiness, as fields of Charger."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from api.context import Info
from domain import model as dm
from domain.autocharge_switches import AutochargeReadiness, readiness
from domain.services.station_operations import as_reported

strawberry.enum(AutochargeReadiness)


@strawberry.type(name="ChargerSetting")
class ChargerSetting:
    key: str
    value: str | None
    readonly: bool
    reported_at: datetime

    @classmethod
    def from_entity(cls, setting: dm.ChargerSetting) -> ChargerSetting:
        return cls(key=setting.key, value=setting.value, readonly=setting.readonly, reported_at=setting.reported_at)


async def settings_of(info: Info, charger_id: UUID, search: str | None) -> list[ChargerSetting]:
    found = await info.context.loaders.settings_by_charger.load(charger_id)
    needle = (search or "").lower()
    return [ChargerSetting.from_entity(s) for s in found if needle in s.key.lower()]


async def readiness_of(info: Info, charger_id: UUID) -> tuple[AutochargeReadiness, str | None]:
    loaders = info.context.loaders
    settings = await loaders.settings_by_charger.load(charger_id)
    return readiness(as_reported(settings), await loaders.autocharge_token_seen.load(charger_id))
