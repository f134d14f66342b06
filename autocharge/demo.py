"""`autocharge demo`: the whole Autocharge story on the embedded database, narrated step by step.

It plays what an operator does in the back office, through the public GraphQL API, against a simulated charger.
Running it again reuses the demo tenant, charger and driver, retires the previous demo vehicle and pairs a
new one with a new MAC address, so every run tells the same story.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from autocharge.main import Autocharge, prepare_database
from autocharge.settings import Settings
from autocharge.simulator import Reporter, ResidentCharger, SimulatedCharger, Step, printing
from domain.commands import CreateApiKey, CreateTenant
from domain.model import ApiRole
from domain.ports import Directory
from domain.services.api_keys import create_key
from domain.services.tenants import create_tenant

TENANT, CHARGER, EMAIL, PLATE = "Demo Fleet", "DEMO-CP1", "driver@demo.example", "DEMO1"
Out = Callable[[str], object]
CONNECT_TIMEOUT_SECONDS = 30  # for the resident charger's first connection, before the next steps are printed


def new_mac() -> str:
    """A locally administered unicast MAC (first octet 02), new on every call: a vehicle nobody has paired."""
    return "02" + secrets.token_hex(5).upper()


class GraphQLError(RuntimeError):
    pass


class GraphQL:
    """The smallest client that shows what a front end sends: a POST with the bearer key."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self._client, self._headers = client, {"Authorization": f"Bearer {key}"}

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self._client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self._headers
        )
        body = response.json()
        if body.get("errors"):
            error = body["errors"][0]
            raise GraphQLError(f"{error.get('extensions', {}).get('code')}: {error['message']}")
        data: dict[str, Any] = body["data"]
        return data


async def _demo_key(directory: Directory) -> str:
    tenant = await directory.tenant_by_slug("demo-fleet")
    if tenant is None:
        tenant = await create_tenant(directory, CreateTenant(TENANT))
    _, secret = await create_key(directory, CreateApiKey(tenant.id, ApiRole.ADMIN))
    return secret


async def _ensure_charger(gql: GraphQL) -> dict[str, Any]:
    page = await gql("{ chargers(first: 500) { edges { node { id chargePointId } } } }")
    for edge in page["chargers"]["edges"]:
        if edge["node"]["chargePointId"] == CHARGER:
            return dict(edge["node"])
    created = await gql(
        "mutation($i: RegisterChargerInput!) { registerCharger(input: $i) { id chargePointId } }",
        i={"chargePointId": CHARGER, "name": "Depot DC 1", "autochargeSupported": True},
    )
    return dict(created["registerCharger"])


async def _ensure_driver(gql: GraphQL) -> dict[str, Any]:
    found = await gql("query($s: String) { users(search: $s) { edges { node { id email } } } }", s=EMAIL)
    for edge in found["users"]["edges"]:
        if edge["node"]["email"] == EMAIL:
            return dict(edge["node"])
    created = await gql(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id email } }",
        i={"email": EMAIL, "name": "Dana Driver"},
    )
    return dict(created["createUser"])


async def _fresh_vehicle(gql: GraphQL, user_id: str) -> dict[str, Any]:
    old = await gql("query($s: String) { vehicles(search: $s, status: ACTIVE) { edges { node { id } } } }", s=PLATE)
    for edge in old["vehicles"]["edges"]:
        await gql("mutation($v: ID!) { retireVehicle(vehicleId: $v) { id } }", v=edge["node"]["id"])
    added = await gql(
        "mutation($i: AddVehicleInput!) { addVehicle(input: $i) { id licensePlate } }",
        i={"userId": user_id, "licensePlate": PLATE, "make": "Demo", "model": "EV"},
    )
    return dict(added["addVehicle"])


_READINESS = "autochargeReadiness autochargeSettingKey"


async def _autocharge_on(gql: GraphQL, charger_id: str, out: Out) -> None:
    """Read the charger's settings, show its Autocharge switch, and switch it on."""
    read = await gql(
        f"mutation($c: ID!) {{ refreshChargerSettings(chargerId: $c) {{ {_READINESS} settings {{ key }} }} }}",
        c=charger_id,
    )
    before = read["refreshChargerSettings"]
    out(
        f"   {len(before['settings'])} settings read; Autocharge switch {before['autochargeSettingKey']}: "
        f"{before['autochargeReadiness']}"
    )
    switched = await gql(
        "mutation($c: ID!) { setAutochargeEnabled(chargerId: $c, enabled: true) { status } }", c=charger_id
    )
    after = await gql(f"query($c: ID!) {{ charger(id: $c) {{ {_READINESS} }} }}", c=charger_id)
    out(
        f"   setAutochargeEnabled -> {switched['setAutochargeEnabled']['status']}; "
        f"readiness now {after['charger']['autochargeReadiness']}"
    )


