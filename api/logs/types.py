from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.pagination import PageInfo, page_info
from domain import model as dm
from domain.pagination import Page


@strawberry.type(name="OcppLogEntry")
class OcppLogEntry:
    """One OCPP-J frame as it crossed the wire."""

    id: strawberry.ID
    charger_id: strawberry.ID
    charge_point_id: str
    timestamp: datetime
    direction: dm.LogDirection
    message_type: dm.OcppMessageType
    unique_id: str
    action: str | None = strawberry.field(description="also on CALL_RESULT / CALL_ERROR, from the CALL it answers")
    payload: JSON

    @classmethod
    def from_entity(cls, entry: dm.OcppLogEntry) -> OcppLogEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            charger_id=strawberry.ID(str(entry.charger_id)),
            charge_point_id=entry.charge_point_id,
            timestamp=entry.timestamp,
            direction=entry.direction,
            message_type=entry.message_type,
            unique_id=entry.unique_id,
            action=entry.action,
            payload=entry.payload,
        )


@strawberry.type
class OcppLogEdge:
    cursor: str
    node: OcppLogEntry


@strawberry.type
class OcppLogConnection:
    edges: list[OcppLogEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[dm.OcppLogEntry]) -> OcppLogConnection:
        edges = [
            OcppLogEdge(cursor=c, node=OcppLogEntry.from_entity(e))
            for e, c in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page))
