"""OCPP 2.0.1: the station operations a charging station answers (Reset, UnlockConnector, ChangeAvailability,
TriggerMessage, GetBaseReport with its NotifyReport parts, Get/SetVariables, SendLocalList, GetLocalListVersion)."""

from __future__ import annotations

from typing import Any, cast

from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from autocharge.simulator._link import Link, RemoteControl, after, on, utc_now
from autocharge.simulator._station import Setting

# Variables per NotifyReport: a report of more comes in several parts (tbc), as from a real station.
REPORT_PART_SIZE = 4


def setting_key(component: dict[str, Any], variable: dict[str, Any]) -> str:
    """The setting's key as the back office spells it: Component[instance]@evse/Variable[instance]."""
    key = str(component["name"]) + (f"[{component['instance']}]" if component.get("instance") else "")
    if component.get("evse"):
        key += f"@{component['evse']['id']}"
    return f"{key}/{variable['name']}" + (f"[{variable['instance']}]" if variable.get("instance") else "")


def report_item(key: str, setting: Setting) -> dict[str, Any]:
    component_part, variable = key.split("/", 1)
    name, _, evse = component_part.partition("@")
    component: dict[str, Any] = {"name": name, **({"evse": {"id": int(evse)}} if evse else {})}
    mutability = "ReadOnly" if setting.readonly else "ReadWrite"
    return {
        "component": component,
        "variable": {"name": variable},
        "variable_attribute": [{"type": "Actual", "value": setting.value, "mutability": mutability}],
    }


class Operations201:
    """Mixed into the 2.0.1 ChargePoint, which sets _control and _link and has the package's call()."""

    _control: RemoteControl
    _link: Link

    def _answered(self, request: str, status: str) -> str:
        self._link.report("<-", request)
        self._link.report("->", status)
        return status

    @on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_: Any) -> Any:
        return call_result.Reset(
            status=self._answered(f"Reset type={type}", self._control.request_reset(call_unique_id))
        )

    @on(Action.unlock_connector)
    def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        status = "Unlocked" if self._control.unlock(evse_id) and connector_id == 1 else "UnknownConnector"
        return call_result.UnlockConnector(status=self._answered(f"UnlockConnector evse={evse_id}", status))

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, call_unique_id: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        evse_id = evse["id"] if evse else 0
        status = self._control.request_availability(call_unique_id, evse_id, operational_status == "Operative")
        request = f"ChangeAvailability evse={evse_id} {operational_status}"
        return call_result.ChangeAvailability(status=self._answered(request, status))

    @on(Action.trigger_message)
    def on_trigger(
        self, requested_message: str, call_unique_id: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        status = self._control.request_trigger(call_unique_id, requested_message, evse["id"] if evse else None)
        return call_result.TriggerMessage(status=self._answered(f"TriggerMessage {requested_message}", status))

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, call_unique_id: str, **_: Any) -> Any:
        if report_base not in ("FullInventory", "ConfigurationInventory"):
            return call_result.GetBaseReport(status=self._answered(f"GetBaseReport {report_base}", "NotSupported"))
        self._control.later(call_unique_id, lambda: self._report(request_id))
        return call_result.GetBaseReport(status=self._answered(f"GetBaseReport {report_base}", "Accepted"))

    async def _report(self, request_id: int) -> None:
        items = [report_item(k, s) for k, s in self._control.station.settings.items()]
        parts = [items[n : n + REPORT_PART_SIZE] for n in range(0, len(items), REPORT_PART_SIZE)] or [[]]
        for seq_no, part in enumerate(parts):
            tbc = seq_no < len(parts) - 1
            self._link.report("->", f"NotifyReport requestId={request_id} seqNo={seq_no} tbc={tbc}")
            await cast(Any, self).call(  # the package's ChargePoint.call
                call.NotifyReport(
                    request_id=request_id, generated_at=utc_now(), seq_no=seq_no, tbc=tbc, report_data=part or None
                ),
                suppress=False,
            )

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        settings = self._control.station.settings
        results = []
        for data in get_variable_data:
            setting = settings.get(setting_key(data["component"], data["variable"]))
            found = {"attribute_status": "Accepted", "attribute_value": setting.value} if setting else {}
            results.append(
                {
                    "attribute_status": "UnknownVariable",
                    **found,
                    "component": data["component"],
                    "variable": data["variable"],
                }
            )
        self._answered(f"GetVariables {len(get_variable_data)}", "answered")
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        results = []
        for data in set_variable_data:
            key = setting_key(data["component"], data["variable"])
            status = self._answered(f"SetVariables {key}={data['attribute_value']}",
                                    self._control.station.change(key, data["attribute_value"]))  # fmt: skip
            results.append({"attribute_status": status, "component": data["component"], "variable": data["variable"]})
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        entries = {
            e["id_token"]["id_token"]: (e["id_token_info"]["status"] if e.get("id_token_info") else None)
            for e in local_authorization_list or []
        }
        status = self._control.station.update_list(version_number, update_type == "Full", entries)
        request = f"SendLocalList {update_type} version={version_number} entries={len(entries)}"
        return call_result.SendLocalList(status=self._answered(request, status))

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        version = self._control.station.local_list_version
        self._answered("GetLocalListVersion", str(version))
        return call_result.GetLocalListVersion(version_number=version)

    @after(Action.reset)
    def after_reset(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.change_availability)
    def after_change_availability(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.trigger_message)
    def after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.get_base_report)
    def after_get_base_report(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)
