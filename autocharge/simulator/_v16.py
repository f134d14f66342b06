"""The charger's side of OCPP 1.6J: its messages, and the remote start/stop it answers."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import ChargePoint, call, call_result, datatypes
from ocpp.v16.enums import Action

from autocharge.simulator._link import ConnectorStatuses, Link, RemoteControl, after, on, utc_now
from autocharge.simulator._operations16 import Operations16
from autocharge.simulator._report import Reporter
from autocharge.simulator._tokens import IdToken


def _answer(accepted: bool) -> str:
    return "Accepted" if accepted else "Rejected"


def _energy(wh: int, context: str) -> datatypes.MeterValue:
    return datatypes.MeterValue(
        timestamp=utc_now(),
        sampled_value=[
            datatypes.SampledValue(
                value=str(wh),  # 1.6 sends readings as strings
                context=context,
                measurand="Energy.Active.Import.Register",
                unit="Wh",
            )
        ],
    )


class _ChargePoint(Operations16, ChargePoint):  # type: ignore[misc]  # ocpp ships no type hints
    def __init__(self, charge_point_id: str, connection: Any, control: RemoteControl, link: Link, timeout: float):
        super().__init__(charge_point_id, connection, response_timeout=timeout)
        self._control = control
        self._link = link

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, call_unique_id: str, connector_id: int | None = None, **_: Any) -> Any:
        self._link.report("<-", f"RemoteStartTransaction idTag={id_tag} connector={connector_id}")
        # The type is not sent on 1.6; "Central" says the token came from the server, not a reader.
        accepted = self._control.request_start(call_unique_id, IdToken(id_tag, "Central"), connector_id, None)
        self._link.report("->", _answer(accepted))
        return call_result.RemoteStartTransaction(status=_answer(accepted))

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int, call_unique_id: str, **_: Any) -> Any:
        self._link.report("<-", f"RemoteStopTransaction transactionId={transaction_id}")
        accepted = self._control.request_stop(call_unique_id, str(transaction_id))
        self._link.report("->", _answer(accepted))
        return call_result.RemoteStopTransaction(status=_answer(accepted))

    # The transaction may only start once the server has our answer: `@after` runs after it was sent.
    @after(Action.remote_start_transaction)
    def after_remote_start(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.remote_stop_transaction)
    def after_remote_stop(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)


class V16Driver:
    """OCPP 1.6J: the server numbers the transactions; readings are Energy.Active.Import.Register in Wh."""

    statuses = ConnectorStatuses(plugged="Preparing", charging="Charging", finishing="Finishing", available="Available")

    def __init__(
        self, charge_point_id: str, connection: Any, control: RemoteControl, reporter: Reporter, timeout: float
    ) -> None:
        self._link = Link(charge_point_id, reporter)
        self._link.bind(_ChargePoint(charge_point_id, connection, control, self._link, timeout))

    async def serve(self) -> None:
        await self._link.serve()

    async def boot(self, vendor: str, model: str) -> str:
        result = await self._link.call(
            call.BootNotification(charge_point_vendor=vendor, charge_point_model=model),
            f"vendor={vendor} model={model}",
            lambda r: f"{r.status} interval={r.interval}",
        )
        return str(result.status)

    async def heartbeat(self) -> str:
        result = await self._link.call(call.Heartbeat(), "", lambda r: f"currentTime={r.current_time}")
        return str(result.current_time)

    async def status(self, connector: int, status: str) -> None:
        await self._link.call(
            call.StatusNotification(connector_id=connector, error_code="NoError", status=status, timestamp=utc_now()),
            f"connector={connector} status={status}",
            lambda _: "OK",
        )

    async def authorize(self, token: IdToken) -> str:
        result = await self._link.call(
            call.Authorize(id_tag=token.value), f"idTag={token.value}", lambda r: r.id_tag_info["status"]
        )
        return str(result.id_tag_info["status"])

    async def start_transaction(
        self, connector: int, token: IdToken, meter_start: int, remote_start_id: int | None = None
    ) -> tuple[str, str]:
        result = await self._link.call(
            call.StartTransaction(
                connector_id=connector, id_tag=token.value, meter_start=meter_start, timestamp=utc_now()
            ),
            f"connector={connector} idTag={token.value} meterStart={meter_start}",
            lambda r: f"{r.id_tag_info['status']} transactionId={r.transaction_id}",
        )
        return str(result.transaction_id), str(result.id_tag_info["status"])

    async def meter_values(self, connector: int, transaction_id: str, wh: int) -> None:
        await self._link.call(
            call.MeterValues(
                connector_id=connector,
                transaction_id=int(transaction_id),
                meter_value=[_energy(wh, "Sample.Periodic")],
            ),
            f"connector={connector} transactionId={transaction_id} energy={wh}Wh",
            lambda _: "OK",
        )

    async def meter_reading(self, connector: int, transaction_id: str | None, wh: int) -> None:
        await self._link.call(
            call.MeterValues(
                connector_id=connector,
                transaction_id=int(transaction_id) if transaction_id is not None else None,
                meter_value=[_energy(wh, "Trigger")],
            ),
            f"connector={connector} energy={wh}Wh (triggered)",
            lambda _: "OK",
        )

    async def stop_transaction(self, transaction_id: str, meter_stop: int, reason: str) -> None:
        await self._link.call(
            call.StopTransaction(
                meter_stop=meter_stop, timestamp=utc_now(), transaction_id=int(transaction_id), reason=reason
            ),
            f"transactionId={transaction_id} meterStop={meter_stop} reason={reason}",
            lambda r: r.id_tag_info["status"] if r.id_tag_info else "OK",
        )
