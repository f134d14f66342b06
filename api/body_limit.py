"""A cap on HTTP request bodies, checked while they arrive: a client cannot make the server hold a body of
any size in memory before the GraphQL document's own size limit is even looked at."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1_048_576


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 with a GraphQL-shaped VALIDATION error when a request declares, or sends, more than
    `max_bytes` of body (chunked bodies are counted as they come). Written as plain ASGI because Starlette has
    no such limit of its own and uvicorn limits only headers."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        responded = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not responded:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        error = {
            "message": f"request body over the maximum of {self.max_bytes} bytes",
            "extensions": {"code": "VALIDATION", "limit": "body_bytes"},
        }
        body = orjson.dumps({"data": None, "errors": [error]})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
