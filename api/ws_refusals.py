"""graphql-transport-ws refusals told apart: a caller locked out by the login throttle is closed with 4429.

Strawberry closes a connection whose `on_ws_connect` raises ConnectionRejectionError with 4403 Forbidden, and
offers no option for another code. Its view takes the class that speaks the protocol as a public class attribute
(`graphql_transport_ws_handler_class`), so this handler lets the view raise ConnectionThrottled instead and closes
with 4429, the code HTTP's 429 suggests (graphql-ws clients treat it as fatal: they do not retry at once).
"""

from __future__ import annotations

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from api.context import Context
from api.limits import retry_header

TOO_MANY_REQUESTS = 4429


class ConnectionThrottled(Exception):
    """Raised by on_ws_connect for a caller the login throttle refuses; `retry_after` in seconds, when known."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("too many failed API keys")
        self.retry_after = retry_after

    @property
    def reason(self) -> str:
        """The close reason: 'Too many requests', and when to try again (the close frame has room for little)."""
        if self.retry_after is None:
            return "Too many requests"
        return f"Too many requests; retry after {retry_header(self.retry_after)}s"


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, closing a throttled connection_init with 4429."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionThrottled as throttled:
            await self.websocket.close(code=TOO_MANY_REQUESTS, reason=throttled.reason)
