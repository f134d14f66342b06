"""The GraphQL endpoint: strawberry's ASGI view with our context, websocket authentication and rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UnsetType

from api.access.guard import KeyGuard
from api.auth import PrincipalCache, bearer_key, key_from_params
from api.context import Context
from api.html_headers import graphiql_policy, html_headers
from api.limits import LimitMetrics, RateLimiter, limit_error, retry_header
from api.metrics import ApiMetrics
from api.operation_limits import authenticated
from api.ws_refusals import ConnectionThrottled, LegacyWSHandler, TransportWSHandler
from domain.errors import RateLimited
from domain.services.deps import Deps

TOO_MANY_REQUESTS = 429
_GUARD = "api_key_guard"  # where a websocket's KeyGuard is kept, in the connection's scope state


class GraphQLView(GraphQL[Context, None]):
    # A throttled connection_init is closed with 4429 (graphql-transport-ws) or told RATE_LIMITED (graphql-ws).
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: strawberry.Schema,
        deps: Deps,
        metrics: ApiMetrics,
        principals: PrincipalCache | None = None,
        rate_limiter: RateLimiter | None = None,
        limit_metrics: LimitMetrics | None = None,
    ) -> None:
        super().__init__(schema, connection_init_wait_timeout=timedelta(seconds=10))
        self.deps = deps
        self.metrics = metrics
        self.principals = principals or PrincipalCache(deps.directory)
        self.rate_limiter = rate_limiter
        self.limit_metrics = limit_metrics

    def encode_json(self, data: object) -> str:
        """orjson rather than json.dumps (a page is hundreds of values); text, as websocket clients expect."""
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL, with the HTML pages' security headers and a policy allowing its own start-up script."""
        response = await super().render_graphql_ide(request)
        page = response.body.decode() if isinstance(response.body, bytes) else ""
        response.headers.update(html_headers(graphiql_policy(page)))
        return response

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        websocket = isinstance(request, WebSocket)
        context = Context(self.deps, self.metrics, request, websocket=websocket, principals=self.principals)
        if not websocket:
            # HTTP: a missing or bad key is not refused here but by each root field's permission class,
            # so the answer is a GraphQL error with extensions.code UNAUTHENTICATED. A caller locked out by the
            # login throttle also gets HTTP 429 with Retry-After, as a rate-limited key does.
            await context.authenticate(bearer_key(request.headers.get("authorization")))
            refused = context.auth_error
            if isinstance(refused, RateLimited) and isinstance(response, Response):
                response.status_code = TOO_MANY_REQUESTS
                if refused.retry_after is not None:
                    response.headers["Retry-After"] = retry_header(refused.retry_after)
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        state = scope.setdefault("state", {})
        try:
            await super().__call__(scope, receive, send)
        finally:
            guard = state.get(_GUARD)
            if isinstance(guard, KeyGuard):
                await guard.stop()
        return None

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the key in connection_init's payload, else the upgrade request's header.

        A bad key is refused with 4403, a caller locked out by the login throttle with 4429 (api/ws_refusals.py).
        While the connection lives, a KeyGuard closes it (4403) when its key is revoked or expires.
        """
        key = key_from_params(context.connection_params) or bearer_key(context.connection.headers.get("authorization"))
        principal = await context.authenticate(key)
        if principal is None or key is None:
            refused = context.auth_error
            if isinstance(refused, RateLimited):
                raise ConnectionThrottled(refused.retry_after)  # closes with 4429 Too many requests
            raise ConnectionRejectionError()  # closes with 4403 Forbidden, before any subscription runs
        if isinstance(context.connection, WebSocket):
            guard = KeyGuard(context.connection, key, principal, self.deps.bus, self.deps.directory, self.deps.clock)
            setattr(context.connection.state, _GUARD, guard)
            if not await guard.start():
                raise ConnectionRejectionError()  # revoked meanwhile, or its revocations cannot be heard
        return await super().on_ws_connect(context)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,  # strawberry's request adapter, passed on untouched
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """Count the request against its key before running it; over the rate: 429, RATE_LIMITED, Retry-After.

        Only requests with a valid key are counted here (the principal is known by now): refusing bad keys
        quickly is the authentication throttle's business. A batch counts as one request per operation.
        """
        retry_after = await self._rate_limited(request, context, request_data)
        if retry_after is None:
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        assert self.rate_limiter is not None
        sub_response.status_code = TOO_MANY_REQUESTS
        sub_response.headers["Retry-After"] = retry_header(retry_after)
        self.metrics.graphql_errors.labels("RATE_LIMITED").inc()
        if self.limit_metrics is not None:
            self.limit_metrics.refused.labels("rate").inc()
        error = limit_error("rate", self.rate_limiter.message(retry_after), code="RATE_LIMITED")
        return PreExecutionError(data=None, errors=[error])

    async def _rate_limited(
        self, request: Request, context: Context, request_data: GraphQLRequestData | list[GraphQLRequestData]
    ) -> float | None:
        key = bearer_key(request.headers.get("authorization"))
        if self.rate_limiter is None or key is None or not authenticated(context):
            return None
        for _ in request_data if isinstance(request_data, list) else [request_data]:
            if (retry_after := await self.rate_limiter.hit(key)) is not None:
                return retry_after
        return None
