"""Field decorators with their permissions attached, typed so mypy keeps each resolver's signature.

strawberry.field(...) called with arguments is typed as returning Any, which strict mypy refuses as a
decorator; these wrappers return the resolver's own type. Root fields use query/mutation/subscription,
so no root field can forget its permission class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

from api.permissions import CanWrite, IsAdmin, IsAuthenticated

F = TypeVar("F", bound=Callable[..., Any])


def field(*, description: str | None = None, graphql_type: Any = None) -> Callable[[F], F]:
    """A field of a type (not a root field): the root field it hangs from has checked the caller.

    `graphql_type` gives the field's GraphQL type when the resolver's annotation cannot, e.g. a resolver that
    returns either a value or an awaitable of it.
    """
    return cast("Callable[[F], F]", strawberry.field(description=description, graphql_type=graphql_type))


def query(*, description: str | None = None) -> Callable[[F], F]:
    """A root query field: any valid API key."""
    return cast("Callable[[F], F]", strawberry.field(description=description, permission_classes=[IsAuthenticated]))


def admin_query(*, description: str | None = None) -> Callable[[F], F]:
    """A root query field for ADMIN keys only: FORBIDDEN for READ_ONLY."""
    permissions = [IsAuthenticated, IsAdmin]
    return cast("Callable[[F], F]", strawberry.field(description=description, permission_classes=permissions))


def mutation(*, description: str | None = None) -> Callable[[F], F]:
    """A root mutation: ADMIN keys only."""
    return cast("Callable[[F], F]", strawberry.mutation(description=description, permission_classes=[CanWrite]))


def subscription(*, description: str | None = None) -> Callable[[F], F]:
    """A root subscription: any valid API key."""
    return cast(
        "Callable[[F], F]", strawberry.subscription(description=description, permission_classes=[IsAuthenticated])
    )
