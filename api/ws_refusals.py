"""Websocket refusals told apart: a caller locked out by the login throttle is not refused like a bad key.

On graphql-transport-ws, strawberry closes a connection whose `on_ws_connect` raises ConnectionRejectionError
with 4403 Forbidden, and offers no option for another code. Its view takes the classes that speak each protocol
as public class attributes (`graphql_transport_ws_handler_class`, `graphql_ws_handler_class`), so these handlers
let the view raise ConnectionThrottled instead:

- graphql-transport-ws closes with 4429, the code HTTP's 429 suggests; graphql-ws clients treat it as fatal, so
  they do not retry at once (the protocol also closes a second connection_init with 4429, "Too many
  initialisation requests": the reason tells the two apart);
- the legacy graphql-ws protocol, which has no close codes of its own, answers connection_error with the code
  RATE_LIMITED and closes as for a bad key.
"""

from __future__ import annotations

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionErrorMessage
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage as LegacyConnectionInitMessage

from api.context import Context
from api.limits import retry_header

TOO_MANY_REQUESTS = 4429
INTERNAL_ERROR = 1011  # how strawberry closes any refused graphql-ws connection


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


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """Strawberry's graphql-ws handler, telling a throttled connection_init it is RATE_LIMITED."""

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionThrottled as throttled:
            refusal: ConnectionErrorMessage = {
                "type": "connection_error",
                "payload": {"message": throttled.reason, "code": "RATE_LIMITED"},
            }
            await self.send_message(refusal)
            await self.websocket.close(code=INTERNAL_ERROR, reason="")
