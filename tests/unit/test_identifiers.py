from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Invalid
from domain.identifiers import Evccid, is_autocharge_id_tag, normalise_license_plate, parse_evccid, require_unique


@pytest.mark.parametrize(
    "spelling",
    [
        "VID:0A1B2C3D4E5F",
        "0A1B2C3D4E5F",
        "vid:0a:1b:2c:3d:4e:5f",
        "0A-1B-2C-3D-4E-5F",
        "VID:00000A1B2C3D4E5F",
        "  vid:0A1B2C3D4E5F ",
        "0a 1b 2c 3d 4e 5f",
    ],
)
def test_every_field_spelling_is_one_identifier(spelling: str) -> None:
    parsed = parse_evccid(spelling)
    assert parsed.value == "VID:0A1B2C3D4E5F"
    assert parsed.mac_address == "0A:1B:2C:3D:4E:5F"


def test_zero_padding_past_the_sixth_byte_is_dropped_but_eight_real_bytes_are_kept() -> None:
    assert parse_evccid("VID:0000A453EE033156").value == "VID:A453EE033156"
    assert parse_evccid("0102A453EE033156").value == "VID:0102A453EE033156"
    assert parse_evccid("000000000000").value == "VID:000000000000"  # six zero bytes are still a MAC


@pytest.mark.parametrize(
    "bad",
    ["", "VID:", "VID:0A1B2C3D4E", "0A1B2C3D4E5F0A1B2C", "VID:0A1B2C3D4E5G", "RFID-1234", "0A1B2C3D4E5", "VID:0A:1B"],
)
def test_anything_else_is_a_validation_error_that_says_what_was_expected(bad: str) -> None:
    with pytest.raises(Invalid, match="expected a vehicle MAC address"):
        parse_evccid(bad)


def test_only_the_vid_prefix_marks_an_autocharge_id_tag_on_ocpp16() -> None:
    assert is_autocharge_id_tag("VID:0A1B2C3D4E5F")
    assert is_autocharge_id_tag("vid:0a1b2c3d4e5f")
    assert not is_autocharge_id_tag("0A1B2C3D4E5F")
    assert not is_autocharge_id_tag("04A2B3C4D5")


raw_bytes = st.binary(min_size=6, max_size=8).filter(lambda b: len(b) == 6 or b[0] != 0)


@st.composite
def spellings(draw: st.DrawFn) -> tuple[bytes, str]:
    data = draw(raw_bytes)
    pairs = [f"{b:02x}" for b in data]
    pairs = [p.upper() if draw(st.booleans()) else p for p in pairs]
    separator = draw(st.sampled_from(["", ":", "-"]))
    prefix = draw(st.sampled_from(["", "VID:", "vid:", "Vid:"]))
    padding = draw(st.integers(min_value=0, max_value=8 - len(data))) if len(data) == 6 else 0
    return data, prefix + separator.join(["00"] * padding + pairs)


@given(spellings())
def test_every_spelling_parses_to_the_same_canonical_form(case: tuple[bytes, str]) -> None:
    data, spelling = case
    assert parse_evccid(spelling) == Evccid(data.hex().upper())


@given(spellings())
def test_the_canonical_form_parses_to_itself(case: tuple[bytes, str]) -> None:
    canonical = parse_evccid(case[1]).value
    assert parse_evccid(canonical).value == canonical
    assert parse_evccid(parse_evccid(canonical).mac_address).value == canonical


@pytest.mark.parametrize(("raw", "plate"), [("ab-12 cd", "AB12CD"), ("AB12CD", "AB12CD"), (" b 123-xy ", "B123XY")])
def test_license_plates_are_normalised(raw: str, plate: str) -> None:
    assert normalise_license_plate(raw) == plate


@pytest.mark.parametrize("bad", ["", "  - ", "AB/12", "X" * 21])
def test_bad_license_plates_are_refused(bad: str) -> None:
    with pytest.raises(Invalid):
        normalise_license_plate(bad)


@pytest.mark.parametrize(
    ("spelling", "why"),
    [
        ("000000000000", "all bytes are zero"),
        ("VID:0000000000000000", "all bytes are zero"),
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("VID:FFFFFFFFFFFFFFFF", "broadcast"),
        ("01005E0000FB", "multicast"),  # an IPv4 multicast MAC
        ("VID:333300000001", "multicast"),  # an IPv6 multicast MAC
        ("0B0B0B0B0B0B", "multicast"),
    ],
)
def test_bytes_that_many_cars_share_are_not_unique_and_say_why(spelling: str, why: str) -> None:
    evccid = parse_evccid(spelling)  # still a well-formed identifier: chargers send it, the logs show it
    assert evccid.ambiguity is not None and why in evccid.ambiguity
    with pytest.raises(Invalid, match=f"cannot identify one vehicle: .*{why}"):
        require_unique(evccid)


@pytest.mark.parametrize("spelling", ["0A1B2C3D4E5F", "020000000001", "FEFFFFFFFFFF", "0000A453EE033156"])
def test_a_unicast_address_with_a_non_zero_byte_is_unique(spelling: str) -> None:
    evccid = parse_evccid(spelling)
    assert evccid.ambiguity is None
    assert require_unique(evccid) is evccid
