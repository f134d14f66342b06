"""The composition root: builds every part of one process from Settings, starts them, and stops them in order."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import ssl
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, Self

import structlog
import uvicorn
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.auth import PrincipalCache
from api.limits import QueryLimits, RateLimiter
from autocharge import jobs
from autocharge.settings import Settings
from domain.errors import Unavailable
from domain.ports import ChargerCommands, EventBus, TokenFactsReader, UnitOfWorkFactory
from domain.services.api_keys import KeyUsage
from domain.services.deps import Deps
from domain.services.login_throttle import LoginThrottle
from infra.cluster import ClusterNode, redis_cluster
from infra.db.audit import SqlAuditTrail
from infra.db.dead_letters import SqlDeadLetters
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.group_commit import GroupCommit
from infra.db.migrate import upgrade_database
from infra.db.token_facts import SqlTokenFacts
from infra.db.unit_of_work import GroupCommitUnitOfWorkFactory, SqlUnitOfWorkFactory
from infra.pubsub import bus_from_url
from infra.throttle import AuthRefusalMetrics, failure_throttle
from infra.verdicts import CachedTokenFacts, InvalidatingEventBus
from ocpp_server import ConnectionRegistry, OcppServer
from ocpp_server.tls import server_context

log = structlog.get_logger(__name__)

# A command forwarded to another node waits for that node's own command timeout, plus this.
FORWARDING_MARGIN_SECONDS = 5
# On shutdown, HTTP requests still running after this are cancelled (e.g. a long CSV export).
HTTP_SHUTDOWN_GRACE_SECONDS = 10
# On shutdown, the frame journal gets this long to store what is queued (the database may be down).
JOURNAL_SHUTDOWN_GRACE_SECONDS = 10


def shared_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT: the kernel spreads connections over every process bound to it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: the process's shutdown sequence is ours (see cli.serve)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Autocharge:
    """One server process: database, event bus, frame journal, OCPP server, GraphQL API and timers; with
    Redis, also a node of the cluster (charger presence, commands routed to the node holding a charger).

    `async with Autocharge(settings) as app:` starts everything; leaving the block stops accepting, closes
    chargers with 1001 so they reconnect elsewhere, flushes the journal and events, and closes the database.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = CollectorRegistry()
        self.database = Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout_seconds,
        )
        self.bus = bus_from_url(settings.redis_url, settings.subscription_queue_size, prefix=settings.redis_prefix)
        self.journal = BatchedFrameJournal(self.database, self.bus, metrics_registry=self.metrics)
        self.frames_not_stored = 0  # set on exit: frames the journal could not store before the process ends
        self.registry = ConnectionRegistry()
        tokens: TokenFactsReader = SqlTokenFacts(self.database)
        self.verdicts: CachedTokenFacts | None = None
        uow_bus: EventBus = self.bus
        if settings.verdict_cache_size:
            tokens = self.verdicts = CachedTokenFacts(
                tokens,
                self.bus,
                settings.verdict_cache_size,
                settings.verdict_cache_max_age_seconds,
                metrics_registry=self.metrics,
            )
            uow_bus = InvalidatingEventBus(self.bus, self.verdicts)
        uow = SqlUnitOfWorkFactory(self.database.session_factory, uow_bus)
        # The chargers' frames: their units of work committed many at a time (the API's each on its own).
        self.group_commit = GroupCommit(self.database.engine)
        ocpp_uow = GroupCommitUnitOfWorkFactory(self.group_commit, uow_bus)
        self.cluster = self._join_cluster(uow)
        # Failed logins: in memory for one process; in Redis, counted by every process of the cluster together.
        identities, addresses = (
            failure_throttle(settings.redis_url, spec, scope=scope, prefix=settings.redis_prefix)
            for scope, spec in (
                ("auth-failures:identity", settings.auth_failure_limit_per_identity),
                ("auth-failures:address", settings.auth_failure_limit_per_address),
            )
        )
        # Each API key's requests: the same counters, one process's or the whole cluster's.
        self.api_rate = (
            failure_throttle(
                settings.redis_url, settings.api_rate_limit, scope="api-rate", prefix=settings.redis_prefix
            )
            if settings.api_rate_limit
            else None
        )
        self.failed_logins = (identities, addresses)
        logins = LoginThrottle(identities, addresses, on_refusal=AuthRefusalMetrics(self.metrics).count)
        commands: ChargerCommands = self.registry if self.cluster is None else self.cluster.commands
        self.deps = Deps(
            uow=uow,
            directory=SqlDirectory(self.database.session_factory),
            bus=self.bus,
            journal=self.journal,
            commands=commands,
            tokens=tokens,
            logins=logins,
            audit=SqlAuditTrail(self.database.session_factory),
            dead_letters=SqlDeadLetters(self.database.session_factory),
        )
        self.ocpp = OcppServer(
            dataclasses.replace(self.deps, uow=ocpp_uow),
            self.registry,
            host=settings.host,
            port=settings.ocpp_port,
            heartbeat_interval_seconds=settings.heartbeat_interval_seconds,
            charger_idle_timeout_seconds=settings.charger_idle_timeout_seconds,
            max_frame_bytes=settings.ocpp_max_frame_bytes,
            command_timeout_seconds=settings.ocpp_command_timeout_seconds,
            metrics_registry=self.metrics,
            ping_interval_seconds=settings.ocpp_ping_interval_seconds,
            ping_timeout_seconds=settings.ocpp_ping_timeout_seconds,
            handshake_timeout_seconds=settings.ocpp_handshake_timeout_seconds,
            call_rate_per_second=settings.ocpp_call_rate_per_second,
            call_burst=settings.ocpp_call_burst,
            call_flood_close_after=settings.ocpp_call_flood_close_after,
            trusted_proxies=settings.trusted_proxy_networks,
            reuse_port=settings.reuse_port,
            tls=_ocpp_tls(settings),
            tls_port=settings.ocpp_tls_port,
            read_settings_after_boot=settings.ocpp_read_settings_after_boot,
        )
        # Accepted keys remembered per process, forgotten when any process revokes them; their use written in batches.
        self.key_usage = KeyUsage(self.deps.directory, self.deps.clock)
        self.principals = PrincipalCache(self.deps.directory, bus=self.bus, usage=self.key_usage)
        self.asgi = create_app(
            self.deps,
            principals=self.principals,
            max_depth=settings.graphql_max_depth,
            ready_check=self._ready,
            metrics=self.metrics,
            limits=QueryLimits(
                max_cost=settings.graphql_max_cost,
                max_aliases=settings.graphql_max_aliases,
                max_document_bytes=settings.graphql_max_document_bytes,
            ),
            rate_limiter=RateLimiter(settings.api_rate_limit, self.api_rate) if self.api_rate else None,
            max_body_bytes=settings.api_max_body_bytes,
            serve_api=settings.serves_api,
            cors_origins=settings.cors_origins,
        )
        config = uvicorn.Config(
            self.asgi,
            host=settings.host,
            port=settings.api_port,
            log_config=None,
            lifespan="off",
            ws="websockets-sansio",
            timeout_graceful_shutdown=HTTP_SHUTDOWN_GRACE_SECONDS,
            # X-Forwarded-For from these only (uvicorn's proxy headers): the address the login throttle counts.
            forwarded_allow_ips=[str(network) for network in settings.trusted_proxy_networks],
        )
        self.http = _EmbeddedUvicorn(config)
        self._tasks: list[asyncio.Task[Any]] = []

    def _join_cluster(self, uow: UnitOfWorkFactory) -> ClusterNode | None:
        """With Redis: a node that claims the chargers connected here and routes commands to any node's chargers."""
        if self.settings.redis_url is None:
            return None  # one process: the registry is all there is
        node = redis_cluster(
            self.settings.redis_url,
            self.settings.node_id,
            self.registry,
            uow,
            prefix=self.settings.redis_prefix,
            lease_seconds=self.settings.presence_ttl_seconds,
            refresh_seconds=self.settings.presence_refresh_seconds,
            command_timeout=self.settings.ocpp_command_timeout_seconds + FORWARDING_MARGIN_SECONDS,
        )
        self.registry.observe(node.claim, node.release)
        return node

    def _end_orphaned_connections(self) -> Coroutine[Any, Any, None]:
        """Alone, a process knows every live connection; in a cluster, the presence leases tell."""

        async def connected_here(charge_point_id: str) -> bool:
            return self.registry.is_connected(charge_point_id)

        return jobs.end_orphaned_connections(
            self.deps,
            connected_here if self.cluster is None else self.cluster.is_live,
            grace_seconds=self.settings.presence_ttl_seconds,
            interval_seconds=self.settings.presence_refresh_seconds,
        )

    async def _ready(self) -> None:
        """Ready to serve: the database answers, and events reach every process (with Redis: the bus is
        connected, otherwise subscriptions here would miss what happens elsewhere)."""
        await self.database.ping()
        if not self.bus.connected:
            raise Unavailable("the event bus has lost Redis: events between processes are not flowing")

    @property
    def api_port(self) -> int:
        """The bound port (useful when settings asked for port 0)."""
        return int(self.http.servers[0].sockets[0].getsockname()[1])

    @property
    def ocpp_port(self) -> int:
        return self.ocpp.port

    @property
    def ocpp_tls_url(self) -> str | None:
        """wss://HOST:PORT/ocpp, when the OCPP server listens for TLS."""
        port = self.ocpp.tls_port
        return None if port is None else f"wss://{self.settings.host}:{port}/ocpp"

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.host}:{self.api_port}"

    @property
    def ocpp_url(self) -> str:
        """Raises RuntimeError on an API node, which listens for no charger."""
        return f"ws://{self.settings.host}:{self.ocpp_port}/ocpp"

    async def __aenter__(self) -> Self:
        await self.bus.start()
        await self.journal.start()
        await self.group_commit.start()
        if self.cluster is not None:
            await self.cluster.start()  # serving commands before any charger can connect here
        if self.settings.serves_ocpp:
            await self.ocpp.start()
        sockets = [shared_socket(self.settings.host, self.settings.api_port)] if self.settings.reuse_port else None
        self._tasks.append(asyncio.create_task(self.http.serve(sockets), name="http"))
        while not self.http.started:
            if self._tasks[0].done():
                self._tasks[0].result()  # raises why the HTTP server could not start (e.g. port in use)
            await asyncio.sleep(0.01)
        self._tasks.append(asyncio.create_task(jobs.expire_pairing_sessions(self.deps), name="pairing-expiry"))
        self._tasks.append(
            asyncio.create_task(
                jobs.sync_local_lists(self.deps, self.registry.is_connected, self.settings.local_list_sync_seconds),
                name="local-list-sync",
            )
        )
        self._tasks.append(
            asyncio.create_task(
                jobs.purge_old_logs(
                    self.deps, self.settings.log_retention_days, audit_retention_days=self.settings.audit_retention_days
                ),
                name="log-purge",
            )
        )
        self._tasks.append(asyncio.create_task(self._end_orphaned_connections(), name="orphaned-connections"))
        if self.cluster is None:  # with Redis, whoever revokes a key (the CLI included) tells every process
            self._tasks.append(asyncio.create_task(jobs.announce_revocations(self.deps), name="revocations"))
        self._tasks.append(
            asyncio.create_task(
                jobs.flush_key_usage(self.key_usage, self.settings.api_key_usage_flush_seconds), name="key-usage"
            )
        )
        log.info(
            "autocharge_started",
            api=self.api_url,
            ocpp=self.ocpp_url if self.settings.serves_ocpp else None,
            ocpp_tls=self.ocpp_tls_url,  # None unless listening for wss://
            node=self.settings.node_id,
            role=self.settings.role,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        log.info("autocharge_stopping", node=self.settings.node_id)
        self.http.should_exit = True  # stops accepting at once; running requests may finish
        # Stop accepting; every charger gets 1001 (it reconnects to another node), its disconnection is recorded
        # unless it has moved, and its lease is released. No frame can come in or go out after this.
        await self.ocpp.stop()
        # The last units of work that joined a group commit (the disconnections just recorded among them) are
        # committed before the writer ends.
        await self.group_commit.stop()
        # Every frame received or answered is written (or set aside), and published, before exiting; what the
        # database could not take within the grace period is counted, and makes `autocharge serve` exit non-zero.
        self.frames_not_stored = await self.journal.stop(JOURNAL_SHUTDOWN_GRACE_SECONDS)
        if self.frames_not_stored:
            log.error("autocharge_frames_not_stored", frames=self.frames_not_stored, node=self.settings.node_id)
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.principals.close()
        try:
            await self.key_usage.flush()  # the last minute of API key use
        except Exception:  # the database may be down: only lastUsedAt is lost
            log.warning("api_key_usage_not_stored", node=self.settings.node_id, exc_info=True)
        if self.cluster is not None:
            await self.cluster.stop()  # no more commands served here; after HTTP, whose requests may use it
        if self.verdicts is not None:
            await self.verdicts.close()
        await self.bus.close()
        for throttle in (*self.failed_logins, *([self.api_rate] if self.api_rate else [])):
            await throttle.close()
        await self.database.dispose()
        log.info("autocharge_stopped", node=self.settings.node_id)


def _ocpp_tls(settings: Settings) -> ssl.SSLContext | None:
    """The wss:// listener's context when a certificate is configured; a missing or bad file fails start-up."""
    if settings.ocpp_tls_cert is None or settings.ocpp_tls_key is None:
        return None
    return server_context(settings.ocpp_tls_cert, settings.ocpp_tls_key, settings.ocpp_tls_client_ca)


async def prepare_database(settings: Settings) -> None:
    """Alembic is the only way a schema is made, on SQLite and PostgreSQL alike."""
    await upgrade_database(settings.database_url)
