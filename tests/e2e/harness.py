"""A running back office for end-to-end tests: real servers on ephemeral ports, real sockets, a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from autocharge.main import Autocharge
from autocharge.settings import Settings
from autocharge.simulator import SimulatedCharger
from domain.model import ApiRole, Tenant
from domain.services.tenants import create_api_key, create_tenant
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
    tenant = await create_tenant(server.deps.directory, name)
    _, admin = await create_api_key(server.deps.directory, tenant.slug, ApiRole.ADMIN)
    _, reader = await create_api_key(server.deps.directory, tenant.slug, ApiRole.READ_ONLY)
    return TenantAccess(tenant, Api(server, admin), Api(server, reader))


def test_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "api_port": 0,
        "ocpp_port": 0,
        "heartbeat_interval_seconds": 60,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Autocharge]:
    async with Autocharge(settings) as server:
        yield server


def charger(server: Autocharge, cpid: str, version: str = "1.6", password: str | None = None) -> SimulatedCharger:
    """A simulated Autocharge charger connected to this server (use with `async with`)."""
    return SimulatedCharger(f"{server.ocpp_url}/{cpid}", version, password)  # type: ignore[arg-type]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait for something another task, process or the database makes true; fail after `within` seconds."""
    async with asyncio.timeout(within):
        # Polling on purpose: the state lives in a database or another process, with no event to await.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
