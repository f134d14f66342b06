"""The API's limits: how big, deep and costly one GraphQL document may be, and how often one key may call.

A hostile or careless client must not be able to starve the chargers: every limit here is checked before any
resolver runs, and refused with a GraphQL error whose extensions.code names the kind of refusal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from graphql import GraphQLError
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import CollectorRegistry, Counter

from domain.secrets import hash_api_key

log = structlog.get_logger(__name__)

DEFAULT_MAX_DEPTH = 15
DEFAULT_MAX_COST = 10_000
DEFAULT_MAX_ALIASES = 100
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024
# A burst of 100 in any second, 50 a second sustained (500 in 10 s), per API key.
DEFAULT_RATE_LIMIT = "100/second;500/10 seconds"


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
    """How many API requests each key may make, with the `limits` library's sliding-window counters.

    The counts live in this process's memory: with several processes behind a load balancer, each lets a key
    make its full rate (a cluster-wide limit would keep them in Redis: a follow-up). Keys are counted by their
    SHA-256, never by the secret itself.
    """

    def __init__(self, spec: str = DEFAULT_RATE_LIMIT) -> None:
        self.items = rate_limit_items(spec)
        self.spec = spec
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def hit(self, key: str) -> float | None:
        """Count one request of `key`: None when allowed, else the seconds to wait before trying again."""
        identity = hash_api_key(key)
        for item in self.items:
            if not await self._limiter.test(item, identity):
                return await self._retry_after(item, identity)
        for item in self.items:
            await self._limiter.hit(item, identity)
        return None

    async def _retry_after(self, item: RateLimitItem, identity: str) -> float:
        stats = await self._limiter.get_window_stats(item, identity)
        return max(stats.reset_time - time.time(), 0.0)

    def message(self, retry_after: float) -> str:
        return f"rate limit exceeded: at most {self.spec} requests per API key; retry in {retry_header(retry_after)} s"


def retry_header(retry_after: float) -> str:
    """Retry-After in whole seconds (HTTP allows no fraction), at least 1."""
    return str(max(1, math.ceil(retry_after)))
