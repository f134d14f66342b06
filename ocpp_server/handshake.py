"""The opening handshake: which charger is calling (the URL's last segment), is it who it says (Basic auth or a
client certificate), and does its connection meet its security profile (TLS, the certificate)."""

from __future__ import annotations

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

from domain.errors import RateLimited, Unavailable
from domain.ports import Directory
from domain.queries import ChargerLogin
from domain.secrets import password_matches
from domain.security_profiles import password_required, shortfall
from domain.services.login_throttle import CredentialKind, LoginThrottle
from ocpp_server.client_address import ClientAddresses
from ocpp_server.metrics import OcppMetrics
from ocpp_server.tls import transport_of

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


def peer_address(connection: ServerConnection) -> str | None:
    """The TCP peer's IP address."""
    peer = connection.remote_address
    return str(peer[0]) if peer else None


class Handshake:
    """websockets' process_request: refuse with an HTTP status, or remember who connected for the handler.

    Failed passwords go through the login throttle (domain.services.login_throttle): a charger or an address
    with too many recent failures is refused with 401 and Retry-After before its password is even read.
    """

    def __init__(
        self,
        directory: Directory,
        metrics: OcppMetrics,
        logins: LoginThrottle | None = None,
        addresses: ClientAddresses | None = None,
    ) -> None:
        self._directory = directory
        self._metrics = metrics
        self._throttle = logins or LoginThrottle.unlimited()
        self._addresses = addresses or ClientAddresses([])
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
        # The profile first: over plain ws, a profile 2 or 3 charger's password must not even be looked at.
        missing = shortfall(login, transport_of(connection))
        if missing is not None:
            text = f"Security profile {login.security_profile} not met: {missing.value.replace('_', ' ')}"
            return self._unauthorized(connection, request, "security_profile", text, reason=missing.value)
        if password_required(login):
            refusal = await self._check_password(connection, request, login)
            if refusal is not None:
                return refusal
        self._logins[connection] = login
        self._metrics.handshakes.labels("accepted").inc()
        return None

    async def _check_password(
        self, connection: ServerConnection, request: Request, login: ChargerLogin
    ) -> Response | None:
        """The password check, throttled: counted before the hash, so that a locked-out guesser costs no scrypt.

        Only chargers with a password to guess are counted. A charger without one (profile 0 without a password,
        profile 3) has nothing to throttle, and a burst of them reconnecting from one address (a depot behind
        one NAT, every charger after a restart) must not fill that address's window with attempts in flight.
        """
        address = self._addresses.of(peer_address(connection), request.headers)
        try:
            async with self._throttle.attempt(CredentialKind.CHARGER, login.charge_point_id, address) as attempt:
                if not await self._password_ok(request, login):
                    attempt.fail()
                    return self._unauthorized(connection, request, "unauthorized", "Wrong or missing password")
        except RateLimited as error:
            return self._unauthorized(connection, request, "throttled", error.message, retry_after=error.retry_after)
        return None

    async def _password_ok(self, request: Request, login: ChargerLogin) -> bool:
        password = basic_password(request.headers, login.charge_point_id)
        if password is None or login.password_hash is None:
            return False
        return await password_matches(password, login.password_hash)  # scrypt, in a worker thread

    def _unauthorized(
        self,
        connection: ServerConnection,
        request: Request,
        outcome: str,
        text: str,
        *,
        retry_after: float | None = None,
        reason: str | None = None,
    ) -> Response:
        response = self._refuse(connection, request, HTTPStatus.UNAUTHORIZED, outcome, text, reason=reason)
        response.headers["WWW-Authenticate"] = 'Basic realm="ocpp", charset="UTF-8"'
        if retry_after is not None:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    def _refuse(
        self,
        connection: ServerConnection,
        request: Request,
        status: HTTPStatus,
        outcome: str,
        text: str,
        *,
        reason: str | None = None,
    ) -> Response:
        self._metrics.handshakes.labels(outcome).inc()
        logger.info("ocpp handshake refused", status=int(status), path=request.path, reason=reason or outcome)
        return connection.respond(status, text + "\n")
