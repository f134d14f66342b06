"""The schema: every feature's queries, mutations and subscriptions merged at the root.

`schema` needs nothing at import time; the database, bus and keys arrive per request in the context.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.chargers.mutations import ChargerMutations
from api.chargers.queries import ChargerQueries
from api.chargers.subscriptions import ChargerSubscriptions
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

Query = merge_types(
    "Query", (UserQueries, VehicleQueries, ChargerQueries, TransactionQueries, LogQueries, PairingQueries)
)
Mutation = merge_types(
    "Mutation", (UserMutations, VehicleMutations, ChargerMutations, PairingMutations, TransactionMutations)
)
Subscription = merge_types(
    "Subscription", (LogSubscriptions, PairingSubscriptions, TransactionSubscriptions, ChargerSubscriptions)
)


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Strawberry would log every error with its traceback, domain errors included; ErrorTranslation
        # logs only the unexpected ones, once, where it decides what the client sees.
        pass


def make_schema(max_depth: int = DEFAULT_MAX_DEPTH) -> strawberry.Schema:
    extensions: list[Any] = [lambda: QueryDepthLimiter(max_depth=max_depth), ErrorTranslation]
    return _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)


schema = make_schema()
