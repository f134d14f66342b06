"""The audit trail: one entry per change asked for, written with the change itself when it commits.

An adapter (the GraphQL schema, the CLI) opens an AuditRecord around each mutation with `auditing`; the unit
of work that commits the change picks the record up (`pending`) and writes it in the same transaction. When
nothing committed it (the mutation failed, or changed nothing in the database) the adapter writes it at the
end, in a transaction of its own (`finish`), with the outcome: "OK" or the error's code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.ids import Clock, new_id
from domain.model.audit import AuditEntry
from domain.ports import AuditTrail

OK = "OK"
MASK = "***"
# Argument names whose values are credentials, at any depth: passwords, secrets, tokens, keys, certificates.
_SECRET = re.compile(r"pass(word|phrase)|secret|token|api_?key|authori[sz]ation|credential|private|cert", re.I)


def masked(value: Any) -> Any:
    """`value` with the value of every secret-looking key (in nested objects and lists too) replaced by MASK."""
    if isinstance(value, dict):
        return {key: MASK if _SECRET.search(str(key)) else masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


@dataclass(kw_only=True)
class AuditRecord:
    """The entry of one operation in the making; `tenant_id` None until known (a CLI command naming a slug)."""

    operation: str
    arguments: dict[str, Any]
    api_key_id: UUID | None
    tenant_id: UUID | None
    written: bool = False

    def entry(self, at: datetime, outcome: str) -> AuditEntry:
        assert self.tenant_id is not None
        return AuditEntry(
            id=new_id(),
            tenant_id=self.tenant_id,
            at=at,
            api_key_id=self.api_key_id,
            operation=self.operation,
            arguments=masked(self.arguments),
            outcome=outcome,
        )


_current: ContextVar[AuditRecord | None] = ContextVar("audit_record", default=None)


@contextmanager
def auditing(record: AuditRecord) -> Iterator[AuditRecord]:
    """The record is the current one (for `pending`) inside the block, in this task and those it starts."""
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def pending(tenant_id: UUID) -> AuditRecord | None:
    """The current record, when it is still to be written and belongs to `tenant_id` (a committing change's)."""
    record = _current.get()
    if record is None or record.written or record.tenant_id not in (None, tenant_id):
        return None
    record.tenant_id = tenant_id
    return record


async def finish(record: AuditRecord, trail: AuditTrail, clock: Clock, outcome: str) -> None:
    """Written on its own, unless a commit wrote it already or no tenant is known (nothing to file it under).

    Whatever happens, the operation is over: a task it started that commits later does not write its entry.
    """
    if record.written or record.tenant_id is None:
        record.written = True
        return
    try:
        await trail.add(record.entry(clock(), outcome))
    finally:
        record.written = True
