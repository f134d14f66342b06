"""The OCPP websocket server: ws://HOST:PORT/ocpp/{chargePointId}, OCPP 1.6J and 2.0.1 on one port; with a
certificate, wss://HOST:TLS_PORT/ocpp/{chargePointId} as well (Security Profiles 2 and 3)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import structlog
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from domain.services.deps import Deps
from ocpp_server.call_budget import CallBudget
from ocpp_server.client_address import ClientAddresses, IpNetwork
from ocpp_server.handshake import Handshake
from ocpp_server.metrics import OcppMetrics
from ocpp_server.registry import ConnectionRegistry
from ocpp_server.session import CHARGE_POINTS, ChargerSession
from ocpp_server.validation import precompile

logger = structlog.get_logger(__name__)

DEFAULT_CLOSE_TIMEOUT_SECONDS = 10  # without pings: websockets' default

# In order of preference: websockets picks the first one the charger also offers. A charger offering
# neither (or none at all) is refused during the handshake with HTTP 400.
SUBPROTOCOLS = {Subprotocol("ocpp2.0.1"): "2.0.1", Subprotocol("ocpp1.6"): "1.6"}


class OcppServer:
    """Serves chargers until stop(); the registry it fills is the ChargerCommands the domain is given.

    Choices a charger can observe:
    - no common subprotocol (or none offered): the handshake is refused with HTTP 400;
    - unknown chargePointId or a path outside /ocpp/: 404; missing or wrong Basic password: 401; directory down: 503;
    - a connection short of the charger's security profile (plain ws for profile 2 or 3; for 3, no client
      certificate or one whose CN is another chargePointId): 401, logged with the reason; a client certificate
      that the CA did not sign fails the TLS handshake itself, before any HTTP;
    - too many wrong passwords for the charger or from the address (deps.logins): 401 with Retry-After, the
      password unchecked, whether right or wrong (the address: X-Forwarded-For's, from a trusted proxy);
    - a connection that has not finished its opening handshake within handshake_timeout_seconds: dropped;
    - a second connection of one charger closes the first with 1000 "replaced by a new connection"; in a cluster,
      its connection to another process closes the one here with 1000 "connected to another node" (through the
      registry's connect/disconnect hooks and registry.hand_over, which the composition root wires up);
    - no OCPP frame for charger_idle_timeout_seconds: closed with 1000 (websocket pings keep the TCP connection
      checked but do not count as OCPP activity: chargers heartbeat at the interval we give them);
    - no pong within ping_timeout_seconds of a ping (sent every ping_interval_seconds): closed with 1011 by
      websockets, and the charger recorded as disconnected;
    - a frame over max_frame_bytes: closed with 1009 by websockets (that frame cannot be logged);
    - a binary frame: closed with 1003 (OCPP-J is text);
    - CALLs beyond call_rate_per_second (bursts of call_burst): each answered with a CALLERROR GenericError
      naming the limit; call_flood_close_after of those within 10 s: closed with 1008;
    - stop(): every charger is closed with 1001 and recorded as disconnected before stop() returns.
    """

    def __init__(
        self,
        deps: Deps,
        registry: ConnectionRegistry,
        *,
        host: str,
        port: int,
        heartbeat_interval_seconds: int = 300,
        charger_idle_timeout_seconds: float | None = 900,
        max_frame_bytes: int = 1_048_576,
        command_timeout_seconds: float = 30,
        metrics_registry: CollectorRegistry | None = None,
        ping_interval_seconds: float | None = 20,
        ping_timeout_seconds: float | None = 20,
        handshake_timeout_seconds: float = 10,
        call_rate_per_second: float | None = 20,
        call_burst: int = 40,
        call_flood_close_after: int = 100,
        trusted_proxies: Sequence[IpNetwork] = (),
        reuse_port: bool = False,
        tls: ssl.SSLContext | None = None,
        tls_port: int = 9443,
        read_settings_after_boot: bool = True,
    ) -> None:
        self._deps = deps
        self._registry = registry
        self._host = host
        self._port = port
        self._heartbeat_interval = heartbeat_interval_seconds
        self._idle_timeout = charger_idle_timeout_seconds
        self._max_frame_bytes = max_frame_bytes
        self._command_timeout = command_timeout_seconds
        self._read_settings_after_boot = read_settings_after_boot
        self._ping_interval = ping_interval_seconds
        self._ping_timeout = ping_timeout_seconds
        self._handshake_timeout = handshake_timeout_seconds
        self._call_rate = call_rate_per_second  # None: chargers' CALLs are not limited
        self._call_burst = call_burst
        self._call_flood_close_after = call_flood_close_after
        self._reuse_port = reuse_port  # several processes on this host share the port
        self._metrics = OcppMetrics(metrics_registry or CollectorRegistry())
        self._handshake = Handshake(deps.directory, self._metrics, deps.logins, ClientAddresses(trusted_proxies))
        self._tls = tls  # None: plain ws only
        self._tls_port = tls_port
        self._server: Server | None = None
        self._tls_server: Server | None = None

    @property
    def registry(self) -> ConnectionRegistry:
        return self._registry

    @property
    def port(self) -> int:
        """The bound port: the one asked for, or the one the OS chose for port 0."""
        if self._server is None:
            raise RuntimeError("the OCPP server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def tls_port(self) -> int | None:
        """The bound wss:// port; None without TLS."""
        if self._tls_server is None:
            return None
        return int(self._tls_server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        if self._server is not None:
            return
        for version, charge_point in CHARGE_POINTS.items():  # not on the first charger's calls
            precompile(version, list(charge_point.handlers))
        self._server = await self._listen(self._port, None)
        if self._tls is not None:
            self._tls_server = await self._listen(self._tls_port, self._tls)
        logger.info("ocpp server listening", host=self._host, port=self.port, tls_port=self.tls_port)

    async def _listen(self, port: int, tls: ssl.SSLContext | None) -> Server:
        # The TLS handshake comes before websockets' open_timeout starts: the event loop times it (default 60 s).
        tls_options: dict[str, Any] = {}
        if tls is not None:
            tls_options = {"ssl": tls, "ssl_handshake_timeout": self._handshake_timeout}
        return await serve(
            self._handle,
            self._host,
            port,
            subprotocols=list(SUBPROTOCOLS),
            process_request=self._handshake,
            max_size=self._max_frame_bytes,  # a bigger frame closes the connection with 1009
            compression=None,  # chargers rarely negotiate it, and it costs memory on every connection
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,  # no pong by then: the peer is gone, the connection closed with 1011
            # A peer's answer to our close is awaited as long as its pong (websockets' default, 10 s, would keep
            # a dead peer "connected" that much longer after its ping timeout).
            close_timeout=self._ping_timeout or DEFAULT_CLOSE_TIMEOUT_SECONDS,
            open_timeout=self._handshake_timeout,  # TCP opened but no upgrade (or a slow one): dropped
            reuse_port=self._reuse_port,
            **tls_options,
        )

    async def stop(self) -> None:
        """Close every charger with 1001 and wait until each session has recorded its disconnection."""
        if self._server is None:
            return
        servers = [server for server in (self._server, self._tls_server) if server is not None]
        self._server = self._tls_server = None
        for server in servers:
            server.close(close_connections=True, code=CloseCode.GOING_AWAY, reason="server shutting down")
        for server in servers:
            await server.wait_closed()
        logger.info("ocpp server stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, websocket: ServerConnection) -> None:
        login = self._handshake.login_of(websocket)
        version = SUBPROTOCOLS.get(websocket.subprotocol) if websocket.subprotocol else None
        if login is None or version is None:  # not reachable through the handshake; kept as a guard
            await websocket.close(CloseCode.PROTOCOL_ERROR, "no OCPP subprotocol negotiated")
            return
        session = ChargerSession(
            websocket,
            login,
            version,
            deps=self._deps,
            registry=self._registry,
            metrics=self._metrics,
            heartbeat_interval=self._heartbeat_interval,
            idle_timeout=self._idle_timeout,
            command_timeout=self._command_timeout,
            call_budget=self._call_budget(),
            read_settings_after_boot=self._read_settings_after_boot,
        )
        await session.run()

    def _call_budget(self) -> CallBudget | None:
        if self._call_rate is None:
            return None
        clock = asyncio.get_running_loop().time
        return CallBudget(self._call_rate, self._call_burst, self._call_flood_close_after, clock)
