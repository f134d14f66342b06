"""The API's limits: how big, deep and costly one GraphQL document may be, and how often one key may call.

A hostile or careless client must not be able to starve the chargers: every limit here is checked before any
resolver runs, and refused with a GraphQL error whose extensions.code names the kind of refusal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import structlog
from graphql import GraphQLError
from limits import RateLimitItem, parse_many
from prometheus_client import CollectorRegistry, Counter

from domain.ports import FailureThrottle
from domain.secrets import hash_api_key

log = structlog.get_logger(__name__)

DEFAULT_MAX_DEPTH = 15
DEFAULT_MAX_COST = 10_000
DEFAULT_MAX_ALIASES = 100
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024


@dataclass(frozen=True)
class QueryLimits:
    """What one GraphQL document may ask for; anything beyond is refused with VALIDATION before it runs."""

    max_depth: int = DEFAULT_MAX_DEPTH
    max_cost: int = DEFAULT_MAX_COST  # see api.query_cost
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES


class LimitMetrics:
    """Refusals by limit, registered on the API's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refused = Counter(
            "api_limit_refusals_total",
            "Requests refused by a limit before running: document_bytes, cost, introspection, rate",
            ["limit"],
            registry=registry,
        )


def limit_error(limit: str, message: str, code: str = "VALIDATION") -> GraphQLError:
    """A refusal the client sees as is: `limit` is recorded in extensions.limit so a client can tell which."""
    log.info("graphql_limit_refused", limit=limit, reason=message)
    return GraphQLError(message, extensions={"code": code, "limit": limit})


def rate_limit_items(spec: str) -> list[RateLimitItem]:
    """Parse `limits`' notation ('100/second;500/10 seconds'); ValueError when it is not that."""
    items = parse_many(spec)
    if not items:
        raise ValueError(f"no rate in {spec!r}; expected e.g. '100/second;500/10 seconds'")
    return items


class RateLimiter:
    """How many API requests each key may make: `spec`'s fixed windows, counted by `counter`.

    The counter is the one the login throttle is made of (domain.ports.FailureThrottle, an attempt per
    request): in this process's memory alone, in Redis for a cluster, where every process counts a key's
    requests into the same windows. Keys are counted by their SHA-256, never by the secret itself.
    """

    def __init__(self, spec: str, counter: FailureThrottle) -> None:
        rate_limit_items(spec)  # ValueError when it is not the limits library's notation
        self.spec = spec
        self._counter = counter

    async def hit(self, key: str) -> float | None:
        """Count one request of `key`: None when allowed, else the seconds to wait before trying again (a
        refused request does not count: a client that waits as told gets through)."""
        identity = hash_api_key(key)
        retry_after = await self._counter.attempt(identity)
        if retry_after is not None:
            await self._counter.forgive(identity)
        return retry_after

    def message(self, retry_after: float) -> str:
        return f"rate limit exceeded: at most {self.spec} requests per API key; retry in {retry_header(retry_after)} s"


def retry_header(retry_after: float) -> str:
    """Retry-After in whole seconds (HTTP allows no fraction), at least 1."""
    return str(max(1, math.ceil(retry_after)))