async def play_story(server: Autocharge, out: Out = print) -> dict[str, Any]:
    """The narrated story; returns what a caller (or a test) may want to check."""
    step = _Steps(out)
    key = await _demo_key(server.deps.directory)
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as http:
        gql = GraphQL(http, key)
        step("The operator's back office: a charger, a driver and the driver's new car")
        charger, driver = await _ensure_charger(gql), await _ensure_driver(gql)
        vehicle = await _fresh_vehicle(gql, driver["id"])
        out(f"   charger {charger['chargePointId']}, driver {driver['email']}, vehicle {vehicle['licensePlate']}")
        mac = new_mac()
        url = f"{server.ocpp_url}/{CHARGER}"
        async with SimulatedCharger(url, "1.6", reporter=printing(lambda line: out(f"   {line}"))) as station:
            step("The charger connects and boots")
            await station.boot()
            await station.status(1, station.statuses.available)

            step("The back office checks that the charger is ready for Autocharge, and turns it on")
            await _autocharge_on(gql, charger["id"], out)

            step(f"An unknown vehicle plugs in (its modem's MAC is {mac}): the charger asks to authorize it")
            first = await station.run_session(mac)
            out(f"   -> {first.authorization}: no charging, as expected for a vehicle nobody has paired")

            step("The back office lists the token it just rejected, so nobody copies it out of the logs")
            seen = await gql(
                "query($c: ID) { unrecognisedIdentifiers(chargerId: $c) { value macAddress timesSeen } }",
                c=charger["id"],
            )
            for row in seen["unrecognisedIdentifiers"][:3]:
                out(f"   {row['value']}  ({row['macAddress']}, seen {row['timesSeen']}x)")

            step(f"The admin starts pairing {vehicle['licensePlate']} on {CHARGER}")
            started = await gql(
                "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c, timeoutSeconds: 120)"
                " { id status expiresAt } }",
                v=vehicle["id"],
                c=charger["id"],
            )
            session = started["startVehiclePairing"]
            out(f"   session {session['id']}: {session['status']} until {session['expiresAt']}")

            step("The vehicle plugs in: the identifier is captured and charging starts at once")
            paired_session = await station.run_session(mac)
            result = await gql(
                "query($s: ID!) { pairingSession(id: $s) { status identifier { value macAddress source } } }",
                s=session["id"],
            )
            pairing = result["pairingSession"]
            out(
                f"   pairing {pairing['status']}: {pairing['identifier']['value']} stored read-only "
                f"(source {pairing['identifier']['source']}); charged {paired_session.energy_wh} Wh"
            )

            step("The next plug-in needs nothing: Autocharge")
            again = await station.run_session(mac)
            out(f"   -> {again.authorization}, charged {again.energy_wh} Wh")

        step(f"What the fleet sees for {vehicle['licensePlate']}")
        report = await gql(
            "query($v: ID!) { vehicle(id: $v) { licensePlate activeIdentifier { value }"
            " transactions(first: 10) { edges { node { origin energyWh status charger { chargePointId } } } }"
            " chargingSummary { sessions autochargeSessions energyWh chargingSeconds } } }",
            v=vehicle["id"],
        )
        for edge in report["vehicle"]["transactions"]["edges"]:
            tx = edge["node"]
            out(f"   {tx['origin']:<10} {tx['status']:<9} {tx['energyWh']} Wh on {tx['charger']['chargePointId']}")
        summary = report["vehicle"]["chargingSummary"]
        out(
            f"   summary: {summary['sessions']} sessions, {summary['autochargeSessions']} by Auto charge, "
            f"{summary['energyWh']} Wh"
        )
    return {"key": key, "charger": charger, "vehicle": vehicle, "mac": mac, "pairing": pairing, "summary": summary}


class _Steps:
    def __init__(self, out: Out) -> None:
        self.out, self.number = out, 0

    def __call__(self, title: str) -> None:
        self.number += 1
        self.out(f"\n{self.number}. {title}")


def busy_port(settings: Settings) -> str | None:
    """Why the demo cannot listen where it would, in words and with the flag that fixes it; None when it can.

    Checked before anything starts, because a server failing to bind ends in a traceback in the middle of the
    story; ports 8000 and 9000 are often taken on a developer's machine.
    """
    for flag, port in (("--api-port", settings.api_port), ("--ocpp-port", settings.ocpp_port)):
        if port == 0:
            continue  # any free port
        try:
            with socket.create_server((settings.host, port)):
                pass
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else str(error)
            return f"cannot listen on {settings.host}:{port} ({reason}): choose another port with {flag}"
    return None


