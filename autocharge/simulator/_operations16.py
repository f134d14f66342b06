"""OCPP 1.6J: the station operations a charger answers (Reset, UnlockConnector, ChangeAvailability,
TriggerMessage, Get/ChangeConfiguration, SendLocalList, GetLocalListVersion)."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from autocharge.simulator._link import Link, RemoteControl, after, on


class Operations16:
    """Mixed into the 1.6 ChargePoint, which sets _control and _link."""

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
    def on_unlock(self, connector_id: int, **_: Any) -> Any:
        status = "Unlocked" if self._control.unlock(connector_id) else "NotSupported"
        return call_result.UnlockConnector(status=self._answered(f"UnlockConnector connector={connector_id}", status))

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str, call_unique_id: str, **_: Any) -> Any:
        status = self._control.request_availability(call_unique_id, connector_id, type == "Operative")
        return call_result.ChangeAvailability(
            status=self._answered(f"ChangeAvailability connector={connector_id} type={type}", status)
        )

    @on(Action.trigger_message)
    def on_trigger(self, requested_message: str, call_unique_id: str, connector_id: int | None = None, **_: Any) -> Any:
        status = self._control.request_trigger(call_unique_id, requested_message, connector_id)
        return call_result.TriggerMessage(status=self._answered(f"TriggerMessage {requested_message}", status))

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        settings = self._control.station.settings
        wanted = key if key else list(settings)
        known = [
            {"key": k, "readonly": settings[k].readonly, "value": settings[k].value} for k in wanted if k in settings
        ]
        unknown = [k for k in wanted if k not in settings]
        self._answered(f"GetConfiguration {','.join(key or ['(all)'])}", f"{len(known)} keys")
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        status = self._control.station.change(key, value)
        return call_result.ChangeConfiguration(status=self._answered(f"ChangeConfiguration {key}={value}", status))

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        entries = {
            e["id_tag"]: (e["id_tag_info"]["status"] if e.get("id_tag_info") else None)
            for e in local_authorization_list or []
        }
        status = self._control.station.update_list(list_version, update_type == "Full", entries)
        request = f"SendLocalList {update_type} version={list_version} entries={len(entries)}"
        return call_result.SendLocalList(status=self._answered(request, status))

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        version = self._control.station.local_list_version
        self._answered("GetLocalListVersion", str(version))
        return call_result.GetLocalListVersion(list_version=version)

    # What follows an answer (a boot, status notifications, the triggered message) waits until it was sent.
    @after(Action.reset)
    def after_reset(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.change_availability)
    def after_change_availability(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.trigger_message)
    def after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)
