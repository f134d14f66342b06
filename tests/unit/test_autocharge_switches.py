"""The vendor Autocharge switches: found by key (1.6) or variable name (2.0.1), read as each vendor spells them."""

from __future__ import annotations

import pytest

from domain.autocharge_switches import AutochargeReadiness, find_switch, readiness, switch_for
from domain.charger_commands import ReportedSetting


@pytest.mark.parametrize(
    ("key", "switch"),
    [
        ("AutoChargeEnabled", "AutochargeEnabled"),
        ("AutochargeEnabled", "AutochargeEnabled"),
        ("autochargeenabled", "AutochargeEnabled"),
        ("VendorCtrlr/AutoChargeEnabled", "AutochargeEnabled"),  # 2.0.1: by the variable's name
        ("VendorCtrlr[main]@1/AutochargeEnabled[0]", "AutochargeEnabled"),
        ("AutoCharge/Enabled", "AutoCharge/Enabled"),
        ("Autocharge@2/Enabled", "AutoCharge/Enabled"),
        ("AuthCtrlr/Enabled", None),
        ("HeartbeatInterval", None),
    ],
)
def test_a_switch_is_known_by_its_key_or_variable_name(key: str, switch: str | None) -> None:
    found = switch_for(key)
    assert (found.name if found else None) == switch


def test_readiness_follows_the_switch_and_a_token_seen_makes_it_enabled() -> None:
    off = [ReportedSetting("HeartbeatInterval", "300", False), ReportedSetting("AutoChargeEnabled", "FALSE", False)]
    on = [ReportedSetting("AutoChargeEnabled", "True", False)]
    assert readiness(off, token_seen=False) == (AutochargeReadiness.DISABLED, "AutoChargeEnabled")
    assert readiness(on, token_seen=False) == (AutochargeReadiness.ENABLED, "AutoChargeEnabled")
    assert readiness(off, token_seen=True) == (AutochargeReadiness.ENABLED, "AutoChargeEnabled")
    assert readiness([], token_seen=False) == (AutochargeReadiness.UNKNOWN, None)
    assert readiness([], token_seen=True) == (AutochargeReadiness.ENABLED, None)
    odd = [ReportedSetting("AutoChargeEnabled", "maybe", False)]
    assert readiness(odd, token_seen=False) == (AutochargeReadiness.UNKNOWN, "AutoChargeEnabled")


def test_a_writable_switch_is_preferred_to_a_read_only_one() -> None:
    settings = [
        ReportedSetting("A/AutoChargeEnabled", "false", True),
        ReportedSetting("AutoCharge/Enabled", "false", False),
    ]
    found = find_switch(settings)
    assert found is not None and found[0].key == "AutoCharge/Enabled"
