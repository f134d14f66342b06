"""The Auto Charge identifier (EVCCID): parsing every spelling chargers send to one canonical form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import Invalid

_PREFIX = "VID:"
# Separators that chargers and people put between bytes: "0A:1B", "0A-1B", "0A 1B".
_SEPARATORS = re.compile(r"[:\-\s]")
_HEX = re.compile(r"[0-9A-F]+")
MIN_HEX_DIGITS = 12  # a 6-byte MAC address
MAX_HEX_DIGITS = 16  # DIN 70121 allows an EVCCID of up to 8 bytes
_EXPECTED = (
    "expected a vehicle MAC address / EVCCID such as 'VID:0A1B2C3D4E5F', '0A1B2C3D4E5F', "
    "'0a:1b:2c:3d:4e:5f' or '0A-1B-2C-3D-4E-5F' (12 to 16 hex digits, optional 'VID:' prefix)"
)


@dataclass(frozen=True, slots=True)
class Evccid:
    """One vehicle identifier; every spelling of the same bytes compares equal."""

    hex: str  # upper-case hex, even length, leading zero bytes beyond the sixth stripped

    @property
    def value(self) -> str:
        """The canonical stored form, e.g. 'VID:0A1B2C3D4E5F'."""
        return _PREFIX + self.hex

    @property
    def mac_address(self) -> str:
        """The bytes separated by colons, e.g. '0A:1B:2C:3D:4E:5F'."""
        return ":".join(self.hex[i : i + 2] for i in range(0, len(self.hex), 2))

    @property
    def ambiguity(self) -> str | None:
        """Why these bytes cannot identify one car, or None when they can (see `not_unique_reason`)."""
        return not_unique_reason(self.hex)

    def __str__(self) -> str:
        return self.value


def not_unique_reason(hex_digits: str) -> str | None:
    """Why an EVCCID of these bytes is not unique to one car: all zero, broadcast, or multicast; None if it is.

    Chargers report such values when the EV's modem gave none, or a placeholder; many cars share them, so
    one must never authorise, be paired, or be stored on a vehicle.
    """
    if not hex_digits.strip("0"):
        return "all bytes are zero (a placeholder that many vehicles send)"
    if not hex_digits.strip("F"):
        return "all bytes are FF (the broadcast address)"
    if int(hex_digits[:2], 16) & 1:
        return "the lowest bit of the first byte is set (a multicast address, shared by many devices)"
    return None


def require_unique(evccid: Evccid) -> Evccid:
    """The identifier itself, or Invalid saying why it cannot identify one vehicle."""
    reason = evccid.ambiguity
    if reason is not None:
        raise Invalid(f"{evccid.value} cannot identify one vehicle: {reason}")
    return evccid


def parse_evccid(raw: str) -> Evccid:
    """Parse any spelling of an EVCCID, raising Invalid with what was expected."""
    if not isinstance(raw, str):
        raise Invalid(f"identifier must be a string; {_EXPECTED}")
    text = raw.strip().upper()
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX) :]
    digits = _SEPARATORS.sub("", text)
    if not digits or not _HEX.fullmatch(digits):
        raise Invalid(f"{raw!r} is not an identifier: {_EXPECTED}")
    if not MIN_HEX_DIGITS <= len(digits) <= MAX_HEX_DIGITS or len(digits) % 2:
        raise Invalid(f"{raw!r} has {len(digits)} hex digits: {_EXPECTED}")
    # An 8-byte EVCCID padded with zero bytes in front of a 6-byte MAC is that MAC.
    while len(digits) > MIN_HEX_DIGITS and digits.startswith("00"):
        digits = digits[2:]
    return Evccid(digits)


def is_autocharge_id_tag(id_tag: str) -> bool:
    """OCPP 1.6: an idTag is an Autocharge token only when it carries the 'VID:' prefix (any case)."""
    return id_tag[:4].upper() == _PREFIX


def normalise_license_plate(raw: str) -> str:
    """Upper case without spaces or dashes, so 'ab-12 cd' and 'AB12CD' are one plate."""
    plate = re.sub(r"[\s\-]", "", raw or "").upper()
    if not plate:
        raise Invalid("license plate must not be empty")
    if len(plate) > 20 or not plate.isalnum():
        raise Invalid(f"license plate {raw!r} must be 1 to 20 letters or digits (spaces and dashes are ignored)")
    return plate
