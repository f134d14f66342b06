"""A development certificate authority for OCPP Security Profiles 2 and 3 (`autocharge certs dev`).

Writes a CA, a server certificate for the OCPP server's host name, and a client certificate per charger
whose subject CN is its chargePointId. ECDSA P-256 keys throughout, so that the TLS_ECDHE_ECDSA_* cipher
suites OCPP names are the ones negotiated. For development and tests only: the CA's key sits beside it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANIZATION = "Autocharge development"
CA_DAYS = 3650
LEAF_DAYS = 825  # what browsers and most TLS stacks still accept for a leaf certificate
# Always in the server certificate, beside the host asked for: local runs connect to either.
LOCAL_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, as PEM files."""

    certificate: Path
    key: Path


@dataclass(frozen=True, slots=True)
class DevCertificates:
    """What `write_dev_ca` wrote: the CA, the server's pair, and one pair per chargePointId."""

    ca: KeyPair
    server: KeyPair
    chargers: dict[str, KeyPair]


def write_dev_ca(out: Path, host: str = "localhost", chargers: tuple[str, ...] = ()) -> DevCertificates:
    """Create `out` if needed and write ca.pem, server.pem and {chargePointId}.pem, each with a -key.pem."""
    if any(not cpid or "/" in cpid or cpid in (".", "..") for cpid in chargers):
        raise ValueError("a chargePointId for a certificate must be a non-empty file name")
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{ORGANIZATION} CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca = _write(out, "ca", ca_cert, ca_key)

    issuer = _Issuer(ca_name, ca_key, now)
    server = _write(out, "server", *issuer.leaf(host, ExtendedKeyUsageOID.SERVER_AUTH, server_names(host)))
    pairs = {cpid: _write(out, cpid, *issuer.leaf(cpid, ExtendedKeyUsageOID.CLIENT_AUTH)) for cpid in chargers}
    return DevCertificates(ca=ca, server=server, chargers=pairs)


def server_names(host: str) -> list[x509.GeneralName]:
    """The server certificate's subject alternative names: the host, localhost and 127.0.0.1, each once."""
    names: list[x509.GeneralName] = []
    for name in (host, *LOCAL_NAMES):
        try:
            general: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            general = x509.DNSName(name)
        if general not in names:
            names.append(general)
    return names


@dataclass(frozen=True, slots=True)
class _Issuer:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    now: datetime.datetime

    def leaf(
        self, common_name: str, purpose: x509.ObjectIdentifier, names: list[x509.GeneralName] | None = None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A new key, and its certificate for `purpose` (server or client authentication) signed by the CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            _builder(_name(common_name), self.name, key.public_key(), self.now, LEAF_DAYS)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime.datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A little in the past: a client whose clock runs behind would otherwise refuse a certificate made now.
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(out: Path, stem: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> KeyPair:
    pair = KeyPair(certificate=out / f"{stem}.pem", key=out / f"{stem}-key.pem")
    pair.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Readable by the owner only, from its creation on.
    descriptor = os.open(pair.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_pem)
    return pair
