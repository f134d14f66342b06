"""The API's ASGI application: GraphQL (HTTP and websockets), CSV exports, health, readiness, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from api.auth import PRINCIPAL_TTL_SECONDS, PrincipalCache
from api.body_limit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from api.exports import Exports
from api.limits import LimitMetrics, QueryLimits, RateLimiter
from api.metrics import ApiMetrics, HttpMetricsMiddleware
from api.schema import make_schema
from api.ui import ui_mount
from api.view import GraphQLView
from domain.services.deps import Deps

log = structlog.get_logger(__name__)


def create_app(
    deps: Deps,
    *,
    max_depth: int,
    ready_check: Callable[[], Awaitable[None]] | None = None,
    metrics: CollectorRegistry | None = None,
    principal_ttl: float = PRINCIPAL_TTL_SECONDS,
    limits: QueryLimits | None = None,
    rate_limiter: RateLimiter | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    serve_api: bool = True,
    principals: PrincipalCache | None = None,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """Build the API around the composition root's ports.

    The bound on each subscriber's queue belongs to the event bus; a subscription that overflowed ends with
    UNAVAILABLE. `ready_check` raises when the process cannot serve (GET /ready answers 503 with its reason);
    it defaults to the directory's ping. `metrics` is the registry to register
    on (a new one per app when None, never the global one, so several apps can live in one process).
    `principal_ttl` is how long an accepted API key is remembered (0: looked up on every request); a revoked
    key keeps working that long in this process (see api.auth.PrincipalCache). `limits` bounds each GraphQL
    document (its max_depth replaced by `max_depth`); `rate_limiter` counts each key's GraphQL operations and
    exports (None: unlimited). `max_body_bytes` caps HTTP request bodies (413 beyond it, counted as they arrive).
    With `serve_api` False (a process that only answers chargers) only /health, /ready and /metrics are served.
    `principals` replaces the key cache built from `principal_ttl` (the composition root's also records each
    key's use); the caller then closes it. `cors_origins` are the web origins whose pages may call the API from
    a browser (none by default).
    """
    api_metrics = ApiMetrics(metrics if metrics is not None else CollectorRegistry())
    bounds = replace(limits or QueryLimits(), max_depth=max_depth)
    principals = principals or PrincipalCache(deps.directory, principal_ttl, bus=deps.bus, now=deps.clock)
    limit_metrics = LimitMetrics(api_metrics.registry)
    schema = make_schema(bounds, rate_limiter=rate_limiter, metrics=limit_metrics)
    view = GraphQLView(schema, deps, api_metrics, principals, rate_limiter, limit_metrics)
    exports = Exports(deps, principals, rate_limiter, limit_metrics)

    ready_check = ready_check or deps.directory.ping

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        try:
            await ready_check()
        except Exception as error:  # any failure means "not ready": report its reason
            log.warning("api_not_ready", error=str(error))
            return JSONResponse({"status": "unavailable", "reason": str(error) or type(error).__name__}, 503)
        return JSONResponse({"status": "ready"})

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(api_metrics.registry), media_type=CONTENT_TYPE_LATEST)

    operations = [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    api = [
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/exports/users.csv", exports.users, methods=["GET"]),
        Route("/exports/transactions.csv", exports.transactions, methods=["GET"]),
    ]
    http_routes = [*api, *operations] if serve_api else operations
    routes: list[BaseRoute] = [*http_routes]
    if serve_api:
        routes += [WebSocketRoute("/graphql", view), ui_mount()]
    middleware = [
        # Outermost: a preflight is answered before anything else looks at the request.
        *cors(cors_origins),
        Middleware(HttpMetricsMiddleware, metrics=api_metrics, routes=http_routes),
        Middleware(BodySizeLimit, max_bytes=max_body_bytes),
    ]
    return Starlette(routes=routes, middleware=middleware)


# How long a browser may reuse a preflight's answer.
CORS_MAX_AGE_SECONDS = 600


def cors(origins: Sequence[str]) -> list[Middleware]:
    """Starlette's CORS middleware for exactly these origins: GraphQL and exports with a bearer key, no cookies."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=CORS_MAX_AGE_SECONDS,
        )
    ]
