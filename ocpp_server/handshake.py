"""The opening handshake: which charger is calling (the URL's last segment), and is it who it says (Basic auth)."""

from __future__ import annotations

import asyncio
import re
import weakref
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader
from websockets.headers import parse_authorization_basic
from websockets.http11 import Request, Response

from domain.errors import Unavailable
from domain.ports import Directory
from domain.queries import ChargerLogin
from domain.secrets import verify_password
from ocpp_server.metrics import OcppMetrics

logger = structlog.get_logger(__name__)

_PATH = re.compile(r"^/ocpp/([^/]+)/?$")


def charge_point_id_of(path: str) -> str | None:
    """ws://host/ocpp/{chargePointId}: the identity, percent-decoded; None for any other path."""
    match = _PATH.match(urlsplit(path).path)
    return unquote(match.group(1)) if match else None


def basic_password(headers: Headers, username: str) -> str | None:
    """The Basic auth password, when the header is there and its user is the charger itself."""
    header = headers.get("Authorization")
    if header is None:
        return None
    try:
        user, password = parse_authorization_basic(header)
    except InvalidHeader:
        return None
    return password if user == username else None


class Handshake:
    """websockets' process_request: refuse with an HTTP status, or remember who connected for the handler."""

    def __init__(self, directory: Directory, metrics: OcppMetrics) -> None:
        self._directory = directory
        self._metrics = metrics
        # Filled here, read once by the connection's handler; a handshake that fails later leaves nothing behind.
        self._logins: weakref.WeakKeyDictionary[ServerConnection, ChargerLogin] = weakref.WeakKeyDictionary()

    def login_of(self, connection: ServerConnection) -> ChargerLogin | None:
        return self._logins.pop(connection, None)

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        charge_point_id = charge_point_id_of(request.path)
        if charge_point_id is None:
            text = "Chargers connect to /ocpp/{chargePointId}"
            return self._refuse(connection, request, HTTPStatus.NOT_FOUND, "path", text)
        try:
            login = await self._directory.charger_login(charge_point_id)
        except Unavailable:
            return self._refuse(connection, request, HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "Try again later")
        if login is None:
            return self._refuse(
                connection, request, HTTPStatus.NOT_FOUND, "unknown", f"Unknown charger {charge_point_id}"
            )
        if login.password_hash is not None and not await self._password_ok(request, login):
            response = self._refuse(
                connection, request, HTTPStatus.UNAUTHORIZED, "unauthorized", "Wrong or missing password"
            )
            response.headers["WWW-Authenticate"] = 'Basic realm="ocpp", charset="UTF-8"'
            return response
        self._logins[connection] = login
        self._metrics.handshakes.labels("accepted").inc()
        return None

    async def _password_ok(self, request: Request, login: ChargerLogin) -> bool:
        password = basic_password(request.headers, login.charge_point_id)
        if password is None or login.password_hash is None:
            return False
        # scrypt costs ~20 ms of CPU: off the event loop, or every charger waits for it.
        return await asyncio.to_thread(verify_password, password, login.password_hash)

    def _refuse(
        self, connection: ServerConnection, request: Request, status: HTTPStatus, outcome: str, text: str
    ) -> Response:
        self._metrics.handshakes.labels(outcome).inc()
        logger.info("ocpp handshake refused", status=int(status), path=request.path)
        return connection.respond(status, text + "\n")
