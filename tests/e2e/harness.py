"""A running back office for end-to-end tests: real servers on ephemeral ports, real sockets, a real database."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from autocharge.main import Autocharge
from autocharge.settings import Settings
from autocharge.simulator import SimulatedCharger
from domain.commands import CreateApiKey, CreateTenant
from domain.model import ApiRole, Tenant
from domain.services.api_keys import create_key
from domain.services.tenants import create_tenant
from tests.api.wsclient import GraphQLWs, authorised_ws


class GraphQLFailure(AssertionError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Api:
    """GraphQL over HTTP with one API key, as a front end or a fleet integration would call it."""

    def __init__(self, server: Autocharge, key: str) -> None:
        self.server, self.key = server, key

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.raw(query, **variables)
        if body.get("errors"):
            error = body["errors"][0]
            raise GraphQLFailure(error.get("extensions", {}).get("code", "?"), error["message"])
        data: dict[str, Any] = body["data"]
        return data

    async def raw(self, query: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.server.api_url, timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.key}"},
            )
        body: dict[str, Any] = response.json()
        return body

    async def error_code(self, query: str, **variables: Any) -> str:
        try:
            await self(query, **variables)
        except GraphQLFailure as failure:
            return failure.code
        raise AssertionError("expected a GraphQL error")

    def ws(self) -> AbstractAsyncContextManager[GraphQLWs]:
        return authorised_ws(f"ws://{self.server.settings.host}:{self.server.api_port}/graphql", self.key)

    # --- the admin's everyday steps ---

    async def register_charger(self, cpid: str, autocharge: bool = True, password: str | None = None) -> str:
        data = await self(
            "mutation($i: RegisterChargerInput!) { registerCharger(input: $i) { id } }",
            i={
                "chargePointId": cpid,
                "name": f"Charger {cpid}",
                "autochargeSupported": autocharge,
                "password": password,
            },
        )
        return str(data["registerCharger"]["id"])

    async def create_user(self, email: str, rfid: str | None = None) -> str:
        data = await self(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", i={"email": email, "name": "Driver"}
        )
        user_id = str(data["createUser"]["id"])
        if rfid is not None:
            await self("mutation($u: ID!, $t: String!) { addRfidTag(userId: $u, idTag: $t) { id } }", u=user_id, t=rfid)
        return user_id

    async def add_vehicle(self, user_id: str, plate: str) -> str:
        data = await self(
            "mutation($i: AddVehicleInput!) { addVehicle(input: $i) { id } }",
            i={"userId": user_id, "licensePlate": plate},
        )
        return str(data["addVehicle"]["id"])

    async def add_identifier(self, vehicle_id: str, value: str) -> dict[str, Any]:
        data = await self(
            "mutation($v: ID!, $x: String!) { addVehicleIdentifier(vehicleId: $v, value: $x) { id value status } }",
            v=vehicle_id,
            x=value,
        )
        return dict(data["addVehicleIdentifier"])

    async def transactions(self, **filter_: Any) -> list[dict[str, Any]]:
        data = await self(
            "query($f: TransactionFilter) { transactions(filter: $f, first: 500) { edges { node {"
            " id ocppTransactionId idTag origin status connectorId meterStartWh meterStopWh energyWh stopReason"
            " user { id } vehicle { id licensePlate } charger { chargePointId } } } } }",
            f=filter_ or None,
        )
        return [edge["node"] for edge in data["transactions"]["edges"]]


@dataclass
class TenantAccess:
    tenant: Tenant
    admin: Api
    read_only: Api


async def tenant_access(server: Autocharge, name: str) -> TenantAccess:
    tenant = await create_tenant(server.deps.directory, CreateTenant(name))
    _, admin = await create_key(server.deps.directory, CreateApiKey(tenant.id, ApiRole.ADMIN))
    _, reader = await create_key(server.deps.directory, CreateApiKey(tenant.id, ApiRole.READ_ONLY))
    return TenantAccess(tenant, Api(server, admin), Api(server, reader))


def test_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_port": 0,
        "ocpp_port": 0,
        "heartbeat_interval_seconds": 60,
        "log_level": "WARNING",
        # Tests that try dozens of bad keys or passwords on purpose are not about the login throttle; its own tests
        # (test_auth_throttle.py) set the limits they test.
        "auth_failure_limit_per_identity": "1000/minute",
        "auth_failure_limit_per_address": "1000/minute",
        # Likewise chargers that call as fast as they are answered: the CALL budget's own tests set theirs.
        "ocpp_call_rate_per_second": 100_000,
        "ocpp_call_burst": 100_000,
        # Nor are they about the settings read after a boot, whose CALL would come between a test's frames: the
        # station operations' own tests (test_ocpp_operations.py) turn it on.
        "ocpp_read_settings_after_boot": False,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Autocharge]:
    async with Autocharge(settings) as server:
        yield server


def charger(
    server: Autocharge, cpid: str, version: str = "1.6", password: str | None = None, **options: Any
) -> SimulatedCharger:
    """A simulated Autocharge charger connected to this server (use with `async with`); `options` go to
    SimulatedCharger (e.g. autocharge_switch, settings)."""
    return SimulatedCharger(f"{server.ocpp_url}/{cpid}", version, password, **options)  # type: ignore[arg-type]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait for something another task, process or the database makes true; fail after `within` seconds."""
    async with asyncio.timeout(within):
        # Polling on purpose: the state lives in a database or another process, with no event to await.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


# --- OCPP at the frame level (tests/e2e/test_ocpp_*) ---


