"""The tokens an Autocharge charger presents for a vehicle's MAC, per OCPP version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.identifiers import parse_evccid

OcppVersion = Literal["1.6", "2.0.1"]
VERSIONS: tuple[OcppVersion, ...] = ("1.6", "2.0.1")
SUBPROTOCOLS: dict[OcppVersion, str] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


@dataclass(frozen=True, slots=True)
class IdToken:
    """What the charger presents: the 1.6 idTag is `value`; 2.0.1 also sends `type`."""

    value: str
    type: str = "MacAddress"


def parse_version(raw: str) -> OcppVersion:
    """Accept "1.6" / "2.0.1" (and the subprotocol spellings), or raise ValueError."""
    text = raw.strip().lower().removeprefix("ocpp")
    if text not in VERSIONS:
        raise ValueError(f"unknown OCPP version {raw!r}: expected one of {', '.join(VERSIONS)}")
    return text


def token_for_mac(mac: str, ocpp_version: OcppVersion) -> IdToken:
    """The token a charger sends for this EVCCID: idTag "VID:<hex>" on 1.6, MacAddress "<hex>" on 2.0.1.

    Any spelling the back office accepts is accepted here ("0a:1b:..", "VID:0A1B.."), so the
    simulator exercises the canonical form; raises domain.errors.Invalid for anything else.
    """
    evccid = parse_evccid(mac)
    if ocpp_version == "1.6":
        # On 1.6 only the prefix tells the back office that an idTag is a vehicle, not an RFID card.
        return IdToken(evccid.value, "MacAddress")
    return IdToken(evccid.hex, "MacAddress")
