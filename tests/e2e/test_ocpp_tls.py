"""OCPP Security Profiles 2 and 3 over wss://, driven with the `ocpp` package's ChargePoint: who gets in, who is
refused with 401 (and why, in the log), and what TLS the listener speaks."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest
import structlog.testing
from websockets.exceptions import InvalidHandshake, InvalidStatus

from autocharge.certs import DevCertificates, KeyPair
from autocharge.main import Autocharge
from autocharge.simulator import client_context
from ocpp_server.tls import TLS12_CIPHERS
from tests.e2e import harness
from tests.e2e.harness import TenantAccess, ocpp_charge_point, raw_connection, running, tenant_access
from tests.e2e.test_ocpp_chargers import boot

PASSWORD = "correct-horse-battery"
SET_PROFILE = "mutation($c: ID!, $p: Int!) { setChargerSecurityProfile(chargerId: $c, profile: $p) { id } }"


@pytest.fixture
async def server(database_url: str, dev_certificates: DevCertificates) -> AsyncIterator[Autocharge]:
    """Listening for ws:// and wss://, client certificates verified against the development CA."""
    settings = harness.test_settings(
        database_url,
        ocpp_tls_cert=str(dev_certificates.server.certificate),
        ocpp_tls_key=str(dev_certificates.server.key),
        ocpp_tls_port=0,
        ocpp_tls_client_ca=str(dev_certificates.ca.certificate),
    )
    async with running(settings) as app:
        yield app


def trusting(certificates: DevCertificates, client: KeyPair | None = None) -> ssl.SSLContext:
    """A charger's TLS: it trusts the development CA, and presents `client` when given."""
    if client is None:
        return client_context(str(certificates.ca.certificate))
    return client_context(str(certificates.ca.certificate), str(client.certificate), str(client.key))


async def charger_with_profile(tenant: TenantAccess, cpid: str, profile: int, password: str | None = None) -> None:
    charger_id = await tenant.admin.register_charger(cpid, password=password)
    await tenant.admin(SET_PROFILE, c=charger_id, p=profile)


async def boots(server: Autocharge, cpid: str, version: str = "1.6", **connection: Any) -> str:
    """Connect as the `ocpp` package's ChargePoint and return the status of its BootNotification."""
    async with ocpp_charge_point(server, cpid, version, **connection) as cp:
        answer = await cp.call(boot(version))
    return str(answer.status)


async def refusal(server: Autocharge, cpid: str, **connection: Any) -> tuple[int, list[MutableMapping[str, Any]]]:
    """The HTTP status of the refused handshake, and the log entries of the refusal."""
    with structlog.testing.capture_logs() as logged, pytest.raises(InvalidStatus) as refused:
        async with raw_connection(server, cpid, **connection):
            pass
    return refused.value.response.status_code, [e for e in logged if e["event"] == "ocpp handshake refused"]


# --- Security Profile 2: TLS and Basic auth ---


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_profile_2_connects_over_wss_with_its_password(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates, version: str
) -> None:
    await charger_with_profile(acme, "CP-1", 2, PASSWORD)

    assert await boots(server, "CP-1", version, password=PASSWORD, tls=trusting(dev_certificates)) == "Accepted"


