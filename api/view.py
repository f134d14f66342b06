"""The GraphQL endpoint: strawberry's ASGI view with our context and websocket authentication."""

from __future__ import annotations

from datetime import timedelta

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from api.auth import PrincipalCache, bearer_key, key_from_params
from api.context import Context
from api.metrics import ApiMetrics
from domain.services.deps import Deps


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self, schema: strawberry.Schema, deps: Deps, metrics: ApiMetrics, principals: PrincipalCache | None = None
    ) -> None:
        super().__init__(schema, connection_init_wait_timeout=timedelta(seconds=10))
        self.deps = deps
        self.metrics = metrics
        self.principals = principals or PrincipalCache(deps.directory)

    def encode_json(self, data: object) -> str:
        """orjson rather than json.dumps (a page is hundreds of values); text, as websocket clients expect."""
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        websocket = isinstance(request, WebSocket)
        context = Context(self.deps, self.metrics, request, websocket=websocket, principals=self.principals)
        if not websocket:
            # HTTP: a missing or bad key is not refused here but by each root field's permission class,
            # so the answer is a GraphQL error with extensions.code UNAUTHENTICATED.
            await context.authenticate(bearer_key(request.headers.get("authorization")))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the key in connection_init's payload, else the upgrade request's header."""
        key = key_from_params(context.connection_params) or bearer_key(context.connection.headers.get("authorization"))
        if await context.authenticate(key) is None:
            raise ConnectionRejectionError()  # closes with 4403 Forbidden, before any subscription runs
        return await super().on_ws_connect(context)
