"""The schema: every feature's queries, mutations and subscriptions merged at the root.

`schema` needs nothing at import time; the database, bus and keys arrive per request in the context.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, build_schema, parse
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.access.audit import audit_every_field
from api.access.mutations import AccessMutations
from api.access.queries import AccessQueries
from api.chargers.mutations import ChargerMutations
from api.chargers.operations import OperationMutations
from api.chargers.queries import ChargerQueries
from api.chargers.security import ChargerSecurityMutations
from api.chargers.subscriptions import ChargerSubscriptions
from api.context import Context
from api.errors import ErrorTranslation
from api.limits import LimitMetrics, QueryLimits, RateLimiter, limit_error
from api.logs.queries import LogQueries
from api.logs.subscriptions import LogSubscriptions
from api.operation_limits import OperationLimits
from api.pairing.mutations import PairingMutations
from api.pairing.queries import PairingQueries
from api.pairing.subscriptions import PairingSubscriptions
from api.transactions.mutations import TransactionMutations
from api.transactions.queries import TransactionQueries
from api.transactions.subscriptions import TransactionSubscriptions
from api.users.mutations import UserMutations
from api.users.queries import UserQueries
from api.vehicles.mutations import VehicleMutations
from api.vehicles.queries import VehicleQueries

# Distinct documents remembered parsed and validated: clients send a handful of fixed queries, and the bound
# keeps a caller sending endless variants from growing memory.
DOCUMENT_CACHE_SIZE = 256

Query = merge_types(
    "Query",
    (UserQueries, VehicleQueries, ChargerQueries, TransactionQueries, LogQueries, PairingQueries, AccessQueries),
)
# Each mutation, those added later included, writes an entry in the audit log (api.access.audit).
Mutation = audit_every_field(
    merge_types(
        "Mutation",
        (
            UserMutations,
            VehicleMutations,
            ChargerMutations,
            ChargerSecurityMutations,
            OperationMutations,
            PairingMutations,
            TransactionMutations,
            AccessMutations,
        ),
    )
)
Subscription = merge_types(
    "Subscription", (LogSubscriptions, PairingSubscriptions, TransactionSubscriptions, ChargerSubscriptions)
)


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def _stand_in(operation_name: str | None) -> DocumentNode:
    """What strawberry is given in place of a document too large to parse: it then has a document, so it parses
    nothing, and the errors already set stop the operation before validation. It holds the operation the
    client named, so that strawberry finds it (an invalid name is answered as unknown, as it would be anyway).
    """
    if operation_name is not None and _NAME.fullmatch(operation_name):
        return parse(f"query {operation_name} {{ __typename }}")
    return parse("{ __typename }")


class _ParserCache(ParserCache):
    """strawberry's ParserCache, but a document that does not parse is left to strawberry's own parse, and a
    document larger than `max_bytes` is refused (VALIDATION) before any parsing.

    Raised from the extension, a syntax error would escape strawberry's handling of parse errors and reach
    the client without its extensions.code.
    """

    def __init__(self, maxsize: int, max_bytes: int, metrics: LimitMetrics | None) -> None:
        super().__init__(maxsize=maxsize)
        self.max_bytes = max_bytes
        self.metrics = metrics

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        size = len(context.query.encode()) if context.query else 0
        if size > self.max_bytes:
            if self.metrics is not None:
                self.metrics.refused.labels("document_bytes").inc()
            message = f"document size {size} bytes exceeds the maximum of {self.max_bytes} bytes"
            context.pre_execution_errors = [limit_error("document_bytes", message)]
            context.graphql_document = _stand_in(context.operation_name)
            yield
            return
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except Exception:  # parsed again, and reported the usual way, by strawberry
            context.graphql_document = None
        yield


class _ValidationMemo(SchemaExtension):
    """Validation results remembered by document text (and rules): strawberry validates each distinct document once.

    strawberry's ValidationCache keys its cache by the parsed document, and graphql-core does not cache a
    node's hash: every request walked the whole tree to find its entry (10 ms for issue 10's 30 KB query, on
    the event loop that also answers chargers). Keyed by the text, a hit costs hashing one string. On a miss,
    strawberry validates (its own _run_validation) and the result is kept when the hook resumes.
    """

    def __init__(self, memo: _Memo) -> None:
        self.memo = memo

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors or context.query is None:  # refused before validation (too large)
            yield
            return
        key = (context.query, context.validation_rules)
        known = self.memo.get(key)
        if known is not None:
            context.pre_execution_errors = list(known)
        yield
        if known is None and context.pre_execution_errors is not None:
            self.memo.put(key, tuple(context.pre_execution_errors))


class _Memo:
    """A bounded mapping that forgets the least recently used entry first."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, tuple[GraphQLError, ...]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[GraphQLError, ...] | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: tuple[GraphQLError, ...]) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)


class _OperationDone(SchemaExtension):
    """Tells the context when an operation (a query, a mutation, a whole subscription) is over."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            context.operation_done()


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Strawberry would log every error with its traceback, domain errors included; ErrorTranslation
        # logs only the unexpected ones, once, where it decides what the client sees.
        pass


def make_schema(
    limits: QueryLimits | None = None,
    *,
    rate_limiter: RateLimiter | None = None,
    metrics: LimitMetrics | None = None,
) -> strawberry.Schema:
    """Parsing and validating a document cost more than executing most queries: both are cached by its text.

    `limits` bounds each document; `rate_limiter` counts websocket operations (HTTP requests are counted by
    the view); refusals are counted on `metrics` when given.

    The depth and alias rules are made once: the validation cache is keyed by the rule classes too, and
    strawberry's limiters make a new class per instance, so one per request would never hit the cache.
    """
    bounds = limits or QueryLimits()
    limit_metrics = metrics
    rules = [
        *QueryDepthLimiter(max_depth=bounds.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=bounds.max_aliases).validation_rules,
    ]
    validated = _Memo(DOCUMENT_CACHE_SIZE)
    types: GraphQLSchema  # built from the served schema, below
    extensions: list[Any] = [
        lambda: _ParserCache(DOCUMENT_CACHE_SIZE, bounds.max_document_bytes, limit_metrics),
        lambda: AddValidationRules(rules),
        lambda: _ValidationMemo(validated),
        lambda: OperationLimits(
            schema=types, max_cost=bounds.max_cost, rate_limiter=rate_limiter, metrics=limit_metrics
        ),
        ErrorTranslation,
        _OperationDone,
    ]
    served = _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)
    # The cost is worked out on graphql-core types (argument defaults, variable coercion); strawberry keeps
    # its own GraphQLSchema private, so the same schema is built once from its SDL.
    types = build_schema(served.as_str())
    return served


schema = make_schema()
