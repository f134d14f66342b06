"""OcppDeadLetter and its connection: the frames the log could not store, as the API shows them, newest first."""

from __future__ import annotations

from datetime import datetime

import strawberry

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.pagination import PageInfo, page_info, total
from domain import model as dm
from domain.model.dead_letters import OcppDeadLetter as OcppDeadLetterEntity
from domain.pagination import Page


@strawberry.type(
    name="OcppDeadLetter",
    description="An OCPP frame the database refused even on its own, set aside instead of the log",
)
class OcppDeadLetter:
    id: strawberry.ID = strawberry.field(description="the id the log entry would have had")
    charger_id: strawberry.ID = strawberry.field(description="may name a charger deleted since")
    charge_point_id: str
    timestamp: datetime = strawberry.field(description="when the frame crossed the wire")
    failed_at: datetime = strawberry.field(description="when it was set aside")
    direction: dm.LogDirection
    message_type: dm.OcppMessageType
    raw: str = strawberry.field(
        description="the frame's uniqueId, action, payload and chargePointId as ASCII-only JSON, NUL and all"
    )
    error: str = strawberry.field(description="why the database refused it, in one line")

    @classmethod
    def from_entity(cls, letter: OcppDeadLetterEntity) -> OcppDeadLetter:
        return cls(
            id=strawberry.ID(str(letter.id)),
            charger_id=strawberry.ID(str(letter.charger_id)),
            charge_point_id=letter.charge_point_id,
            timestamp=letter.timestamp,
            failed_at=letter.failed_at,
            direction=letter.direction,
            message_type=letter.message_type,
            raw=letter.raw,
            error=letter.error,
        )


@strawberry.type(name="OcppDeadLetterEdge")
class OcppDeadLetterEdge:
    cursor: str
    node: OcppDeadLetter


@strawberry.type(name="OcppDeadLetterConnection")
class OcppDeadLetterConnection:
    edges: list[OcppDeadLetterEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[OcppDeadLetterEntity]) -> OcppDeadLetterConnection:
        edges = [
            OcppDeadLetterEdge(cursor=cursor, node=OcppDeadLetter.from_entity(letter))
            for letter, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))
