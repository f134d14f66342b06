"""The charger's side of OCPP 2.0.1: TransactionEvent, and the RequestStart/StopTransaction it answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ocpp.v201 import ChargePoint, call, call_result, datatypes
from ocpp.v201.enums import Action

from autocharge.simulator._link import ConnectorStatuses, Link, RemoteControl, after, on, utc_now
from autocharge.simulator._operations201 import Operations201
from autocharge.simulator._report import Reporter
from autocharge.simulator._tokens import IdToken

# The triggerReason that goes with each stoppedReason we send; anything else was stopped at the charger.
_STOP_TRIGGERS = {"Remote": "RemoteStop", "EVDisconnected": "EVCommunicationLost", "DeAuthorized": "Deauthorized"}


def _answer(accepted: bool) -> str:
    return "Accepted" if accepted else "Rejected"


def _energy(wh: int, context: str) -> datatypes.MeterValueType:
    return datatypes.MeterValueType(
        timestamp=utc_now(),
        sampled_value=[
            datatypes.SampledValueType(
                value=wh,
                context=context,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=datatypes.UnitOfMeasureType(unit="Wh"),
            )
        ],
    )


@dataclass(slots=True)
class _Transaction:
    evse_id: int
    seq_no: int = 0  # every TransactionEvent of one transaction carries the next number, from 0

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1


class _ChargePoint(Operations201, ChargePoint):  # type: ignore[misc]  # ocpp ships no type hints
    def __init__(self, charge_point_id: str, connection: Any, control: RemoteControl, link: Link, timeout: float):
        super().__init__(charge_point_id, connection, response_timeout=timeout)
        self._control = control
        self._link = link

    @on(Action.request_start_transaction)
    def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, call_unique_id: str, evse_id: int | None = None, **_: Any
    ) -> Any:
        token = IdToken(id_token["id_token"], id_token["type"])
        self._link.report("<-", f"RequestStartTransaction idToken={token.value} type={token.type} evse={evse_id}")
        accepted = self._control.request_start(call_unique_id, token, evse_id, remote_start_id)
        self._link.report("->", _answer(accepted))
        return call_result.RequestStartTransaction(status=_answer(accepted))

    @on(Action.request_stop_transaction)
    def on_request_stop(self, transaction_id: str, call_unique_id: str, **_: Any) -> Any:
        self._link.report("<-", f"RequestStopTransaction transactionId={transaction_id}")
        accepted = self._control.request_stop(call_unique_id, transaction_id)
        self._link.report("->", _answer(accepted))
        return call_result.RequestStopTransaction(status=_answer(accepted))

    # The transaction may only start once the server has our answer: `@after` runs after it was sent.
    @after(Action.request_start_transaction)
    def after_request_start(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)

    @after(Action.request_stop_transaction)
    def after_request_stop(self, call_unique_id: str, **_: Any) -> None:
        self._control.proceed(call_unique_id)


class V201Driver:
    """OCPP 2.0.1: the charger names its transactions; connector n is EVSE n with its connector 1."""

    statuses = ConnectorStatuses(plugged="Occupied", charging=None, finishing=None, available="Available")

    def __init__(
        self, charge_point_id: str, connection: Any, control: RemoteControl, reporter: Reporter, timeout: float
    ) -> None:
        self._link = Link(charge_point_id, reporter)
        self._link.bind(_ChargePoint(charge_point_id, connection, control, self._link, timeout))
        self._transactions: dict[str, _Transaction] = {}

    async def serve(self) -> None:
        await self._link.serve()

    async def boot(self, vendor: str, model: str) -> str:
        result = await self._link.call(
            call.BootNotification(
                charging_station=datatypes.ChargingStationType(vendor_name=vendor, model=model), reason="PowerUp"
            ),
            f"vendor={vendor} model={model}",
            lambda r: f"{r.status} interval={r.interval}",
        )
        return str(result.status)

    async def heartbeat(self) -> str:
        result = await self._link.call(call.Heartbeat(), "", lambda r: f"currentTime={r.current_time}")
        return str(result.current_time)

    async def status(self, connector: int, status: str) -> None:
        await self._link.call(
            call.StatusNotification(timestamp=utc_now(), connector_status=status, evse_id=connector, connector_id=1),
            f"evse={connector} connector=1 status={status}",
            lambda _: "OK",
        )

    async def authorize(self, token: IdToken) -> str:
        result = await self._link.call(
            call.Authorize(id_token=datatypes.IdTokenType(id_token=token.value, type=token.type)),
            f"idToken={token.value} type={token.type}",
            lambda r: r.id_token_info["status"],
        )
        return str(result.id_token_info["status"])

    async def start_transaction(
        self, connector: int, token: IdToken, meter_start: int, remote_start_id: int | None = None
    ) -> tuple[str, str]:
        transaction_id = str(uuid.uuid4())
        transaction = self._transactions[transaction_id] = _Transaction(evse_id=connector)
        result = await self._link.call(
            call.TransactionEvent(
                event_type="Started",
                timestamp=utc_now(),
                trigger_reason="Authorized" if remote_start_id is None else "RemoteStart",
                seq_no=transaction.next_seq_no(),
                transaction_info=datatypes.TransactionType(
                    transaction_id=transaction_id, charging_state="Charging", remote_start_id=remote_start_id
                ),
                id_token=datatypes.IdTokenType(id_token=token.value, type=token.type),
                evse=datatypes.EVSEType(id=connector, connector_id=1),
                meter_value=[_energy(meter_start, "Transaction.Begin")],
            ),
            f"Started transactionId={transaction_id} idToken={token.value} type={token.type} meterStart={meter_start}",
            lambda r: _token_status(r),
        )
        return transaction_id, _token_status(result)

    async def meter_values(self, connector: int, transaction_id: str, wh: int) -> None:
        transaction = self._transactions[transaction_id]
        await self._link.call(
            call.TransactionEvent(
                event_type="Updated",
                timestamp=utc_now(),
                trigger_reason="MeterValuePeriodic",
                seq_no=transaction.next_seq_no(),
                transaction_info=datatypes.TransactionType(transaction_id=transaction_id, charging_state="Charging"),
                meter_value=[_energy(wh, "Sample.Periodic")],
            ),
            f"Updated transactionId={transaction_id} energy={wh}Wh",
            lambda _: "OK",
        )

    async def meter_reading(self, connector: int, transaction_id: str | None, wh: int) -> None:
        # Outside a TransactionEvent: MeterValues names the EVSE only.
        await self._link.call(
            call.MeterValues(evse_id=connector, meter_value=[_energy(wh, "Trigger")]),
            f"evse={connector} energy={wh}Wh (triggered)",
            lambda _: "OK",
        )

    async def stop_transaction(self, transaction_id: str, meter_stop: int, reason: str) -> None:
        transaction = self._transactions.pop(transaction_id)
        await self._link.call(
            call.TransactionEvent(
                event_type="Ended",
                timestamp=utc_now(),
                trigger_reason=_STOP_TRIGGERS.get(reason, "StopAuthorized"),
                seq_no=transaction.next_seq_no(),
                transaction_info=datatypes.TransactionType(
                    transaction_id=transaction_id,
                    charging_state="Idle" if reason == "EVDisconnected" else "EVConnected",
                    stopped_reason=reason,
                ),
                evse=datatypes.EVSEType(id=transaction.evse_id, connector_id=1),
                meter_value=[_energy(meter_stop, "Transaction.End")],
            ),
            f"Ended transactionId={transaction_id} meterStop={meter_stop} reason={reason}",
            lambda _: "OK",
        )


def _token_status(result: Any) -> str:
    # A server may leave idTokenInfo out of the answer to Started: then it has not withdrawn the token.
    info = result.id_token_info
    return str(info["status"]) if info else "Accepted"
