"""The `autocharge` command: serve, migrate, tenants and API keys, the charger simulator and the demo."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import io
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from importlib.metadata import version
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import structlog
import typer

from autocharge.logs import configure_logging
from autocharge.settings import Settings
from domain.errors import DomainError

if TYPE_CHECKING:
    from domain.services.audit import AuditRecord

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, help="Autocharge back office: OCPP server, GraphQL API and tools.")
tenant_app = typer.Typer(no_args_is_help=True, help="Manage tenants (operators, fleets).")
apikey_app = typer.Typer(no_args_is_help=True, help="Manage API keys.")
certs_app = typer.Typer(no_args_is_help=True, help="Certificates for OCPP over TLS (Security Profiles 2 and 3).")
app.add_typer(tenant_app, name="tenant")
app.add_typer(apikey_app, name="apikey")
app.add_typer(certs_app, name="certs")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"autocharge {version('autocharge')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Autocharge back office: OCPP server, GraphQL API and tools."""


DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides AUTOCHARGE_DATABASE_URL.", show_default=False)
]


def _settings(**overrides: Any) -> Settings:
    """Environment first, then the flags that were given."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as error:
        typer.echo(f"error: invalid settings: {error}", err=True)
        raise typer.Exit(2) from None


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it comes with uvicorn[standard]): about twice the frames per CPU-second."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _run(work: Coroutine[Any, Any, T], *, fast_loop: bool = False) -> T:
    """Run a coroutine; a domain error becomes a one-line message and exit code 1, not a traceback."""
    try:
        with asyncio.Runner(loop_factory=_loop_factory() if fast_loop else None) as runner:
            return runner.run(work)
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None


def _line_buffered_stdout() -> None:
    """Write each line as it is printed, also to a pipe, a file or `docker run` without -t: Python buffers those
    in blocks, so whoever watches a long-running command would see nothing until it exits."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)


# Young objects between collections: a server makes thousands per call, so the default 700 collects every
# few calls.
GC_YOUNG_THRESHOLD = 20_000
GC_THRESHOLDS = (GC_YOUNG_THRESHOLD, 20, 100)
# A full collection (everything unfrozen, collected, frozen again) once the process's resident memory has grown
# by this factor since the last one: it bounds the memory that cyclic garbage among frozen objects can hold.
GC_FULL_COLLECTION_GROWTH = 1.5


class YoungOnlyCollector:
    """Keeps every collection pass short on a large long-lived heap: after each pass the survivors are frozen.

    A charger's connection is a hundred or so tracked objects that live for days; with 20,000 chargers the
    older generations would hold millions of them and every pass over those (automatic ones every few
    minutes) stops the event loop for a second or more. Frozen objects are never scanned, so a pass only
    walks what was allocated since the previous one. Frozen objects that die are still freed by their
    reference counts; those in reference cycles wait for the full collection this runs, on the event loop,
    when the resident memory has grown by GC_FULL_COLLECTION_GROWTH since the last one (that one pass does
    stop the loop, but only as often as the memory grows by half).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._full_pending = False
        self.full_collections = 0
        self._limit = resident_bytes() * GC_FULL_COLLECTION_GROWTH

    def start(self) -> None:
        """Collects and freezes what start-up built (it lives as long as the process), then watches every pass."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        self._limit = resident_bytes() * GC_FULL_COLLECTION_GROWTH
        gc.callbacks.append(self._after_pass)

    def stop(self) -> None:
        if self._after_pass in gc.callbacks:
            gc.callbacks.remove(self._after_pass)

    def _after_pass(self, phase: str, info: dict[str, int]) -> None:
        if phase != "stop":
            return
        gc.freeze()  # the survivors of this pass; freezing only moves lists, whatever their length
        if not self._full_pending and resident_bytes() > self._limit:
            self._full_pending = True
            # Not here: a collection cannot start inside another's callback (and this may be a worker thread).
            self._loop.call_soon_threadsafe(self.collect_all)

    def collect_all(self) -> None:
        """One full collection of the whole heap, frozen objects included; what survives is frozen again."""
        began, before = time.perf_counter(), resident_bytes()
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        self.full_collections += 1
        self._limit = resident_bytes() * GC_FULL_COLLECTION_GROWTH
        self._full_pending = False
        # Logged: the one pass that stops the event loop for long (a few tenths of a second per million objects).
        structlog.get_logger(__name__).info(
            "full garbage collection",
            collected=collected,
            seconds=round(time.perf_counter() - began, 3),
            resident_mib_before=round(before / 2**20),
        )


