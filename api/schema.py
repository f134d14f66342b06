"""The schema: every feature's queries, mutations and subscriptions merged at the root.

`schema` needs nothing at import time; the database, bus and keys arrive per request in the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache, QueryDepthLimiter, SchemaExtension, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.chargers.mutations import ChargerMutations
from api.chargers.queries import ChargerQueries
from api.chargers.subscriptions import ChargerSubscriptions
from api.context import Context
from api.errors import ErrorTranslation
from api.logs.queries import LogQueries
from api.logs.subscriptions import LogSubscriptions
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

DEFAULT_MAX_DEPTH = 12
# Distinct documents remembered parsed and validated: clients send a handful of fixed queries, and the bound
# keeps a caller sending endless variants from growing memory.
DOCUMENT_CACHE_SIZE = 256

Query = merge_types(
    "Query", (UserQueries, VehicleQueries, ChargerQueries, TransactionQueries, LogQueries, PairingQueries)
)
Mutation = merge_types(
    "Mutation", (UserMutations, VehicleMutations, ChargerMutations, PairingMutations, TransactionMutations)
)
Subscription = merge_types(
    "Subscription", (LogSubscriptions, PairingSubscriptions, TransactionSubscriptions, ChargerSubscriptions)
)


class _ParserCache(ParserCache):
    """strawberry's ParserCache, but a document that does not parse is left to strawberry's own parse.

    Raised from the extension, a syntax error would escape strawberry's handling of parse errors and reach
    the client without its extensions.code.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except Exception:  # parsed again, and reported the usual way, by strawberry
            context.graphql_document = None
        yield


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


def make_schema(max_depth: int = DEFAULT_MAX_DEPTH) -> strawberry.Schema:
    """Parsing and validating a document cost more than executing most queries: both are cached by its text.

    The depth rule is made once: the validation cache is keyed by the rule classes too, and QueryDepthLimiter
    makes a new class per instance, so one per request would never hit the cache.
    """
    depth_rules = QueryDepthLimiter(max_depth=max_depth).validation_rules
    extensions: list[Any] = [
        lambda: _ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(depth_rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ErrorTranslation,
        _OperationDone,
    ]
    return _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)


schema = make_schema()
