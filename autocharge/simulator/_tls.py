"""wss:// for the simulated charger: which server to trust, and the client certificate of Security Profile 3."""

from __future__ import annotations

import ssl


def client_context(
    ca_file: str | None = None, certificate: str | None = None, key: str | None = None
) -> ssl.SSLContext:
    """Trusts `ca_file` (else the system's CAs) and presents `certificate` with `key` when given (profile 3)."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # as OCPP asks of both ends
    if certificate is not None:
        context.load_cert_chain(certificate, key)
    elif key is not None:
        raise ValueError("a client key needs its certificate (--cert)")
    return context
