"""OCPP 2.0.1 reports: settings keys ("Component[instance]@evse/Variable[instance]"), and the NotifyReport parts
that follow a GetBaseReport, collected until the last (tbc false)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from domain.charger_commands import ReportedSetting
from domain.errors import Invalid

_KEY = re.compile(
    r"^(?P<component>[^/\[@]+)(?:\[(?P<ci>[^\]]*)\])?(?:@(?P<evse>\d+)(?:\.(?P<connector>\d+))?)?"
    r"/(?P<variable>[^/\[]+)(?:\[(?P<vi>[^\]]*)\])?$"
)


def setting_key(component: dict[str, Any], variable: dict[str, Any]) -> str:
    """The key of a component's variable, e.g. "OCPPCommCtrlr/HeartbeatInterval", "Connector@1/AvailabilityState"."""
    key = str(component["name"])
    if component.get("instance"):
        key += f"[{component['instance']}]"
    evse = component.get("evse")
    if evse:
        key += f"@{evse['id']}"
        if evse.get("connector_id") is not None:
            key += f".{evse['connector_id']}"
    key += f"/{variable['name']}"
    if variable.get("instance"):
        key += f"[{variable['instance']}]"
    return key


def component_and_variable(key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """setting_key's inverse, as ComponentType and VariableType payloads (snake_case)."""
    match = _KEY.match(key)
    if match is None:
        raise Invalid(f"{key!r} is not an OCPP 2.0.1 setting key (Component/Variable)")
    component: dict[str, Any] = {"name": match["component"]}
    if match["ci"]:
        component["instance"] = match["ci"]
    if match["evse"]:
        component["evse"] = {"id": int(match["evse"])}
        if match["connector"]:
            component["evse"]["connector_id"] = int(match["connector"])
    variable: dict[str, Any] = {"name": match["variable"]}
    if match["vi"]:
        variable["instance"] = match["vi"]
    return component, variable


def settings_of(report_data: list[dict[str, Any]] | None) -> list[ReportedSetting]:
    """The Actual value of each reported variable (a variable without one is not a setting)."""
    found: list[ReportedSetting] = []
    for item in report_data or []:
        for attribute in item.get("variable_attribute", []):
            if attribute.get("type", "Actual") != "Actual":
                continue
            readonly = attribute.get("mutability", "ReadWrite") == "ReadOnly"
            key = setting_key(item["component"], item["variable"])
            found.append(ReportedSetting(key, attribute.get("value"), readonly))
    return found


class Report:
    """One GetBaseReport's parts, in seqNo order once complete."""

    def __init__(self) -> None:
        self._parts: dict[int, list[ReportedSetting]] = {}
        self._last: int | None = None
        self.complete = asyncio.Event()

    def add(self, seq_no: int, settings: list[ReportedSetting], tbc: bool) -> None:
        self._parts[seq_no] = settings
        if not tbc:
            self._last = seq_no
        if self._last is not None and all(n in self._parts for n in range(self._last + 1)):
            self.complete.set()

    def settings(self) -> tuple[ReportedSetting, ...]:
        return tuple(s for n in sorted(self._parts) for s in self._parts[n])


class Reports:
    """The reports a charging station owes us, by requestId."""

    def __init__(self) -> None:
        self._waiting: dict[int, Report] = {}

    def expect(self, request_id: int) -> Report:
        report = self._waiting[request_id] = Report()
        return report

    def forget(self, request_id: int) -> None:
        self._waiting.pop(request_id, None)

    def receive(self, request_id: int, seq_no: int, report_data: list[dict[str, Any]] | None, tbc: bool) -> bool:
        """Add a part; False when nobody waits for this report (it is answered all the same)."""
        report = self._waiting.get(request_id)
        if report is None:
            return False
        report.add(seq_no, settings_of(report_data), tbc)
        return True