@asynccontextmanager
async def raw_connection(
    server: Autocharge,
    cpid: str,
    version: str = "1.6",
    password: str | None = None,
    *,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[Any]:
    """A bare OCPP-J websocket (websockets' ClientConnection), for frames a well-behaved charger never sends.
    With `tls` (a client context: trusted CAs, maybe a client certificate), over wss:// to the TLS port."""
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    from autocharge.simulator import basic_auth

    headers = {"Authorization": basic_auth(cpid, password)} if password is not None else None
    base = server.ocpp_url if tls is None else server.ocpp_tls_url
    assert base is not None, "the server does not listen for TLS"
    async with connect(
        f"{base}/{cpid}", subprotocols=[Subprotocol(f"ocpp{version}")], additional_headers=headers, ssl=tls
    ) as ws:
        yield ws


async def exchange(ws: Any, frame: str | list[Any]) -> list[Any]:
    """Send one frame (text as is, a list as JSON) and return the server's parsed answer."""
    import json

    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    answer: list[Any] = json.loads(await ws.recv())
    return answer


@asynccontextmanager
async def ocpp_charge_point(
    server: Autocharge,
    cpid: str,
    version: str = "1.6",
    password: str | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    cls: type[Any] | None = None,
) -> AsyncIterator[Any]:
    """The `ocpp` package's own ChargePoint (ocpp.v16 or ocpp.v201, or `cls`, a subclass of it with handlers for
    the server's commands) on this server, its receive loop running; over wss:// with `tls` (see raw_connection)."""
    import contextlib

    from ocpp import v16, v201
    from websockets.exceptions import ConnectionClosed

    make = cls or (v16.ChargePoint if version == "1.6" else v201.ChargePoint)
    async with raw_connection(server, cpid, version, password, tls=tls) as ws:
        charge_point = make(cpid, ws, response_timeout=10)
        receiving = asyncio.create_task(charge_point.start())
        try:
            yield charge_point
        finally:
            await ws.close()
            with contextlib.suppress(ConnectionClosed):  # the loop ends with the socket we just closed
                await receiving


async def subscribed(server: Autocharge, tenant: Tenant, topic: str, count: int = 1) -> None:
    """Wait until the server holds `count` subscriptions on the tenant's topic: events before that are not seen."""
    # Polling on purpose: subscribing sends no message a client could await (pairingProgress aside).
    await eventually(lambda: _at_least(server.bus.subscribers(tenant.id, topic), count))


async def _at_least(value: int, count: int) -> bool:
    return value >= count


# --- data, plain HTTP and database outages (tests/e2e/test_api_*, test_health_*) ---


def seeding(server: Autocharge) -> Any:
    """tests.databases.Seed on the running server's own units of work: data in bulk without the API's cost."""
    from tests.databases import Seed

    return Seed(server.deps.uow, server.deps.directory)  # type: ignore[arg-type]


async def http_get(server: Autocharge, path: str, key: str | None = None, **params: str) -> httpx.Response:
    """One GET on the API's HTTP port, with `Authorization: Bearer key` when a key is given."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as client:
        return await client.get(path, params=params, headers=headers)


class DatabaseOutage:
    """Takes a running server's database away and gives it back, the server staying up all along.

    SQLite: the database file's folder is moved aside, and the connections the pool holds are found stale at
    checkout (the pre-ping the server does on PostgreSQL), so the next statement has to connect, and cannot.
    PostgreSQL: the server reaches it through a local TCP relay, which drops every connection and stops
    listening. The pool is not disposed: that would orphan the connections in use at that moment.
    """

    def __init__(self, server: Autocharge, folder: str | None, relay: TcpRelay | None) -> None:
        self.server, self._folder, self._relay = server, folder, relay

    async def begin(self) -> None:
        import os

        from sqlalchemy import event

        if self._folder is not None:
            os.rename(self._folder, f"{self._folder}-away")
            event.listen(self.server.database.engine.sync_engine, "checkout", _stale)
        if self._relay is not None:
            await self._relay.cut()

    async def end(self) -> None:
        import os

        from sqlalchemy import event

        if self._folder is not None:
            event.remove(self.server.database.engine.sync_engine, "checkout", _stale)
            os.rename(f"{self._folder}-away", self._folder)
        if self._relay is not None:
            await self._relay.start()


def _stale(*_: Any) -> None:
    from sqlalchemy.exc import DisconnectionError

    raise DisconnectionError("the database went away")  # the pool closes this connection and opens a new one


@asynccontextmanager
async def running_with_outages(database_url: str, **settings: Any) -> AsyncIterator[DatabaseOutage]:
    """A server on the `database_url` fixture's database that `begin()` and `end()` take away and give back."""
    import os
    import shutil

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    folder: str | None = None
    relay: TcpRelay | None = None
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        folder = os.path.join(os.path.dirname(url.database), "outage")
        os.mkdir(folder)
        moved = shutil.move(url.database, folder)
        served = url.set(database=moved)
    else:
        relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
        await relay.start()
        served = url.set(host="127.0.0.1", port=relay.port)
    try:
        async with running(test_settings(served.render_as_string(hide_password=False), **settings)) as server:
            yield DatabaseOutage(server, folder, relay)
    finally:
        if relay is not None:
            await relay.cut()


class TcpRelay:
    """Forwards a local port to host:port until cut; `start()` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = 0
        self._listener: asyncio.Server | None = None
        self._links: set[asyncio.Task[Any]] = set()
        self._ends: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._listener = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for end in self._ends:
            end.transport.abort()
        await asyncio.gather(*self._links, return_exceptions=True)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        ends = [writer]
        self._ends.add(writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
            ends.append(upstream_writer)
            self._ends.add(upstream_writer)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True)
        except OSError:
            pass  # the database itself is not there: the client sees its connection drop
        finally:
            for end in ends:
                end.transport.abort()
                self._ends.discard(end)
            self._links.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()  # one side gone: so is the other
