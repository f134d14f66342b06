"""The one place where errors become GraphQL errors with an extensions.code.

Domain errors keep their message and code; GraphQL's own errors (syntax, validation, depth,
permissions) keep theirs; anything else is a bug: logged in full, answered with a generic message.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import StreamExecutionResult

from api.metrics import ApiMetrics
from domain.errors import DomainError

log = structlog.get_logger(__name__)

INTERNAL_MESSAGE = "internal server error; it has been logged"


def _coded(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code},
    )


def translate(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: never a stack trace, always a code."""
    original = error.original_error
    if isinstance(original, DomainError):
        return _coded(error, original.message, original.code)
    if original is None or isinstance(original, GraphQLError):
        # Parse, validation, variable coercion and depth errors have no code; permission errors carry one.
        code = (error.extensions or {}).get("code") or "VALIDATION"
        return _coded(error, error.message, str(code))
    log.error("graphql_unexpected_error", path=error.path, exc_info=original)
    return _coded(error, INTERNAL_MESSAGE, "INTERNAL")


def error_code(error: GraphQLError) -> str:
    return str((error.extensions or {}).get("code", "INTERNAL"))


class ErrorTranslation(SchemaExtension):
    """Translates every result's errors, streamed or not, and counts operations and errors."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        self._streamed = False

    def _metrics(self) -> ApiMetrics | None:
        return getattr(self.execution_context.context, "metrics", None)

    def _process(self, result: object) -> None:
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if not errors:
            return
        translated = [translate(error) for error in errors]
        result.errors = translated  # type: ignore[attr-defined]
        if (metrics := self._metrics()) is not None:
            for error in translated:
                metrics.graphql_errors.labels(error_code(error)).inc()

    def _operation_kind(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # no document (syntax error) or no such operation name: still counted
            return "invalid"

    def on_operation(self) -> Iterator[None]:
        yield
        if (metrics := self._metrics()) is not None:
            metrics.graphql_operations.labels(self._operation_kind()).inc()
        if not self._streamed:  # streamed results were translated one by one, as they left
            self._process(self.execution_context.result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self._streamed = True
        self._process(result)
        yield None
