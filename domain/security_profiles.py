"""OCPP security profiles: the lowest transport a charger may connect with, and whether a connection meets it.

0: anything goes (a password is still checked when the charger has one); 1: HTTP Basic auth; 2: TLS with Basic
auth; 3: TLS with a client certificate, signed by the configured CA, whose subject CN is the chargePointId (no
password then).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.errors import Invalid
from domain.queries import ChargerLogin

LOWEST = 0
HIGHEST = 3
BASIC_AUTH = 1
TLS_BASIC_AUTH = 2
TLS_CLIENT_CERTIFICATE = 3


class Shortfall(enum.StrEnum):
    """Why a connection falls short of the charger's profile; also the reason logged for the refusal."""

    NO_TLS = "no_tls"
    NO_CLIENT_CERTIFICATE = "no_client_certificate"
    CERTIFICATE_OF_ANOTHER_CHARGER = "certificate_of_another_charger"


@dataclass(frozen=True, slots=True)
class Transport:
    """What a connection offers besides a password: TLS, and the subject CN of a client certificate that the TLS
    layer has verified against the CA (None without one)."""

    tls: bool = False
    certificate_cn: str | None = None


def checked_profile(profile: int) -> int:
    """The profile, or Invalid when it is not 0 to 3."""
    if not LOWEST <= profile <= HIGHEST:
        raise Invalid(f"securityProfile must be {LOWEST} to {HIGHEST}, not {profile}")
    return profile


def initial_profile(has_password: bool) -> int:
    """A charger registered with a password starts at profile 1, without one at 0."""
    return BASIC_AUTH if has_password else LOWEST


def shortfall(login: ChargerLogin, transport: Transport) -> Shortfall | None:
    """None when the transport meets the charger's profile (its password aside, see password_required)."""
    if login.security_profile >= TLS_BASIC_AUTH and not transport.tls:
        return Shortfall.NO_TLS
    if login.security_profile >= TLS_CLIENT_CERTIFICATE:
        if transport.certificate_cn is None:
            return Shortfall.NO_CLIENT_CERTIFICATE
        if transport.certificate_cn != login.charge_point_id:
            return Shortfall.CERTIFICATE_OF_ANOTHER_CHARGER
    return None


def password_required(login: ChargerLogin) -> bool:
    """Profiles 1 and 2 need the Basic auth password (refused if the charger has none); profile 0 checks one it
    has; profile 3 authenticates with the certificate alone."""
    if login.security_profile >= TLS_CLIENT_CERTIFICATE:
        return False
    return login.password_hash is not None or login.security_profile >= BASIC_AUTH