def _autocharge_command() -> list[str]:
    """How a shell reaches this installation's `autocharge`: the console script beside this Python (relative to
    the current directory when it is inside it, e.g. .venv/bin/autocharge), so no PATH change is needed."""
    script = Path(sys.executable).with_name("autocharge")
    if not script.is_file():
        return [sys.executable, "-m", "autocharge.cli"]
    if script.is_relative_to(Path.cwd()):
        return [str(script.relative_to(Path.cwd()))]
    return [str(script)]


def _what_next(server: Autocharge, story: dict[str, Any], out: Out) -> None:
    charger_id, key = story["charger"]["id"], story["key"]
    simulate = [*_autocharge_command(), "simulate", "--url", f"{server.ocpp_url}/{CHARGER}", "--mac", new_mac()]
    where = "from this directory" if not Path(simulate[0]).is_absolute() else "from any directory"
    out(f"""
The server keeps running, and so does the charger {CHARGER} (idle, connector Available).
Open the back office at {server.api_url}/ and sign in with the key
  {key}
(Users -> More actions -> Assets -> Vehicles shows the paired vehicle; Transactions shows "Auto charge").

Open GraphiQL at {server.api_url}/graphql
and set the header  {{"Authorization": "Bearer {key}"}}

A subscription to paste (the charger's Real-Time Logs, live):
  subscription {{ ocppLogs(chargerId: "{charger_id}") {{ timestamp direction action payload }} }}

A mutation to paste (pair {story["vehicle"]["licensePlate"]} again, as if its modem had been replaced):
  mutation {{ startVehiclePairing(vehicleId: "{story["vehicle"]["id"]}", chargerId: "{charger_id}") {{ id status }} }}

Then plug the car in within 5 minutes (the pairing's timeout): in another terminal, {where}, run
  {shlex.join(simulate)}
(it connects as {CHARGER}; the demo's own connection steps aside until it is done)

Ctrl-C stops the server.""")


def _charger_is_free(gql: GraphQL, charger_id: str) -> Callable[[], Awaitable[bool]]:
    """Whether no connection holds the charger, as the back office sees it (its connectionState)."""

    async def is_free() -> bool:
        try:
            found = await gql("query($c: ID!) { charger(id: $c) { connectionState } }", c=charger_id)
        except (httpx.HTTPError, GraphQLError):
            return False  # ask again later: the server may be busy or stopping
        return bool(found["charger"]["connectionState"] != "CONNECTED")

    return is_free


def _notes_only(out: Out) -> Reporter:
    """The resident charger's own notes (connected, stepping aside), not every heartbeat it sends."""
    lines = printing(lambda line: out(f"   {line}"))

    def report(step: Step) -> None:
        if step.direction == "--":
            lines(step)

    return report


async def _serve_with_resident_charger(server: Autocharge, story: dict[str, Any], out: Out) -> None:
    """Keep DEMO-CP1 connected and idle until SIGINT/SIGTERM, so that the printed next steps work as pasted."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with httpx.AsyncClient(base_url=server.api_url, timeout=10) as http:
        resident = ResidentCharger(
            f"{server.ocpp_url}/{CHARGER}",
            is_free=_charger_is_free(GraphQL(http, story["key"]), story["charger"]["id"]),
            heartbeat_seconds=server.settings.heartbeat_interval_seconds,
            reporter=_notes_only(out),
        )
        out(f"\n{CHARGER} stays online for what you try next")
        running = asyncio.create_task(resident.run(), name="demo-charger")
        try:
            # The next steps need the charger online: print them once it is (or say why not).
            ready = [asyncio.ensure_future(resident.connected.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(ready, timeout=CONNECT_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for waiting in ready:
                waiting.cancel()
            if not resident.connected.is_set() and not stop.is_set():
                out(f"{CHARGER} did not connect within {CONNECT_TIMEOUT_SECONDS} s: pairing on it will fail")
            if not stop.is_set():
                _what_next(server, story, out)
                await stop.wait()
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


async def run_demo(settings: Settings, keep_running: bool = True, out: Out = print) -> int:
    out(f"Autocharge demo on {settings.database_url}")
    await prepare_database(settings)
    async with Autocharge(settings) as server:
        story = await play_story(server, out)
        if keep_running:
            await _serve_with_resident_charger(server, story, out)
    return 0
