"""Every mutation is audited: a field extension added to each field of the Mutation type, whoever wrote it.

The extension opens an AuditRecord around the resolver (operation: the field's name; arguments: as the client
sent them, variables filled in); the unit of work that commits the change writes the entry in its transaction.
A mutation that fails, or commits nothing, gets its entry here, in a transaction of its own, with the outcome.
Calls without a valid key are not audited: there is no tenant to file them under.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types import get_object_definition
from strawberry.types.nodes import SelectedField

from api.context import Info
from domain.errors import DomainError
from domain.services import audit

log = structlog.get_logger(__name__)


def outcome_of(error: BaseException) -> str:
    """The code the client is answered with (see api.errors.translate)."""
    if isinstance(error, DomainError):
        return error.code
    if isinstance(error, GraphQLError):  # a permission class's refusal carries its code
        return str((error.extensions or {}).get("code") or "VALIDATION")
    return "INTERNAL"


def _arguments(info: Info) -> dict[str, Any]:
    selected = info.selected_fields
    arguments = selected[0].arguments if selected and isinstance(selected[0], SelectedField) else {}
    # JSON as stored: whatever a literal became (an enum, a number) is kept as JSON would show it.
    plain: dict[str, Any] = orjson.loads(orjson.dumps(arguments, default=str))
    return plain


class Audited(FieldExtension):
    """The audit entry of one mutation (see the module's docstring)."""

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        ctx = info.context
        trail = ctx.deps.audit
        if trail is None or ctx.auth_error is not None:
            return await next_(source, info, **kwargs)
        principal = ctx.principal
        record = audit.AuditRecord(
            operation=info.field_name,
            arguments=_arguments(info),
            api_key_id=principal.key_id,
            tenant_id=principal.tenant_id,
        )
        with audit.auditing(record):
            try:
                result = await next_(source, info, **kwargs)
            except Exception as error:
                await self._finish(record, info, outcome_of(error))
                raise
            await self._finish(record, info, audit.OK)
        return result

    async def _finish(self, record: audit.AuditRecord, info: Info, outcome: str) -> None:
        trail = info.context.deps.audit
        assert trail is not None
        try:
            await audit.finish(record, trail, info.context.deps.clock, outcome)
        except Exception:  # the answer stands (and a failure keeps its own error): the entry alone is lost
            log.exception("audit_entry_not_written", operation=record.operation, outcome=outcome)


def audit_every_field(mutation_type: type) -> type:
    """Adds Audited to each field of `mutation_type` (once), outermost, so refusals by permission are audited."""
    for field in get_object_definition(mutation_type, strict=True).fields:
        if not any(isinstance(extension, Audited) for extension in field.extensions):
            field.extensions.append(Audited())  # the last extension wraps all the others
    return mutation_type
