"""The development CA of `autocharge certs dev`: who each certificate names, what it may do, who signed it."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from autocharge.certs import DevCertificates, write_dev_ca


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> DevCertificates:
    return write_dev_ca(tmp_path_factory.mktemp("dev-ca"), "ocpp.example.test", ("CP-1", "CP-2"))


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def common_name(certificate: x509.Certificate) -> str:
    return str(certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_the_ca_is_a_self_signed_ca(made: DevCertificates) -> None:
    ca = load(made.ca.certificate)

    assert ca.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    ca.verify_directly_issued_by(ca)


def test_the_server_certificate_names_the_host_localhost_and_127_0_0_1(made: DevCertificates) -> None:
    server = load(made.server.certificate)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert common_name(server) == "ocpp.example.test"
    assert names.get_values_for_type(x509.DNSName) == ["ocpp.example.test", "localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_an_ip_address_host_is_named_once_as_an_ip_address(tmp_path: Path) -> None:
    server = load(write_dev_ca(tmp_path, "127.0.0.1").server.certificate)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]


def test_each_charger_gets_a_client_certificate_whose_cn_is_its_charge_point_id(made: DevCertificates) -> None:
    assert sorted(made.chargers) == ["CP-1", "CP-2"]
    for cpid, pair in made.chargers.items():
        certificate = load(pair.certificate)
        assert common_name(certificate) == cpid
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_every_leaf_is_signed_by_the_ca_with_a_p256_key(made: DevCertificates) -> None:
    ca = load(made.ca.certificate)
    for pair in (made.server, *made.chargers.values()):
        certificate = load(pair.certificate)
        certificate.verify_directly_issued_by(ca)
        key = certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert isinstance(key.curve, ec.SECP256R1)


def test_private_keys_are_readable_by_the_owner_only(made: DevCertificates) -> None:
    for pair in (made.ca, made.server, *made.chargers.values()):
        assert stat.S_IMODE(pair.key.stat().st_mode) == 0o600


def test_a_charge_point_id_that_is_no_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file name"):
        write_dev_ca(tmp_path, chargers=("../escape",))