def resident_bytes() -> float:
    """The process's resident memory: /proc/self/statm on Linux, else its peak from getrusage."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return float(int(statm.read().split()[1]) * _PAGE_BYTES)
    except (OSError, IndexError, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
        return float(peak if sys.platform == "darwin" else peak * 1024)


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


async def _ensure_schema(settings: Settings, always: bool = False) -> None:
    """The embedded SQLite default is created and migrated on first use; PostgreSQL by `migrate` or `serve`."""
    if always or settings.is_sqlite:
        # Not autocharge.main.prepare_database: importing the whole server (API, OCPP) would slow every command.
        from infra.db.migrate import upgrade_database

        await upgrade_database(settings.database_url)


async def _with_directory(
    settings: Settings, work: Callable[[Any], Awaitable[T]], audited: AuditRecord | None = None
) -> T:
    """`work(directory)`; with `audited`, a change recorded in the audit log like a GraphQL mutation."""
    from infra.db.directory import SqlDirectory
    from infra.db.engine import Database

    await _ensure_schema(settings)
    database = Database(settings.database_url)
    try:
        directory = SqlDirectory(database.session_factory)
        if audited is None:
            return await work(directory)
        return await _audited(database, audited, work(directory))
    finally:
        await database.dispose()


async def _audited(database: Any, record: AuditRecord, change: Awaitable[T]) -> T:
    """The change, its audit entry written with it (or, when it fails or writes elsewhere, on its own)."""
    from domain.ids import utcnow
    from domain.services import audit
    from infra.db.audit import SqlAuditTrail

    trail = SqlAuditTrail(database.session_factory)
    with audit.auditing(record):
        try:
            result = await change
        except DomainError as error:
            with contextlib.suppress(DomainError):  # the error the operator sees is the command's own
                await audit.finish(record, trail, utcnow, error.code)
            raise
        await audit.finish(record, trail, utcnow, audit.OK)
    return result


def _audit(command: str, **arguments: Any) -> AuditRecord:
    """The audit record of a CLI command (no API key); its tenant is set once the command knows it."""
    from domain.services.audit import AuditRecord

    return AuditRecord(operation=command, arguments=arguments, api_key_id=None, tenant_id=None)


# `autocharge serve` exits with this when OCPP frames received could not be stored before the process ended.
EXIT_FRAMES_NOT_STORED = 3


async def _serve_until_signalled(settings: Settings, migrate: bool) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code: 0, or EXIT_FRAMES_NOT_STORED when frames were lost."""
    from autocharge.main import Autocharge

    await _ensure_schema(settings, always=migrate)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    collector = YoungOnlyCollector(loop)
    try:
        async with Autocharge(settings) as server:
            collector.start()
            if (
                settings.log_format == "console"
            ):  # JSON logs: stderr carries JSON lines only (autocharge_started has both)
                if settings.serves_api:
                    typer.echo(f"GraphQL  {server.api_url}/graphql", err=True)
                if settings.serves_ocpp:
                    typer.echo(f"OCPP     {server.ocpp_url}/{{chargePointId}}", err=True)
                    if server.ocpp_tls_url is not None:
                        typer.echo(f"OCPP TLS {server.ocpp_tls_url}/{{chargePointId}}", err=True)
            await stop.wait()
    finally:
        collector.stop()
    return EXIT_FRAMES_NOT_STORED if server.frames_not_stored else 0