async def test_profile_2_is_refused_over_wss_with_a_wrong_password(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await charger_with_profile(acme, "CP-1", 2, PASSWORD)

    status, logged = await refusal(server, "CP-1", password="not-the-password", tls=trusting(dev_certificates))

    assert status == 401
    assert [entry["reason"] for entry in logged] == ["unauthorized"]


async def test_profile_2_is_refused_over_wss_without_a_password(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await charger_with_profile(acme, "CP-1", 2, PASSWORD)

    status, _ = await refusal(server, "CP-1", tls=trusting(dev_certificates))

    assert status == 401


@pytest.mark.parametrize("profile", [2, 3])
async def test_a_downgrade_to_plain_ws_is_refused_with_401_and_logged(
    server: Autocharge, acme: TenantAccess, profile: int
) -> None:
    await charger_with_profile(acme, "CP-1", profile, PASSWORD)

    status, logged = await refusal(server, "CP-1", password=PASSWORD)

    assert status == 401
    assert [(entry["reason"], entry["path"]) for entry in logged] == [("no_tls", "/ocpp/CP-1")]


async def test_profile_1_may_connect_over_wss_too(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await acme.admin.register_charger("CP-1", password=PASSWORD)  # registered with a password: profile 1

    assert await boots(server, "CP-1", password=PASSWORD, tls=trusting(dev_certificates)) == "Accepted"
    assert await boots(server, "CP-1", password=PASSWORD) == "Accepted"


# --- Security Profile 3: TLS with a client certificate ---


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_profile_3_connects_with_its_certificate_and_no_password(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates, version: str
) -> None:
    await charger_with_profile(acme, "CP-1", 3, PASSWORD)

    tls = trusting(dev_certificates, dev_certificates.chargers["CP-1"])
    assert await boots(server, "CP-1", version, tls=tls) == "Accepted"


async def test_profile_3_is_refused_with_the_certificate_of_another_charge_point_id(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await charger_with_profile(acme, "CP-1", 3, PASSWORD)

    tls = trusting(dev_certificates, dev_certificates.chargers["CP-2"])
    status, logged = await refusal(server, "CP-1", password=PASSWORD, tls=tls)

    assert status == 401
    assert [entry["reason"] for entry in logged] == ["certificate_of_another_charger"]


async def test_profile_3_is_refused_without_a_certificate_even_with_its_password(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await charger_with_profile(acme, "CP-1", 3, PASSWORD)

    status, logged = await refusal(server, "CP-1", password=PASSWORD, tls=trusting(dev_certificates))

    assert status == 401
    assert [entry["reason"] for entry in logged] == ["no_client_certificate"]


async def test_a_certificate_from_another_ca_fails_the_tls_handshake(
    server: Autocharge,
    acme: TenantAccess,
    dev_certificates: DevCertificates,
    foreign_certificates: DevCertificates,
) -> None:
    await charger_with_profile(acme, "CP-1", 3)
    # It trusts the right server, but its own certificate comes from a CA the server does not know.
    tls = client_context(
        str(dev_certificates.ca.certificate),
        str(foreign_certificates.chargers["CP-1"].certificate),
        str(foreign_certificates.chargers["CP-1"].key),
    )

    with pytest.raises((ssl.SSLError, InvalidHandshake, ConnectionError)) as failed:
        async with raw_connection(server, "CP-1", tls=tls):
            pass

    assert not isinstance(failed.value, InvalidStatus)  # no HTTP at all: TLS itself said no
    assert not server.registry.is_connected("CP-1")


# --- the listener's TLS ---


async def test_tls_1_2_is_spoken_with_an_ocpp_cipher_suite(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await acme.admin.register_charger("CP-1")
    tls = trusting(dev_certificates)
    tls.maximum_version = ssl.TLSVersion.TLSv1_2

    async with raw_connection(server, "CP-1", tls=tls) as ws:
        name, version, _ = ws.transport.get_extra_info("cipher")

    assert version == "TLSv1.2"
    assert name in TLS12_CIPHERS.split(":")


async def test_a_charger_offering_only_cbc_suites_over_tls_1_2_is_refused(
    server: Autocharge, acme: TenantAccess, dev_certificates: DevCertificates
) -> None:
    await acme.admin.register_charger("CP-1")
    tls = trusting(dev_certificates)
    tls.maximum_version = ssl.TLSVersion.TLSv1_2
    tls.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384")  # both allowed by Python's defaults

    # The server's handshake failure alert, or its reset before the client has read it.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        async with raw_connection(server, "CP-1", tls=tls):
            pass


async def test_without_a_certificate_the_server_listens_for_plain_ws_only(database_url: str) -> None:
    async with running(harness.test_settings(database_url)) as plain:
        access = await tenant_access(plain, "Acme")
        await access.admin.register_charger("CP-1")

        assert plain.ocpp_tls_url is None
        assert await boots(plain, "CP-1") == "Accepted"
