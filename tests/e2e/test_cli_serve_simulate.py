"""`autocharge simulate` against `autocharge serve`: the installed command, as real processes, on a SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.harness import eventually

AUTOCHARGE = str(Path(sys.executable).parent / "autocharge")  # the console script installed in the virtualenv
MAC = "0a:1b:2c:3d:4e:5f"
# Starting a process imports the whole stack and checks the schema: seconds on a busy machine.
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp_path: Path) -> dict[str, str]:
    """This process's environment without AUTOCHARGE_* settings of its own, on a SQLite file in tmp_path."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCHARGE_")}
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'autocharge.db'}"
    return inherited | {"AUTOCHARGE_DATABASE_URL": database_url, "AUTOCHARGE_LOG_LEVEL": "WARNING"}


async def autocharge(env: dict[str, str], *args: str) -> tuple[int | None, str]:
    """Run one `autocharge` command to its end: (exit code, stdout and stderr)."""
    process = await asyncio.create_subprocess_exec(
        AUTOCHARGE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    async with asyncio.timeout(STARTUP_SECONDS):
        out, _ = await process.communicate()
    return process.returncode, out.decode()


async def autocharge_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out = await autocharge(env, *args, "--json")
    assert code == 0, out
    answer: dict[str, Any] = json.loads(out)
    return answer


@dataclass
class Served:
    """`autocharge serve` in its own process."""

    process: asyncio.subprocess.Process
    env: dict[str, str]
    api_url: str
    ocpp_url: str
    log: Path

    async def stop(self) -> int | None:
        """SIGTERM, as a process manager stops it; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STARTUP_SECONDS):
            return await self.process.wait()

    async def answers_health(self) -> bool:
        if self.process.returncode is not None:
            raise AssertionError(f"autocharge serve exited with {self.process.returncode}:\n{self.log.read_text()}")
        try:
            async with httpx.AsyncClient(base_url=self.api_url, timeout=1) as client:
                return (await client.get("/health")).status_code == 200
        except httpx.TransportError:
            return False  # not listening yet


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], tmp_path: Path, *flags: str) -> AsyncIterator[Served]:
    """`autocharge serve` on two free ports (and `flags`), once it answers /health; killed at the end if still
    running."""
    api_port, ocpp_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            AUTOCHARGE,
            *("serve", "--api-port", str(api_port), "--ocpp-port", str(ocpp_port), *flags),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    served = Served(process, env, f"http://127.0.0.1:{api_port}", f"ws://127.0.0.1:{ocpp_port}/ocpp", log)
    try:
        await eventually(served.answers_health, within=STARTUP_SECONDS)
        yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


class GraphQL:
    """GraphQL over HTTP with an API key made by `autocharge apikey create`."""

    def __init__(self, api_url: str, key: str) -> None:
        self.api_url, self.key = api_url, key

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.key}"},
            )
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


async def test_a_simulated_charger_charges_a_served_back_office_and_the_session_shows_in_the_api(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path)
    tenant = await autocharge_json(env, "tenant", "create", "Acme Fleet")
    key = await autocharge_json(env, "apikey", "create", "--tenant", tenant["slug"], "--role", "admin")

    async with serving(env, tmp_path) as served:
        admin = GraphQL(served.api_url, key["key"])
        await admin('mutation { registerCharger(input: {chargePointId: "CP-1", name: "Depot"}) { id } }')
        user = await admin('mutation { createUser(input: {email: "dana@acme.example", name: "Dana"}) { id } }')
        add_vehicle = 'mutation($u: ID!) { addVehicle(input: {userId: $u, licensePlate: "AB-123-CD"}) { id } }'
        vehicle = (await admin(add_vehicle, u=user["createUser"]["id"]))["addVehicle"]["id"]
        add_mac = "mutation($v: ID!, $m: String!) { addVehicleIdentifier(vehicleId: $v, value: $m) { id } }"
        await admin(add_mac, v=vehicle, m=MAC)

        code, out = await autocharge(env, "simulate", "--url", f"{served.ocpp_url}/CP-1", "--mac", MAC)

        assert code == 0, out
        assert "[CP-1] -> Authorize idTag=VID:0A1B2C3D4E5F" in out
        assert "done: 1 Autocharge session(s) on CP-1 with VID:0A1B2C3D4E5F, 3000 Wh charged" in out
        data = await admin("{ transactions { edges { node { origin status energyWh idTag vehicle { id } } } } }")
        assert [edge["node"] for edge in data["transactions"]["edges"]] == [
            {
                "origin": "AUTOCHARGE",
                "status": "COMPLETED",
                "energyWh": 3000,
                "idTag": "VID:0A1B2C3D4E5F",
                "vehicle": {"id": vehicle},
            }
        ]


async def test_a_served_back_office_exits_0_on_sigterm(tmp_path: Path) -> None:
    async with serving(environment(tmp_path), tmp_path) as served:  # serve migrates a new database itself
        assert await served.stop() == 0