def _check_tls_files(settings: Settings) -> None:
    """A missing or unreadable certificate, key or CA file: one line and exit 2, before anything starts."""
    if settings.ocpp_tls_cert is None or settings.ocpp_tls_key is None:
        return
    import ssl

    from ocpp_server.tls import server_context

    try:
        server_context(settings.ocpp_tls_cert, settings.ocpp_tls_key, settings.ocpp_tls_client_ca)
    except (OSError, ssl.SSLError) as error:  # SSLError is an OSError; named for the reader
        typer.echo(f"error: OCPP TLS: {error}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface for both servers [default: 127.0.0.1].")] = None,
    api_port: Annotated[int | None, typer.Option(help="GraphQL/HTTP port [default: 8000].")] = None,
    ocpp_port: Annotated[int | None, typer.Option(help="OCPP websocket port [default: 9000].")] = None,
    database_url: DatabaseUrl = None,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations before serving.")] = True,
    role: Annotated[
        str | None,
        typer.Option(help="all (default), or in a cluster with Redis: ocpp (chargers only) or api (GraphQL only)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes sharing both ports, one cluster through Redis [default: 1].", show_default=False),
    ] = None,
    ocpp_tls_cert: Annotated[
        str | None, typer.Option(help="Server certificate (PEM): also listen for wss://.", show_default=False)
    ] = None,
    ocpp_tls_key: Annotated[str | None, typer.Option(help="Its private key (PEM).", show_default=False)] = None,
    ocpp_tls_port: Annotated[int | None, typer.Option(help="OCPP wss:// port [default: 9443].")] = None,
    ocpp_tls_client_ca: Annotated[
        str | None,
        typer.Option(help="CA bundle (PEM) for chargers' client certificates (profile 3).", show_default=False),
    ] = None,
) -> None:
    """Run the OCPP server and the GraphQL API until SIGTERM or Ctrl-C.

    Exits 0 once everything is stopped and every OCPP frame is stored; 3 when frames could not be stored.
    """
    settings = _settings(
        host=host,
        api_port=api_port,
        ocpp_port=ocpp_port,
        database_url=database_url,
        role=role,
        workers=workers,
        ocpp_tls_cert=ocpp_tls_cert,
        ocpp_tls_key=ocpp_tls_key,
        ocpp_tls_port=ocpp_tls_port,
        ocpp_tls_client_ca=ocpp_tls_client_ca,
    )
    _check_tls_files(settings)
    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        from autocharge.workers import supervise

        _run(_ensure_schema(settings, always=migrate))  # once, before any worker serves
        code = _run(supervise(settings))
    else:
        code = _run(_serve_until_signalled(settings, migrate), fast_loop=True)
    if code:
        raise typer.Exit(code)


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the database schema (Alembic)."""
    settings = _settings(database_url=database_url)
    configure_logging(settings.log_level, "console")
    _run(_ensure_schema(settings, always=True))
    typer.echo("database is at the latest revision")


@tenant_app.command("create")
def tenant_create(
    name: str, database_url: DatabaseUrl = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Create a tenant; prints its id and slug."""
    from domain.commands import CreateTenant
    from domain.services.tenants import create_tenant

    settings = _settings(database_url=database_url)
    create = CreateTenant(name)
    tenant = _run(_with_directory(settings, lambda d: create_tenant(d, create), _audit("tenant create", name=name)))
    if as_json:
        typer.echo(json.dumps({"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name}))
    else:
        typer.echo(f"tenant {tenant.name}\n  id   {tenant.id}\n  slug {tenant.slug}")


class Role(enum.StrEnum):
    admin = "admin"
    read_only = "read_only"


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    role: Annotated[Role, typer.Option("--role")],
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. 'fleet integration'.")] = "",
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires", help="When it stops working: a time (2030-01-31T00:00Z; UTC if no zone) or 90d, 12h."
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key; the key is printed once, only its hash is stored."""
    from domain.commands import CreateApiKey
    from domain.model import ApiRole
    from domain.queries import tenant_id_by_slug
    from domain.services.api_keys import create_key

    settings = _settings(database_url=database_url)
    expires_at = _expiry(expires)
    record = _audit("apikey create", tenant=tenant, role=role.value.upper(), name=name, expires=expires)

    async def create(directory: Any) -> Any:
        tenant_id = record.tenant_id = await tenant_id_by_slug(directory, tenant)
        return await create_key(
            directory, CreateApiKey(tenant_id, ApiRole(role.value.upper()), name=name, expires_at=expires_at)
        )

    key, secret = _run(_with_directory(settings, create, record))
    if as_json:
        typer.echo(json.dumps({"key": secret, **_key_json(key)}))
    else:
        until = f"; expires {key.expires_at.isoformat()}" if key.expires_at else ""
        typer.echo(f"{secret}\n(role {key.role}{until}; store it now: it is not shown again)")


@apikey_app.command("list")
def apikey_list(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    include_revoked: Annotated[bool, typer.Option("--all", help="Also the revoked keys.")] = False,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The tenant's API keys, oldest first: id, prefix, role, name, expiry, last use (may lag by a minute)."""
    from domain.queries import list_keys, tenant_id_by_slug

    async def keys(directory: Any) -> Any:
        return await list_keys(directory, await tenant_id_by_slug(directory, tenant), include_revoked)

    found = _run(_with_directory(_settings(database_url=database_url), keys))
    if as_json:
        typer.echo(json.dumps([_key_json(key) for key in found]))
        return
    for key in found:
        state = "revoked" if key.revoked_at else f"expires {_when(key.expires_at)}" if key.expires_at else "active"
        typer.echo(f"{key.id}  {key.prefix}…  {key.role:<9}  {state:<32}  used {_when(key.last_used_at)}  {key.name}")


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `apikey list`).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke an API key. With AUTOCHARGE_REDIS_URL, every process of the cluster refuses it within a second."""
    from domain.commands import RevokeApiKey
    from domain.errors import NotFound
    from domain.ids import parse_id
    from domain.services.api_keys import revoke_key
    from infra.pubsub import bus_from_url

    settings = _settings(database_url=database_url)
    record = _audit("apikey revoke", id=key_id)

    async def revoke(directory: Any) -> Any:
        wanted = parse_id(key_id, "key id")
        tenant_id = record.tenant_id = await directory.api_key_tenant(wanted)
        if tenant_id is None:
            raise NotFound(f"API key {key_id} not found")
        bus = bus_from_url(settings.redis_url, prefix=settings.redis_prefix)
        await bus.start()
        try:
            return await revoke_key(directory, bus, RevokeApiKey(tenant_id, wanted))
        finally:
            await bus.close()

    key = _run(_with_directory(settings, revoke, record))
    typer.echo(f"revoked {key.id} ({key.prefix}…) at {key.revoked_at.isoformat()}")


def _expiry(spec: str | None) -> Any:
    """--expires: an ISO time (UTC when it names no zone) or a duration from now such as 90d, 12h, 30m."""
    from datetime import UTC, datetime, timedelta

    if spec is None:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes"}
    try:
        if spec[-1:] in units and spec[:-1].isdigit():
            return datetime.now(UTC) + timedelta(**{units[spec[-1]]: int(spec[:-1])})
        moment = datetime.fromisoformat(spec)
    except ValueError:
        typer.echo(f"error: --expires {spec!r}: expected a time such as 2030-01-31T00:00Z or 90d, 12h, 30m", err=True)
        raise typer.Exit(2) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _when(moment: Any) -> str:
    return "never" if moment is None else str(moment.isoformat(timespec="seconds"))


def _key_json(key: Any) -> dict[str, Any]:
    times = ("created_at", "expires_at", "last_used_at", "revoked_at")
    return {
        "id": str(key.id),
        "tenant_id": str(key.tenant_id),
        "role": key.role,
        "name": key.name,
        "prefix": key.prefix,
        **{name: None if getattr(key, name) is None else getattr(key, name).isoformat() for name in times},
    }


@certs_app.command("dev")
def certs_dev(
    out: Annotated[str, typer.Option("--out", help="The folder to write the PEM files to (created if needed).")],
    host: Annotated[str, typer.Option(help="The OCPP server's host name, for its certificate.")] = "localhost",
    charger: Annotated[
        list[str] | None,
        typer.Option("--charger", help="A chargePointId to make a client certificate for; repeatable."),
    ] = None,
) -> None:
    """Write a development CA, a server certificate for HOST and a client certificate per charger (not for
    production: the CA key is written beside it)."""
    from pathlib import Path

    from autocharge.certs import write_dev_ca

    try:
        made = write_dev_ca(Path(out), host, tuple(charger or ()))
    except (ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"CA       {made.ca.certificate}  (key {made.ca.key})")
    typer.echo(f"server   {made.server.certificate}  (key {made.server.key})")
    for cpid, pair in made.chargers.items():
        typer.echo(f"{cpid:<8} {pair.certificate}  (key {pair.key})")


class OcppVersion(enum.StrEnum):
    v16 = "1.6"
    v201 = "2.0.1"


@app.command()
def simulate(
    url: Annotated[str, typer.Option(help="The charger's websocket URL, ending with its chargePointId.")],
    mac: Annotated[str, typer.Option(help="The vehicle's MAC address / EVCCID.")] = "0A1B2C3D4E5F",
    ocpp: Annotated[OcppVersion, typer.Option("--ocpp")] = OcppVersion.v16,
    password: Annotated[str | None, typer.Option(help="HTTP Basic password (Security Profile 1).")] = None,
    sessions: Annotated[int, typer.Option(min=1)] = 1,
    meter_values: Annotated[int, typer.Option(min=0)] = 3,
    ca_file: Annotated[
        str | None,
        typer.Option(help="wss://: the CA (PEM) to trust the server by [default: the system's].", show_default=False),
    ] = None,
    cert: Annotated[
        str | None, typer.Option(help="wss://: client certificate (PEM), Security Profile 3.", show_default=False)
    ] = None,
    key: Annotated[str | None, typer.Option(help="The client certificate's key (PEM).", show_default=False)] = None,
) -> None:
    """Simulate an Autocharge DC charger: boot, plug in, authorize with the vehicle's MAC, charge, stop."""
    import ssl

    from autocharge.simulator import EXIT_USAGE, client_context
    from autocharge.simulator import simulate as run_simulation

    _line_buffered_stdout()
    tls = None
    if url.startswith("wss://"):
        try:
            tls = client_context(ca_file, cert, key)
        except (ValueError, OSError, ssl.SSLError) as error:
            typer.echo(f"error: TLS: {error}")
            raise typer.Exit(EXIT_USAGE) from None
    elif ca_file or cert or key:
        typer.echo("error: --ca-file, --cert and --key are for wss:// URLs")
        raise typer.Exit(EXIT_USAGE)
    code = asyncio.run(run_simulation(url, mac, ocpp.value, password, sessions, meter_values, tls=tls))
    raise typer.Exit(code)


@app.command()
def demo(
    api_port: Annotated[int | None, typer.Option(help="[default: 8000]")] = None,
    ocpp_port: Annotated[int | None, typer.Option(help="[default: 9000]")] = None,
    database_url: DatabaseUrl = None,
    keep_running: Annotated[
        bool, typer.Option(help="After the story, keep the server and the demo's charger running until Ctrl-C.")
    ] = True,
) -> None:
    """Start the server on the embedded database and play the whole Autocharge story, step by step."""
    from autocharge.demo import busy_port, run_demo

    _line_buffered_stdout()
    settings = _settings(api_port=api_port, ocpp_port=ocpp_port, database_url=database_url, log_level="WARNING")
    if (problem := busy_port(settings)) is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    configure_logging(settings.log_level, "console")
    sys.exit(_run(run_demo(settings, keep_running=keep_running), fast_loop=True))


@app.command()
def schema(
    out: Annotated[str | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Print the GraphQL schema this version serves (SDL); scripts/schema keeps api/schema.graphql in step."""
    from api.schema import schema as served

    text = served.as_str() + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        with open(out, "w", encoding="utf-8") as file:
            file.write(text)


if __name__ == "__main__":
    app()
