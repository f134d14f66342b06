"""Opening a charger's websocket the way OCPP-J asks: a subprotocol, Basic auth (Security Profiles 1 and 2), and
TLS with or without a client certificate (profiles 2 and 3)."""

from __future__ import annotations

import base64
import ssl
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

from autocharge.simulator._errors import ConnectionRejected
from autocharge.simulator._tokens import SUBPROTOCOLS, OcppVersion


def charge_point_id_from_url(url: str) -> str:
    """The charger's identity: the last path segment of its URL, e.g. "CP-1" in ws://host/ocpp/CP-1."""
    segment = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    if not segment:
        raise ValueError(f"{url!r} does not end with a charge point id, e.g. ws://127.0.0.1:9000/ocpp/CP-1")
    return segment


def basic_auth(charge_point_id: str, password: str) -> str:
    """Security Profile 1: the username is the charge point id itself."""
    credentials = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode("ascii")
    return f"Basic {credentials}"


def _explain(status: int, charge_point_id: str, password: str | None, body: bytes | bytearray = b"") -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    prefix = f"the server refused the connection: HTTP {status} {phrase}".rstrip()
    said = body.decode(errors="replace").strip()
    if status == HTTPStatus.UNAUTHORIZED and said.startswith("Security profile"):
        return f"{prefix} ({said})"  # e.g. wss:// needed, or a client certificate
    if status == HTTPStatus.UNAUTHORIZED:
        hint = "give the charger's password with --password" if password is None else "the password is wrong"
        return f"{prefix} ({hint}; the username sent is {charge_point_id!r})"
    if status == HTTPStatus.NOT_FOUND:
        return f"{prefix} (the server knows no charge point {charge_point_id!r}, or the URL path is wrong)"
    if status == HTTPStatus.FORBIDDEN:
        return f"{prefix} (charge point {charge_point_id!r} may not connect)"
    return prefix


async def open_connection(
    url: str,
    ocpp_version: OcppVersion,
    password: str | None = None,
    open_timeout: float = 10,
    tls: ssl.SSLContext | None = None,
) -> ClientConnection:
    """Connect and check the server chose our subprotocol; raise ConnectionRejected saying why not.

    `tls` is for wss:// URLs (see client_context); without it, wss:// trusts the system's CAs.
    """
    charge_point_id = charge_point_id_from_url(url)
    subprotocol = SUBPROTOCOLS[ocpp_version]
    headers = {"Authorization": basic_auth(charge_point_id, password)} if password is not None else None
    if tls is not None and not url.startswith("wss://"):
        raise ConnectionRejected(f"{url!r}: a CA file or client certificate needs a wss:// URL")
    options: dict[str, Any] = {} if tls is None else {"ssl": tls}  # websockets refuses ssl=None for wss://
    try:
        connection = await connect(
            url,
            subprotocols=[Subprotocol(subprotocol)],
            additional_headers=headers,
            open_timeout=open_timeout,
            **options,
        )
    except InvalidStatus as error:
        status = error.response.status_code
        explained = _explain(status, charge_point_id, password, error.response.body)
        raise ConnectionRejected(explained, status) from error
    except InvalidURI as error:
        raise ConnectionRejected(f"{url!r} is not a ws:// or wss:// URL") from error
    except (OSError, TimeoutError, InvalidHandshake) as error:
        raise ConnectionRejected(f"cannot connect to {url}: {error}") from error
    if connection.subprotocol != subprotocol:
        # Without it the server may speak another OCPP version than ours, so refuse to go on.
        await connection.close()
        chosen = connection.subprotocol or "none"
        raise ConnectionRejected(f"the server did not accept the subprotocol {subprotocol} (it chose {chosen})")
    return connection
