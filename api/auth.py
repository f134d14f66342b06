"""Where API keys come from: the Authorization header, or a websocket's connection_init payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_BEARER = "bearer "


def bearer_key(header: str | None) -> str | None:
    """The key of 'Bearer <key>' (scheme in any case), or None when there is none."""
    if not header or not header.lower().startswith(_BEARER):
        return None
    return header[len(_BEARER) :].strip() or None


def key_from_params(params: Mapping[str, Any] | None) -> str | None:
    """graphql-transport-ws clients spell the header name in every case: accept any."""
    for name, value in (params or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            return bearer_key(value)
    return None
