"""The one settings class: read from AUTOCHARGE_* variables, overridden by CLI flags, passed down explicitly."""

from __future__ import annotations

import os
import re
import socket
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal, Self

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def networks(spec: str) -> list[IPv4Network | IPv6Network]:
    """'127.0.0.1, 10.0.0.0/8' as networks; ValueError for anything that is not an address or a network."""
    return [ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


def origins(spec: str) -> list[str]:
    return [part.strip() for part in spec.split(",") if part.strip()]


# An origin as browsers send it: no path, no trailing slash, no wildcard (the allow-list is explicit).
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./autocharge.db"


def _default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOCHARGE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL connections per process. A fixed pool: connections opened past it ("overflow") are closed on
    # return, and under a steady load that reopened one per request (TLS handshake and all).
    database_pool_size: int = Field(default=20, ge=1)
    # How long a request waits for a pooled connection before it fails as Unavailable.
    database_pool_timeout_seconds: float = Field(default=10, gt=0)
    # Unset: one process, events stay in memory. Set: processes share events, presence and commands.
    redis_url: str | None = None
    # Names this process in the cluster: the holder of its chargers' presence, the address of its commands.
    node_id: str = Field(default_factory=_default_node_id, min_length=1)
    # Every Redis key and channel starts with it: clusters (or test runs) can share one Redis.
    redis_prefix: str = Field(default="autocharge", min_length=1, pattern=r"^[A-Za-z0-9._\-]+$")
    # A node's claim on a charger lapses this long after its last refresh (e.g. the node died).
    # It is also how long a charger of a killed process may stay CONNECTED: leases lapse after the TTL and every
    # refresh period each process ends the connections nobody holds (worst case TTL + refresh, 25 s).
    presence_ttl_seconds: float = Field(default=20, gt=0)
    presence_refresh_seconds: float = Field(default=5, gt=0)

    # What this process serves: "all" (chargers and the API), or one of them in a cluster of processes
    # (needs redis_url): "ocpp" nodes answer chargers and expose only /health, /ready and /metrics over HTTP;
    # "api" nodes serve GraphQL, exports and the UI, and reach chargers through the nodes that hold them. Heavy
    # API work then never holds the event loop that answers chargers.
    role: Literal["all", "ocpp", "api"] = "all"

    # `serve` runs this many processes sharing the two ports (SO_REUSEPORT), one cluster through Redis: one
    # per core uses every core. More than one needs redis_url and fixed ports.
    workers: int = Field(default=1, ge=1, le=64)
    # Bind both ports with SO_REUSEPORT, so that several processes on this host share them (the workers do).
    reuse_port: bool = False

    host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    ocpp_port: int = Field(default=9000, ge=0, le=65535)

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # OCPP
    heartbeat_interval_seconds: int = Field(default=300, ge=1)
    # A charger silent for this long (no frame, no pong) is marked disconnected.
    charger_idle_timeout_seconds: float = Field(default=900, gt=0)
    # A bigger frame closes the connection with 1009 (message too big).
    ocpp_max_frame_bytes: int = Field(default=1_048_576, ge=1024)
    ocpp_command_timeout_seconds: float = Field(default=30, gt=0)
    # Read a charger's settings (GetConfiguration / GetBaseReport) in the background after its first
    # BootNotification and after one with a new firmware version.
    ocpp_read_settings_after_boot: bool = True
    # How often changes to identifiers and RFID tags are sent to the chargers holding a local list (Differential).
    local_list_sync_seconds: float = Field(default=30, gt=0)
    # A connection that has not finished its HTTP upgrade (password check included) by then is dropped.
    ocpp_handshake_timeout_seconds: float = Field(default=10, gt=0)
    # Websocket pings find dead TCP peers: no pong within the timeout closes the connection (1011) and the
    # charger is marked disconnected, long before the idle timeout would.
    ocpp_ping_interval_seconds: float = Field(default=20, gt=0)
    ocpp_ping_timeout_seconds: float = Field(default=20, gt=0)
    # Inbound CALLs per connection (a token bucket): this many a second sustained, bursts up to ocpp_call_burst
    # (a charger flushing its offline queue). Past it a CALL is answered with a CALLERROR (GenericError).
    ocpp_call_rate_per_second: float = Field(default=20, gt=0)
    ocpp_call_burst: int = Field(default=40, ge=1)
    # A charger whose CALLs are refused this many times within ten seconds is closed with 1008.
    ocpp_call_flood_close_after: int = Field(default=100, ge=1)
    # OCPP over TLS (Security Profiles 2 and 3): with a certificate and its key (PEM files), chargers may also
    # connect with wss:// on ocpp_tls_port. A charger of profile 2 or 3 must.
    ocpp_tls_cert: str | None = None
    ocpp_tls_key: str | None = None
    ocpp_tls_port: int = Field(default=9443, ge=0, le=65535)
    # The CA bundle (PEM) that chargers' client certificates are verified against (profile 3). Unset: no client
    # certificate is asked for, so no charger can meet profile 3.
    ocpp_tls_client_ca: str | None = None

    # Failed logins (charger passwords, API keys), limits notation, fixed windows: past it, refused unchecked.
    # Per identity (a chargePointId, an API key's prefix), and per source address.
    auth_failure_limit_per_identity: str = "10/minute;50/hour"
    auth_failure_limit_per_address: str = "20/minute;200/hour"
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client, on both ports:
    # behind nginx every client would otherwise share nginx's address, and its failures.
    trusted_proxies: str = "127.0.0.1,::1"
    log_retention_days: int = Field(default=30, ge=1)
    # Audit log entries (one per mutation) older than this are purged, hourly, with the OCPP logs.
    audit_retention_days: int = Field(default=365, ge=1)

    # GraphQL
    graphql_max_depth: int = Field(default=15, ge=2)
    # An upper bound on the values an answer can hold: each field once per item, `first`/`last` multiplying
    # what is below them (see api.query_cost). Pricier documents are refused before they run.
    graphql_max_cost: int = Field(default=10_000, ge=1)
    graphql_max_aliases: int = Field(default=100, ge=0)
    # Larger documents are refused before they are parsed.
    graphql_max_document_bytes: int = Field(default=65_536, ge=1024)
    # HTTP request bodies (a document with its variables): larger ones are refused (413) as they arrive.
    api_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Each API key's GraphQL operations and exports (`limits` notation, fixed windows: a burst of 100 in a
    # second, 50/s sustained), counted in Redis by every process together when redis_url is set. Empty: no limit.
    api_rate_limit: str = "100/second;500/10 seconds"
    subscription_queue_size: int = Field(default=1000, ge=1)
    # Web origins (scheme://host[:port], comma-separated) whose pages may call the API from a browser (CORS).
    # Unset: none; the UI served by this process needs none.
    api_cors_origins: str | None = None
    # API keys' lastUsedAt is kept in memory and written this often (not once per request).
    api_key_usage_flush_seconds: float = Field(default=60, gt=0)
    # Authorize's facts about a vehicle token held in memory, per tenant, charger and token (see infra/verdicts.py),
    # dropped by the events that change them. 0: every Authorize reads the database.
    verdict_cache_size: int = Field(default=100_000, ge=0)
    # Held facts are read again after this long: the bound on a change whose events were lost on publishing.
    verdict_cache_max_age_seconds: float = Field(default=300, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @field_validator("api_rate_limit")
    @classmethod
    def _rate_notation(cls, spec: str) -> str:
        if spec.strip() and not parse_many(spec):  # parse_many raises ValueError on text it cannot read
            raise ValueError(f"api_rate_limit {spec!r}: expected e.g. '100/second;500/10 seconds'")
        return spec.strip()

    @field_validator("auth_failure_limit_per_identity", "auth_failure_limit_per_address")
    @classmethod
    def _rate_limit(cls, spec: str) -> str:
        try:
            parse_many(spec)
        except ValueError:
            raise ValueError(f"{spec!r} is not a rate limit such as '10/minute' or '10/minute;50/hour'") from None
        return spec

    @field_validator("api_cors_origins")
    @classmethod
    def _origins(cls, spec: str | None) -> str | None:
        for origin in origins(spec or ""):
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"api_cors_origins: {origin!r} is not an origin such as https://fleet.example:8443")
        return spec

    @property
    def cors_origins(self) -> list[str]:
        return origins(self.api_cors_origins or "")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, spec: str) -> str:
        try:
            networks(spec)
        except ValueError as error:
            raise ValueError(f"trusted_proxies: {error}") from None
        return spec

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return networks(self.trusted_proxies)

    @model_validator(mode="after")
    def _tls_complete(self) -> Self:
        if (self.ocpp_tls_cert is None) != (self.ocpp_tls_key is None):
            raise ValueError("ocpp_tls_cert and ocpp_tls_key go together: set both, or neither")
        if self.ocpp_tls_client_ca is not None and self.ocpp_tls_cert is None:
            raise ValueError("ocpp_tls_client_ca needs ocpp_tls_cert and ocpp_tls_key (client certificates need TLS)")
        return self

    @model_validator(mode="after")
    def _refresh_within_ttl(self) -> Self:
        if self.presence_refresh_seconds >= self.presence_ttl_seconds:
            raise ValueError("presence_refresh_seconds must be shorter than presence_ttl_seconds")
        return self

    @model_validator(mode="after")
    def _split_role_needs_redis(self) -> Self:
        if self.role != "all" and self.redis_url is None:
            raise ValueError(
                f"role {self.role!r} serves part of a cluster: set redis_url so that the other processes "
                "(serving the rest) share events, presence and commands with it"
            )
        return self

    @model_validator(mode="after")
    def _workers_share_a_cluster(self) -> Self:
        if self.workers > 1 and self.redis_url is None:
            raise ValueError(
                f"workers={self.workers}: several processes are one back office only through Redis; set redis_url "
                "(or run one worker)"
            )
        if self.workers > 1 and 0 in (self.api_port, self.ocpp_port):
            raise ValueError("several workers share fixed ports: api_port and ocpp_port cannot be 0")
        return self

    @property
    def serves_ocpp(self) -> bool:
        return self.role in ("all", "ocpp")

    @property
    def serves_api(self) -> bool:
        return self.role in ("all", "api")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
