"""The OCPP TLS settings: incomplete ones are refused, and the server context speaks only what OCPP allows."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from autocharge.certs import write_dev_ca
from autocharge.settings import Settings
from ocpp_server.tls import common_name, server_context


def test_a_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="set both, or neither"):
        Settings(ocpp_tls_cert="server.pem")
    with pytest.raises(ValidationError, match="set both, or neither"):
        Settings(ocpp_tls_key="server-key.pem")


def test_a_client_ca_without_tls_is_refused() -> None:
    with pytest.raises(ValidationError, match="client certificates need TLS"):
        Settings(ocpp_tls_client_ca="ca.pem")


def test_by_default_there_is_no_tls_and_its_port_would_be_9443() -> None:
    settings = Settings()

    assert (settings.ocpp_tls_cert, settings.ocpp_tls_key, settings.ocpp_tls_client_ca) == (None, None, None)
    assert settings.ocpp_tls_port == 9443


def test_the_server_context_needs_tls_1_2_and_asks_for_optional_client_certificates(tmp_path: Path) -> None:
    made = write_dev_ca(tmp_path, "localhost")

    with_ca = server_context(str(made.server.certificate), str(made.server.key), str(made.ca.certificate))
    without = server_context(str(made.server.certificate), str(made.server.key))

    assert with_ca.minimum_version is ssl.TLSVersion.TLSv1_2
    assert with_ca.verify_mode is ssl.CERT_OPTIONAL
    assert without.verify_mode is ssl.CERT_NONE
    tls12 = {cipher["name"] for cipher in with_ca.get_ciphers() if cipher["protocol"] == "TLSv1.2"}
    assert tls12 == {
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
    }


def test_the_common_name_is_read_from_a_verified_peer_certificate() -> None:
    subject = ((("organizationName", "Acme"),), (("commonName", "CP-1"),))
    two_names = ((("commonName", "CP-1"),), (("commonName", "CP-2"),))

    assert common_name({"subject": subject}) == "CP-1"
    assert common_name({"subject": two_names}) is None
    assert common_name({}) is None
    assert common_name(None) is None
