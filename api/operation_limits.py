"""The schema extension that refuses, before execution, what the cached validation cannot know about.

Depth and aliases are plain validation rules (cached with the document). What depends on the request is here:
introspection needs a valid key, the cost depends on the variables, and operations sent over a websocket
(each subscribe message) count against their key's rate limit (HTTP requests are counted by the view).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationRule,
    get_named_type,
    is_introspection_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.auth import bearer_key, key_from_params
from api.context import Context
from api.limits import LimitMetrics, RateLimiter, limit_error
from api.query_cost import operation_cost
from domain.errors import DomainError

INTROSPECTION_MESSAGE = "introspection needs a valid API key: send 'Authorization: Bearer <key>'"


class IntrospectionNeedsKey(ValidationRule):
    """Refuses `__schema` and `__type` (anywhere, fragments included) with UNAUTHENTICATED; `__typename` is fine.

    graphql-core's NoSchemaIntrospectionCustomRule, but reported once and with our code.
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._reported = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        field_type = self.context.get_type()
        if self._reported or field_type is None or not is_introspection_type(get_named_type(field_type)):
            return
        self._reported = True
        self.report_error(GraphQLError(INTROSPECTION_MESSAGE, node, extensions={"code": "UNAUTHENTICATED"}))


def authenticated(context: object) -> bool:
    """Whether the request (or websocket) came with a valid key."""
    if not isinstance(context, Context):
        return False
    try:
        context.principal  # noqa: B018  (raises the domain's Unauthenticated when the key was missing or bad)
    except DomainError:
        return False
    return True


class OperationLimits(SchemaExtension):
    """Per request: introspection only with a key, the cost limit, and the rate limit of websocket operations.

    The cost and the rate are checked when execution is about to start: after validation (so the cost is only
    worked out for valid documents, and validation results stay cached by document alone), before any resolver.
    """

    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        max_cost: int,
        rate_limiter: RateLimiter | None,
        metrics: LimitMetrics | None,
    ) -> None:
        self._schema = schema
        self._max_cost = max_cost
        self._rate_limiter = rate_limiter
        self._metrics = metrics

    def on_operation(self) -> Iterator[None]:
        if not authenticated(self.execution_context.context):
            # A rule class made once (at import), so the validation cache keeps one entry per document for
            # anonymous callers and one for the others.
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, IntrospectionNeedsKey)
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        """The document is valid by now; nothing has run yet. A refusal takes the place of the result."""
        context = self.execution_context
        refusal = await self._rate_limited(context.context) or self._too_costly()
        if refusal is not None:
            if context.operation_type is OperationType.SUBSCRIPTION:
                # strawberry subscribes without looking at a result set here; it answers what is raised here.
                raise refusal
            context.result = ExecutionResult(data=None, errors=[refusal])  # strawberry then executes nothing
        yield

    async def _rate_limited(self, context: object) -> GraphQLError | None:
        """A websocket's operations count against its key, like HTTP requests (counted by the view)."""
        if self._rate_limiter is None or not isinstance(context, Context) or not context.websocket:
            return None
        key = key_from_params(context.connection_params) or bearer_key(context.connection.headers.get("authorization"))
        if key is None or (retry_after := await self._rate_limiter.hit(key)) is None:
            return None
        self._refused("rate")
        return limit_error("rate", self._rate_limiter.message(retry_after), code="RATE_LIMITED")

    def _too_costly(self) -> GraphQLError | None:
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return None
        try:
            operation = context.operation_name
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            chosen = next(o for o in operations if operation is None or (o.name and o.name.value == operation))
        except StopIteration:  # no such operation: strawberry answers that
            return None
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        cost = operation_cost(self._schema, chosen, fragments, context.variables)
        if cost <= self._max_cost:
            return None
        self._refused("cost")
        return limit_error(
            "cost",
            f"query cost {cost} exceeds the maximum of {self._max_cost} (each field counts once per item "
            "it can appear in; first/last multiply what is below them: ask for fewer items or fields)",
        )

    def _refused(self, limit: str) -> None:
        if self._metrics is not None:
            self._metrics.refused.labels(limit).inc()
