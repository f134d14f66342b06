"""A small central system on the `ocpp` package that records what a simulated charger sends."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from ocpp import v16, v201
from ocpp.routing import on
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from autocharge.simulator import (
    basic_auth,
)

MAC = "0A1B2C3D4E5F"
VID = f"VID:{MAC}"
RFID = "RFID-1"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _untimed(value: Any) -> Any:
    """The payload without its timestamps, which are the only thing that differs between runs."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "timestamp"}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


@dataclass
class Central:
    """A central system that accepts the tokens in `accepted` and records every frame it sees."""

    accepted: set[str]
    password: str | None = None
    known: set[str] = field(default_factory=lambda: {"CP-1"})
    drop_on: str | None = None  # close the socket when this action arrives
    unimplemented: set[str] = field(default_factory=set)  # actions answered with a NotImplemented CALLERROR
    base_url: str = ""
    frames: list[tuple[str, list[Any]]] = field(default_factory=list)  # ("in" | "out", OCPP-J message)
    authorization_headers: list[str | None] = field(default_factory=list)
    stations: dict[str, Any] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    last_transaction_id: int = 0

    def status_of(self, token: str) -> str:
        return "Accepted" if token in self.accepted else "Invalid"

    def calls(self) -> list[tuple[str, Any]]:
        """The charger's CALLs, in order: (action, payload without timestamps)."""
        return [(m[2], _untimed(m[3])) for d, m in self.frames if d == "in" and m[0] == 2]

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        header = request.headers.get("Authorization")
        self.authorization_headers.append(header)
        identity = request.path.rsplit("/", 1)[-1]
        if identity not in self.known:
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown charge point\n")
        if self.password is not None and header != basic_auth(identity, self.password):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
        return None

    async def handler(self, websocket: ServerConnection) -> None:
        identity = websocket.request.path.rsplit("/", 1)[-1] if websocket.request else "?"
        kind = CentralV16 if websocket.subprotocol == "ocpp1.6" else CentralV201
        station = kind(identity, _Recording(websocket, self), self)
        self.stations[identity] = station
        self.connected.set()
        with contextlib.suppress(ConnectionClosed):
            await station.start()


class _Recording:
    """The connection the central ChargePoint sees: it records both directions."""

    def __init__(self, websocket: ServerConnection, central: Central) -> None:
        self._websocket = websocket
        self._central = central

    async def recv(self) -> str:
        while True:
            raw = await self._websocket.recv()
            message = json.loads(raw)
            self._central.frames.append(("in", message))
            if message[0] == 2 and message[2] == self._central.drop_on:
                await self._websocket.close()
            if message[0] == 2 and message[2] in self._central.unimplemented:
                # Answered here, never routed: as a central system that does not implement the action.
                await self.send(json.dumps([4, message[1], "NotImplemented", f"{message[2]} is not implemented", {}]))
                continue
            return str(raw)

    async def send(self, raw: str) -> None:
        self._central.frames.append(("out", json.loads(raw)))
        await self._websocket.send(raw)


class CentralV16(v16.ChargePoint):  # type: ignore[misc]
    def __init__(self, identity: str, connection: _Recording, central: Central) -> None:
        super().__init__(identity, connection, response_timeout=5)
        self.central = central

    @on(v16.enums.Action.boot_notification)
    def on_boot(self, **_: Any) -> Any:
        return v16.call_result.BootNotification(current_time=_now(), interval=300, status="Accepted")

    @on(v16.enums.Action.status_notification)
    def on_status(self, **_: Any) -> Any:
        return v16.call_result.StatusNotification()

    @on(v16.enums.Action.authorize)
    def on_authorize(self, id_tag: str, **_: Any) -> Any:
        return v16.call_result.Authorize(id_tag_info={"status": self.central.status_of(id_tag)})

    @on(v16.enums.Action.start_transaction)
    def on_start(self, id_tag: str, **_: Any) -> Any:
        self.central.last_transaction_id += 1
        return v16.call_result.StartTransaction(
            transaction_id=self.central.last_transaction_id, id_tag_info={"status": self.central.status_of(id_tag)}
        )

    @on(v16.enums.Action.meter_values)
    def on_meter_values(self, **_: Any) -> Any:
        return v16.call_result.MeterValues()

    @on(v16.enums.Action.stop_transaction)
    def on_stop(self, **_: Any) -> Any:
        return v16.call_result.StopTransaction()

    @on(v16.enums.Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return v16.call_result.Heartbeat(current_time=_now())


class CentralV201(v201.ChargePoint):  # type: ignore[misc]
    def __init__(self, identity: str, connection: _Recording, central: Central) -> None:
        super().__init__(identity, connection, response_timeout=5)
        self.central = central

    @on(v201.enums.Action.boot_notification)
    def on_boot(self, **_: Any) -> Any:
        return v201.call_result.BootNotification(current_time=_now(), interval=300, status="Accepted")

    @on(v201.enums.Action.status_notification)
    def on_status(self, **_: Any) -> Any:
        return v201.call_result.StatusNotification()

    @on(v201.enums.Action.authorize)
    def on_authorize(self, id_token: dict[str, str], **_: Any) -> Any:
        return v201.call_result.Authorize(id_token_info={"status": self.central.status_of(id_token["id_token"])})

    @on(v201.enums.Action.transaction_event)
    def on_transaction_event(self, id_token: dict[str, str] | None = None, **_: Any) -> Any:
        if id_token is None:
            return v201.call_result.TransactionEvent()
        return v201.call_result.TransactionEvent(id_token_info={"status": self.central.status_of(id_token["id_token"])})

    @on(v201.enums.Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return v201.call_result.Heartbeat(current_time=_now())
