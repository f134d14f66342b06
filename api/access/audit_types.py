"""AuditEntry and its connection: the audit log as the API shows it, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.access.types import ApiKey
from api.pagination import PageInfo, page_info, total
from domain.model import ApiKey as ApiKeyEntity
from domain.model.audit import AuditEntry as AuditEntryEntity
from domain.pagination import Page


@strawberry.type(name="AuditEntry", description="One entry per mutation, GraphQL or CLI: who, with what, how it ended.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    api_key: ApiKey | None = strawberry.field(description="null when the change came from the CLI")
    operation: str = strawberry.field(
        description='the mutation\'s field name, e.g. "retireVehicle", or the CLI command'
    )
    arguments: JSON = strawberry.field(description='its arguments, with secrets and passwords replaced by "***"')
    outcome: str = strawberry.field(description='"OK", or the error code, e.g. "CONFLICT"')

    @classmethod
    def from_entity(cls, entry: AuditEntryEntity, keys: dict[UUID, ApiKeyEntity]) -> AuditEntry:
        key = None if entry.api_key_id is None else keys.get(entry.api_key_id)
        arguments: Any = entry.arguments  # JSON, as stored
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            api_key=None if key is None else ApiKey.from_entity(key),
            operation=entry.operation,
            arguments=arguments,
            outcome=entry.outcome,
        )


@strawberry.type(name="AuditEntryEdge")
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(name="AuditEntryConnection")
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[AuditEntryEntity], keys: dict[UUID, ApiKeyEntity]) -> AuditEntryConnection:
        edges = [
            AuditEntryEdge(cursor=cursor, node=AuditEntry.from_entity(entry, keys))
            for entry, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))
