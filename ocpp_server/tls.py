"""OCPP over TLS (Security Profiles 2 and 3): the server's SSLContext, and what a connection's TLS layer tells.

The protocol versions and cipher suites are those of OCPP 2.0.1 part 2 (A00.FR.318 ff.) and the OCPP 1.6 security
whitepaper: TLS 1.2 or newer; TLS_ECDHE_ECDSA_WITH_AES_128/256_GCM, and for RSA server keys
TLS_RSA_WITH_AES_128/256_GCM (with ECDHE_RSA GCM preferred to those, for forward secrecy). TLS 1.3 suites are
all AEAD and stay as OpenSSL offers them.
"""

from __future__ import annotations

import ssl
from typing import Any

from websockets.asyncio.server import ServerConnection

from domain.security_profiles import Transport

# OpenSSL's names, in order of preference.
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        "ECDHE-ECDSA-AES256-GCM-SHA384",  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        "ECDHE-RSA-AES128-GCM-SHA256",  # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        "ECDHE-RSA-AES256-GCM-SHA384",  # TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        "AES128-GCM-SHA256",  # TLS_RSA_WITH_AES_128_GCM_SHA256
        "AES256-GCM-SHA384",  # TLS_RSA_WITH_AES_256_GCM_SHA384
    )
)


def server_context(certificate: str, key: str, client_ca: str | None = None) -> ssl.SSLContext:
    """The wss:// listener's context. With `client_ca`, chargers may present a client certificate, which must be
    signed by that CA (else the TLS handshake fails); without one, no client certificate is asked for."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.load_cert_chain(certificate, key)
    if client_ca is not None:
        context.load_verify_locations(cafile=client_ca)
        # Optional, not required: chargers of profile 2 connect to the same port without a certificate.
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def transport_of(connection: ServerConnection) -> Transport:
    """TLS or not, and the subject CN of the client certificate the TLS layer verified (None without one)."""
    transport = connection.transport
    if transport.get_extra_info("ssl_object") is None:
        return Transport()
    return Transport(tls=True, certificate_cn=common_name(transport.get_extra_info("peercert")))


def common_name(peercert: dict[str, Any] | None) -> str | None:
    """The subject's one commonName in SSLSocket.getpeercert()'s form; None without a certificate or with several
    common names (which one would name the charger?)."""
    if not peercert:
        return None
    names = [value for rdn in peercert.get("subject", ()) for key, value in rdn if key == "commonName"]
    return str(names[0]) if len(names) == 1 else None
