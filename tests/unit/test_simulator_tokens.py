"""The simulator's pure helpers: tokens per version, the charger's identity, Basic auth, report lines."""

from __future__ import annotations

import base64

import pytest

from autocharge.simulator import (
    IdToken,
    Step,
    basic_auth,
    charge_point_id_from_url,
    parse_version,
    printing,
    token_for_mac,
)
from domain.errors import Invalid


@pytest.mark.parametrize("mac", ["0A1B2C3D4E5F", "0a:1b:2c:3d:4e:5f", "0A-1B-2C-3D-4E-5F", "VID:0a1b2c3d4e5f"])
def test_a_mac_in_any_spelling_becomes_the_vid_id_tag_on_16(mac: str) -> None:
    assert token_for_mac(mac, "1.6") == IdToken("VID:0A1B2C3D4E5F", "MacAddress")


def test_on_201_the_token_is_the_bare_hex_of_type_mac_address() -> None:
    assert token_for_mac("VID:0a:1b:2c:3d:4e:5f", "2.0.1") == IdToken("0A1B2C3D4E5F", "MacAddress")


def test_zero_padding_of_an_8_byte_evccid_is_dropped() -> None:
    assert token_for_mac("0000A453EE033156", "1.6").value == "VID:A453EE033156"


@pytest.mark.parametrize("mac", ["", "0A1B2C", "not a mac", "0A1B2C3D4E5G"])
def test_what_is_not_a_mac_is_refused(mac: str) -> None:
    with pytest.raises(Invalid):
        token_for_mac(mac, "1.6")


@pytest.mark.parametrize(("raw", "version"), [("1.6", "1.6"), ("2.0.1", "2.0.1"), ("ocpp2.0.1", "2.0.1")])
def test_versions_are_read_in_either_spelling(raw: str, version: str) -> None:
    assert parse_version(raw) == version


def test_an_unknown_version_says_which_are_known() -> None:
    with pytest.raises(ValueError, match=r"1\.6, 2\.0\.1"):
        parse_version("2.1")


@pytest.mark.parametrize(
    ("url", "identity"),
    [("ws://127.0.0.1:9000/ocpp/CP-1", "CP-1"), ("wss://h/ocpp/CP%201/", "CP 1"), ("ws://h/CP-2", "CP-2")],
)
def test_the_identity_is_the_last_path_segment(url: str, identity: str) -> None:
    assert charge_point_id_from_url(url) == identity


def test_a_url_without_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="charge point id"):
        charge_point_id_from_url("ws://127.0.0.1:9000/")


def test_basic_auth_uses_the_charge_point_id_as_username() -> None:
    header = basic_auth("CP-1", "s3cret:x")
    assert header.startswith("Basic ")
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == "CP-1:s3cret:x"


def test_the_printing_reporter_writes_one_line_per_step() -> None:
    lines: list[str] = []
    report = printing(lines.append)
    report(Step("CP-1", "->", "Authorize idTag=VID:0A1B2C3D4E5F"))
    report(Step("CP-1", "<-", "Accepted"))
    assert lines == ["[CP-1] -> Authorize idTag=VID:0A1B2C3D4E5F", "[CP-1] <- Accepted"]
