"""What the back office asks of a charger, whatever its OCPP version, and what it answers.

Each command is a frozen dataclass named by what it asks; the OCPP server turns it into its version's CALL
(ocpp_server/v16/commands.py, v201/commands.py). Commands and answers cross between processes as JSON
(to_wire / from_wire), so that a command reaches a charger connected to any process of the cluster.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, ClassVar

# What a charger answers when the command was, or will be, carried out.
ACCEPTING_STATUSES = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked"})


class ChargerCommand:
    """Base of the commands; `name` is how a command travels between processes."""

    name: ClassVar[str]


class TriggerableMessage(enum.StrEnum):
    BOOT_NOTIFICATION = "BOOT_NOTIFICATION"
    HEARTBEAT = "HEARTBEAT"
    STATUS_NOTIFICATION = "STATUS_NOTIFICATION"
    METER_VALUES = "METER_VALUES"


@dataclass(frozen=True, slots=True)
class StartCharging(ChargerCommand):
    name: ClassVar[str] = "start_charging"
    connector_id: int
    id_tag: str


@dataclass(frozen=True, slots=True)
class StopCharging(ChargerCommand):
    name: ClassVar[str] = "stop_charging"
    ocpp_transaction_id: str


@dataclass(frozen=True, slots=True)
class Reset(ChargerCommand):
    name: ClassVar[str] = "reset"
    hard: bool


@dataclass(frozen=True, slots=True)
class Unlock(ChargerCommand):
    name: ClassVar[str] = "unlock"
    connector_id: int


@dataclass(frozen=True, slots=True)
class ChangeAvailability(ChargerCommand):
    name: ClassVar[str] = "change_availability"
    operative: bool
    connector_id: int  # 0: the whole charger


@dataclass(frozen=True, slots=True)
class Trigger(ChargerCommand):
    name: ClassVar[str] = "trigger"
    message: TriggerableMessage
    connector_id: int | None


@dataclass(frozen=True, slots=True)
class ReadSettings(ChargerCommand):
    """Every configuration value (1.6 GetConfiguration; 2.0.1 GetBaseReport FullInventory and its parts)."""

    name: ClassVar[str] = "read_settings"


@dataclass(frozen=True, slots=True)
class WriteSetting(ChargerCommand):
    name: ClassVar[str] = "write_setting"
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LocalListEntry:
    id_tag: str  # a vehicle identifier ("VID:...") or an RFID tag
    vehicle: bool


@dataclass(frozen=True, slots=True)
class SendLocalList(ChargerCommand):
    name: ClassVar[str] = "send_local_list"
    version: int
    full: bool
    entries: tuple[LocalListEntry, ...]  # Full: the whole list; Differential: the entries to add or update
    removed: tuple[str, ...] = ()  # Differential: id tags to take off the list


@dataclass(frozen=True, slots=True)
class ReportedSetting:
    key: str
    value: str | None
    readonly: bool


@dataclass(frozen=True, slots=True)
class CommandAnswer:
    status: str  # as the charger sent it
    settings: tuple[ReportedSetting, ...] = ()  # ReadSettings only

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTING_STATUSES

    def to_wire(self) -> dict[str, Any]:
        return {"status": self.status, "settings": [[s.key, s.value, s.readonly] for s in self.settings]}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CommandAnswer:
        settings = tuple(
            ReportedSetting(str(k), None if v is None else str(v), bool(r)) for k, v, r in data["settings"]
        )
        return cls(str(data["status"]), settings)


_COMMANDS: dict[str, type[ChargerCommand]] = {
    cls.name: cls
    for cls in (
        StartCharging,
        StopCharging,
        Reset,
        Unlock,
        ChangeAvailability,
        Trigger,
        ReadSettings,
        WriteSetting,
        SendLocalList,
    )
}


def _plain(value: Any) -> Any:
    """JSON's own types: tuples become lists, as they would on the way through JSON anyway."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_wire(command: ChargerCommand) -> dict[str, Any]:
    return {"command": command.name, "args": _plain(dataclasses.asdict(command))}  # type: ignore[call-overload]


def from_wire(data: dict[str, Any]) -> ChargerCommand:
    """The command to_wire described; KeyError or TypeError when it describes none."""
    cls = _COMMANDS[str(data["command"])]
    args = dict(data["args"])
    if cls is SendLocalList:
        args["entries"] = tuple(LocalListEntry(**entry) for entry in args["entries"])
        args["removed"] = tuple(args["removed"])
    if cls is Trigger:
        args["message"] = TriggerableMessage(args["message"])
    return cls(**args)
