"""The vendor switches that turn Autocharge on and off, and how each spells on and off.

OCPP defines no Autocharge switch. On 1.6 a vendor key is matched as a whole key; on 2.0.1 (no standard variable
either) by the variable's name in "Component/Variable" keys (see ChargerSetting), ignoring instance and EVSE, and
an "Enabled" variable of an Autocharge component ("AutoCharge/Enabled", the way 2.0.1 models AuthCtrlr/Enabled).
Matched case-insensitively, values too. Sources: the Autocharge specification of ABB and Fastned as Monta
publishes it ("AutoChargeEnabled", a boolean: true enables, false disables), and the "AutochargeEnabled" spelling
seen in the field. Add a vendor's switch here, with its spelling of on and off, and nowhere else.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from domain.charger_commands import ReportedSetting


@dataclass(frozen=True, slots=True)
class AutochargeSwitch:
    name: str  # a 1.6 key, or a 2.0.1 variable name
    on: str
    off: str
    source: str


SWITCHES: tuple[AutochargeSwitch, ...] = (
    AutochargeSwitch("AutoChargeEnabled", "true", "false", "ABB / Fastned Autocharge specification"),
    AutochargeSwitch("AutochargeEnabled", "true", "false", "the same switch as spelled by other firmwares"),
    AutochargeSwitch("AutoCharge/Enabled", "true", "false", "2.0.1: an Autocharge component's Enabled variable"),
)
_BY_NAME = {switch.name.lower(): switch for switch in SWITCHES}
# 2.0.1: "Component[instance]@evse/Variable[instance]"; the names without instance and EVSE.
_KEY = re.compile(r"^(?:([^/\[@]+)[^/]*/)?([^/\[]+)(?:\[[^\]]*\])?$")


class AutochargeReadiness(enum.StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    UNKNOWN = "UNKNOWN"


def switch_for(key: str) -> AutochargeSwitch | None:
    """The switch a setting's key names, if any."""
    match = _KEY.match(key)
    if match is None:
        return None
    component, variable = match.group(1), match.group(2)
    if component is not None and component.lower() == "autocharge" and variable.lower() == "enabled":
        return _BY_NAME["autocharge/enabled"]
    return _BY_NAME.get(variable.lower())


def find_switch(settings: Iterable[ReportedSetting]) -> tuple[ReportedSetting, AutochargeSwitch] | None:
    """The first writable setting that is a known switch, else the first read-only one."""
    found = [(s, sw) for s in settings if (sw := switch_for(s.key)) is not None]
    found.sort(key=lambda pair: pair[0].readonly)
    return found[0] if found else None


def is_on(setting: ReportedSetting, switch: AutochargeSwitch) -> bool | None:
    """True or False as the switch spells them; None for a value it does not spell."""
    value = (setting.value or "").strip().lower()
    if value == switch.on.lower():
        return True
    if value == switch.off.lower():
        return False
    return None


def readiness(settings: Iterable[ReportedSetting], token_seen: bool) -> tuple[AutochargeReadiness, str | None]:
    """ENABLED when the switch is on or the charger has presented an Autocharge token; DISABLED when it is off."""
    found = find_switch(settings)
    state = None if found is None else is_on(*found)
    key = None if found is None else found[0].key
    if state is True or token_seen:
        return AutochargeReadiness.ENABLED, key
    if state is False:
        return AutochargeReadiness.DISABLED, key
    return AutochargeReadiness.UNKNOWN, key
