"""Prometheus metrics of the API, registered on a registry the caller owns (never the global one)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiMetrics:
    """Counters the GraphQL extension and the HTTP middleware update."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.http_requests = Counter(
            "api_http_requests_total",
            "HTTP requests served by the API",
            ["method", "path", "status"],
            registry=registry,
        )
        self.http_latency = Histogram(
            "api_http_request_duration_seconds", "Time to serve an HTTP request", ["method", "path"], registry=registry
        )
        self.graphql_operations = Counter(
            "api_graphql_operations_total", "GraphQL operations executed", ["type"], registry=registry
        )
        self.graphql_errors = Counter(
            "api_graphql_errors_total", "GraphQL errors returned, by extensions.code", ["code"], registry=registry
        )
        self.subscriptions = Gauge(
            "api_graphql_subscriptions_active", "Subscriptions currently streaming", registry=registry
        )


class HttpMetricsMiddleware:
    """Counts HTTP requests with their latency, labelled by route template to keep cardinality bounded."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics, routes: list[Route]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def _path(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route.path
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            path, method = self._path(scope), scope["method"]
            self.metrics.http_requests.labels(method, path, str(status)).inc()
            self.metrics.http_latency.labels(method, path).observe(time.perf_counter() - started)
