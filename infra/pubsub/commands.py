"""Request/reply between processes over Redis: a command goes to the node that holds a charger.

A request is published, as JSON, on the node's channel with the name of a list to answer on and the
wall-clock deadline after which the requester no longer waits; the node's handler runs and its reply is
pushed onto that list, which the requester pops with BLPOP. Each request runs at most once: the node
remembers the ids it has taken (a publish retried after a dropped connection may arrive twice) and
refuses a request that arrives after its deadline, so a charger never receives a command its requester
has given up on. Payloads and replies are JSON objects (orjson: UUIDs and datetimes arrive as strings).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import orjson

from domain import errors
from infra.pubsub._redis import ChannelListener, connect, reachable

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

# The domain errors a handler may raise travel by code and are raised again on the requester's side.
_DOMAIN_ERRORS: dict[str, type[errors.DomainError]] = {
    cls.code: cls
    for cls in (
        errors.NotFound,
        errors.Conflict,
        errors.Invalid,
        errors.Forbidden,
        errors.Unauthenticated,
        errors.Unavailable,
    )
}


# Request ids a node remembers, to run a request delivered twice only once (a few minutes of heavy use).
REMEMBERED_REQUESTS = 10_000
# Beyond BLPOP's own timeout, how long a reply may be in transit before the socket read gives up.
_BLOCKING_READ_MARGIN_SECONDS = 5.0


class CommandTimeout(TimeoutError):
    """The node took the request but did not reply in time (it may still act on it)."""


class RemoteCommandError(RuntimeError):
    """The node's handler failed with an error that is not a domain error."""


class RedisCommandChannel:
    def __init__(
        self, url: str, *, prefix: str = "autocharge", reply_ttl: float = 60.0, subscribe_timeout: float = 5.0
    ) -> None:
        self._prefix = prefix
        self._reply_ttl = max(1, round(reply_ttl))
        self._subscribe_timeout = subscribe_timeout
        self._url = url
        self._client = connect(url)
        # BLPOP blocks for as long as the request's timeout, which the socket timeout must not cut short.
        self._blocking = connect(url, socket_timeout=None)
        self._handlers: dict[str, Handler] = {}
        self._taken: OrderedDict[str, None] = OrderedDict()
        self._listener: ChannelListener | None = None
        self._running: set[asyncio.Task[None]] = set()

    def _channel(self, node_id: str) -> str:
        return f"{self._prefix}:node:{node_id}"

    async def request(self, node_id: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        """The node's reply. Raises Unavailable when no process serves the node or Redis is down,
        CommandTimeout when no reply comes within `timeout` seconds, and the handler's domain error."""
        # The timeout is a parameter, not asyncio.timeout, because Redis itself must enforce it (BLPOP).
        if timeout <= 0:
            raise ValueError("timeout must be positive")  # BLPOP would take 0 as "forever"
        request_id = uuid4().hex
        reply_to = f"{self._prefix}:reply:{request_id}"
        deadline = time.time() + timeout
        message = orjson.dumps({"id": request_id, "reply_to": reply_to, "deadline": deadline, "payload": payload})
        with reachable(f"command to node {node_id}"):
            receivers = await self._client.publish(self._channel(node_id), message)
            if receivers == 0:
                raise errors.Unavailable(f"node {node_id} is unreachable: no process serves its commands")
            try:
                async with asyncio.timeout(timeout + _BLOCKING_READ_MARGIN_SECONDS):
                    popped: Any = await self._blocking.blpop([reply_to], timeout=timeout)
            except TimeoutError:
                popped = None  # Redis itself did not answer BLPOP in time: treated as no reply
        if popped is None:
            raise CommandTimeout(f"node {node_id} did not reply within {timeout:g}s")
        reply = orjson.loads(popped[1])
        if "error" in reply:
            code, text = reply["error"]["code"], reply["error"]["message"]
            raise _DOMAIN_ERRORS.get(code, RemoteCommandError)(text)
        result: dict[str, Any] = reply["result"]
        return result

    async def serve(self, node_id: str, handler: Handler) -> None:
        """Answer the node's requests with `handler`, from now until close()."""
        channel = self._channel(node_id)
        self._handlers[channel] = handler
        if self._listener is None:
            self._listener = ChannelListener(self._url, self._on_request)
            self._listener.start()
        await self._listener.add(channel, self._subscribe_timeout)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        await self._client.aclose()
        await self._blocking.aclose()

    def _on_request(self, channel: str, data: bytes) -> None:
        handler = self._handlers.get(channel)
        if handler is None:
            return
        # Each request in its own task: a slow command must not hold up the others, nor the listener.
        task = asyncio.create_task(self._answer(handler, data))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _take(self, request_id: str) -> bool:
        """True the first time a request id is seen (among the last REMEMBERED_REQUESTS)."""
        if request_id in self._taken:
            return False
        self._taken[request_id] = None
        if len(self._taken) > REMEMBERED_REQUESTS:
            self._taken.popitem(last=False)
        return True

    async def _answer(self, handler: Handler, data: bytes) -> None:
        try:
            message = orjson.loads(data)
            request_id, reply_to, payload = str(message["id"]), str(message["reply_to"]), message["payload"]
            deadline = float(message["deadline"])
        except (ValueError, KeyError, TypeError):
            logger.warning("dropped a malformed command request", exc_info=True)
            return
        if not self._take(request_id):
            logger.warning("dropped a command request delivered twice", extra={"request_id": request_id})
            return
        reply: dict[str, Any]
        try:
            if time.time() >= deadline:
                raise errors.Unavailable("the command arrived after its requester stopped waiting; not sent")
            reply = {"result": await handler(payload)}
        except errors.DomainError as exc:
            reply = {"error": {"code": exc.code, "message": exc.message}}
        except Exception as exc:
            logger.exception("command handler failed")
            reply = {"error": {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}"}}
        try:
            # The reply list expires so that one nobody waits for any more does not stay behind.
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.rpush(reply_to, orjson.dumps(reply))
                pipe.expire(reply_to, self._reply_ttl)
                await pipe.execute()
        except Exception:
            logger.exception("could not reply to a command request")
