"""What every Redis-backed class here shares: the client settings, error translation, a resilient listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from domain.errors import Unavailable

logger = logging.getLogger("infra.pubsub.redis")

# Errors that mean "Redis cannot be reached", as opposed to a bad command.
DOWN = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError)


# How long a reply to an ordinary command may take before Redis counts as unreachable.
SOCKET_TIMEOUT_SECONDS = 5.0


def connect(
    url: str, retries: int = 1, connect_timeout: float = 5.0, socket_timeout: float | None = SOCKET_TIMEOUT_SECONDS
) -> Redis:
    """A client that fails fast: by default one immediate retry, which covers a pooled connection gone stale
    after a Redis restart; anything longer is the caller's business (Unavailable, or the listener's backoff).

    `socket_timeout` is always set explicitly: redis-py's own default (5 s, relaxed to 10 s) would cut a
    blocking command such as BLPOP short and report a healthy Redis as unreachable. A client for blocking
    commands passes None and bounds each command itself."""
    return Redis.from_url(
        url,
        socket_connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), retries),
        decode_responses=False,
    )


@contextmanager
def reachable(what: str) -> Iterator[None]:
    """Translate "Redis is down" into the domain's Unavailable, the one error adapters know."""
    try:
        yield
    except DOWN as exc:
        raise Unavailable(f"{what}: Redis is unreachable ({exc})") from exc


class ChannelListener:
    """One pub/sub connection and one task: keeps Redis subscribed to exactly the wanted channels,
    across reconnects, and hands each message to `on_message(channel, data)`."""

    def __init__(
        self,
        url: str,
        on_message: Callable[[str, bytes], None],
        *,
        on_lost: Callable[[], None] | None = None,
        max_backoff: float = 5.0,
    ) -> None:
        """`on_lost` is called when an established connection drops (messages may have been missed)."""
        # Its own client without retries: redis-py would otherwise reconnect and resubscribe silently,
        # and a drop, which loses messages, must be seen and logged here.
        self._client = connect(url, retries=0, socket_timeout=None)
        self._on_message = on_message
        self._on_lost = on_lost
        self._connected = False
        self._max_backoff = max_backoff
        self._wanted: set[str] = set()
        self._subscribed: set[str] = set()  # SUBSCRIBE sent on the current connection
        self._pending: dict[str, int] = {}  # SUBSCRIBEs not yet confirmed, so a stale reply confirms nothing
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        # Serialises SUBSCRIBE/UNSUBSCRIBE, each decided from the wanted set at the time it runs,
        # so a leave and a join racing on one channel still end in the right state.
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redis-pubsub-listener")

    async def close(self) -> None:
        tasks = [*self._chores, *([self._task] if self._task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._connected = False
        await self._disconnect()
        await self._client.aclose()

    async def add(self, channel: str, within: float) -> None:
        """Subscribe, and return once Redis confirms, so nothing published afterwards is missed."""
        self._wanted.add(channel)
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        try:
            async with asyncio.timeout(within):
                await self._sync(channel)
                await confirmed.wait()
        except TimeoutError:
            raise Unavailable(f"Redis did not confirm the subscription to {channel} in {within}s") from None

    def discard(self, channel: str) -> None:
        """Unsubscribe in the background: leaving must not wait on Redis, nor fail when it is down."""
        self._wanted.discard(channel)
        chore = asyncio.create_task(self._sync(channel))
        self._chores.add(chore)
        chore.add_done_callback(self._chores.discard)

    async def _sync(self, channel: str) -> None:
        async with self._lock:
            pubsub = self._pubsub
            if pubsub is None:
                return  # not connected: the reconnect subscribes to whatever is wanted then
            try:
                if channel in self._wanted and channel not in self._subscribed:
                    self._pending[channel] = self._pending.get(channel, 0) + 1
                    self._subscribed.add(channel)
                    await pubsub.subscribe(channel)
                elif channel not in self._wanted and channel in self._subscribed:
                    self._subscribed.discard(channel)
                    self._confirmed.pop(channel, None)
                    await pubsub.unsubscribe(channel)
            except DOWN as exc:
                logger.debug("pub/sub command for %s failed, the listener will reconnect: %s", channel, exc)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
                self._connected = True
                if failures:
                    logger.warning("Redis pub/sub reconnected after %d failed attempt(s)", failures)
                failures = 0
                await self._read()
            except Exception as exc:  # whatever it was, the process must not be left without its listener
                if self._connected:
                    self._connected = False
                    if self._on_lost is not None:
                        self._on_lost()
                failures += 1
                delay = min(self._max_backoff, 0.05 * 2**failures)
                logger.warning(
                    "Redis pub/sub connection lost (%s); retrying in %.2fs",
                    exc,
                    delay,
                    exc_info=not isinstance(exc, (*DOWN, redis_errors.RedisError)),
                )
                await self._disconnect()
                await asyncio.sleep(delay)

    async def _connect(self) -> None:
        async with self._lock:
            pubsub = self._client.pubsub()
            self._pubsub = pubsub
            await pubsub.connect()  # type: ignore[no-untyped-call]  # redis-py leaves PubSub untyped
            wanted = sorted(self._wanted)
            self._subscribed = set(wanted)
            self._pending = dict.fromkeys(wanted, 1)
            if wanted:
                await pubsub.subscribe(*wanted)

    async def _read(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            raw = message.get("channel")
            if not isinstance(raw, bytes):
                continue  # a pong, not about any channel
            channel = raw.decode()
            if message["type"] == "message":
                try:
                    self._on_message(channel, message["data"])
                except Exception:
                    # One bad message must not kill the only listener of the process.
                    logger.exception("pub/sub message on %s could not be handled", channel)
            elif message["type"] == "subscribe":
                self._pending[channel] = left = self._pending.get(channel, 1) - 1
                confirmed = self._confirmed.get(channel)
                if left <= 0 and confirmed is not None and channel in self._subscribed:
                    confirmed.set()

    async def _disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._subscribed = set()
        self._pending = {}
        # Until Redis confirms again, nobody may believe they are subscribed.
        for confirmed in self._confirmed.values():
            confirmed.clear()
        if pubsub is not None:
            with suppress(*DOWN, redis_errors.RedisError):
                await pubsub.aclose()
