"""What a simulated charger keeps between the server's commands: its settings (with an Autocharge switch), its
local authorisation list and version, its connectors' availability. The same for both OCPP versions; the drivers
translate. 1.6 keys are plain ("AutoChargeEnabled"); 2.0.1 ones are "Component/Variable" (with "@evse")."""

from __future__ import annotations

from dataclasses import dataclass, field

from autocharge.simulator._tokens import OcppVersion


@dataclass(slots=True)
class Setting:
    value: str
    readonly: bool = False


def default_settings(version: OcppVersion, connectors: int, autocharge: bool | None) -> dict[str, Setting]:
    """A DC charger's usual settings; `autocharge` None: no Autocharge switch at all."""
    switch = "true" if autocharge else "false"
    if version == "1.6":
        settings = {
            "HeartbeatInterval": Setting("300"),
            "MeterValueSampleInterval": Setting("60"),
            "AuthorizeRemoteTxRequests": Setting("false"),
            "LocalAuthListEnabled": Setting("true"),
            "LocalAuthListMaxLength": Setting("1000", readonly=True),
            "NumberOfConnectors": Setting(str(connectors), readonly=True),
        }
        if autocharge is not None:
            settings["AutoChargeEnabled"] = Setting(switch)
        return settings
    settings = {
        "OCPPCommCtrlr/HeartbeatInterval": Setting("300"),
        "SampledDataCtrlr/TxUpdatedInterval": Setting("60"),
        "AuthCtrlr/AuthorizeRemoteStart": Setting("false"),
        "LocalAuthListCtrlr/Enabled": Setting("true"),
        "LocalAuthListCtrlr/Entries": Setting("0", readonly=True),
    }
    for evse in range(1, connectors + 1):
        settings[f"EVSE@{evse}/AvailabilityState"] = Setting("Available", readonly=True)
    if autocharge is not None:
        settings["AutoCharge/Enabled"] = Setting(switch)
    return settings


@dataclass(slots=True)
class Station:
    settings: dict[str, Setting]
    local_list: dict[str, str] = field(default_factory=dict)  # idTag (1.6) or idToken (2.0.1) -> status
    local_list_version: int = 0
    inoperative: set[int] = field(default_factory=set)  # connectors taken out of service (0: the charger)
    resets: list[str] = field(default_factory=list)  # the reset kinds received, in order

    def change(self, key: str, value: str) -> str:
        """A ChangeConfiguration / SetVariables status."""
        setting = self.settings.get(key)
        if setting is None:
            return "NotSupported" if "/" not in key else "UnknownVariable"
        if setting.readonly:
            return "Rejected"
        setting.value = value
        return "Accepted"

    def update_list(self, version: int, full: bool, entries: dict[str, str | None]) -> str:
        """A SendLocalList status; an entry without a status comes off the list (Differential)."""
        if not full and version <= self.local_list_version:
            return "VersionMismatch"
        if full:
            self.local_list = {}
        for token, status in entries.items():
            if status is None:
                self.local_list.pop(token, None)
            else:
                self.local_list[token] = status
        self.local_list_version = version
        if "LocalAuthListCtrlr/Entries" in self.settings:
            self.settings["LocalAuthListCtrlr/Entries"].value = str(len(self.local_list))
        return "Accepted"

    @property
    def autocharge_enabled(self) -> bool | None:
        for key in ("AutoChargeEnabled", "AutoCharge/Enabled"):
            if key in self.settings:
                return self.settings[key].value.lower() == "true"
        return None
