"""What the simulated chargers send, on OCPP 1.6J and 2.0.1, and how benchmark chargers and vehicles are named.

Charger i is `BENCH-{i:05d}`; its driver's vehicle carries the Autocharge identifier `vehicle_mac(i)`, so an
Authorize with that token is Accepted once the database is seeded with the same numbering (see _seeding.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

CHARGE_POINT_PREFIX = "BENCH-"
_MAC_BASE = 0x0A0000000000


def charge_point_id(index: int, prefix: str = CHARGE_POINT_PREFIX) -> str:
    return f"{prefix}{index:05d}"


def vehicle_mac(index: int) -> str:
    """Twelve upper-case hex digits, distinct per index."""
    return f"{_MAC_BASE + index:012X}"


def vehicle_token(index: int) -> str:
    """The canonical stored identifier, and the OCPP 1.6 idTag an Autocharge charger sends."""
    return "VID:" + vehicle_mac(index)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Messages:
    """The CALL payloads of one charger on one OCPP version; `meter_wh` is its energy register."""

    def __init__(self, version: str, index: int) -> None:
        self.version = version
        self.index = index
        self.v16 = version == "1.6"
        self.token = vehicle_token(index)
        self.meter_wh = 0
        self._seq_no = 0
        if self.v16:
            self.authorize_payload: dict[str, Any] = {"idTag": self.token}
        else:
            self.authorize_payload = {"idToken": {"idToken": vehicle_mac(index), "type": "MacAddress"}}

    def boot(self) -> tuple[str, dict[str, Any]]:
        if self.v16:
            return "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Loadgen DC"}
        station = {"vendorName": "Bench", "model": "Loadgen DC"}
        return "BootNotification", {"chargingStation": station, "reason": "PowerUp"}

    def heartbeat(self) -> tuple[str, dict[str, Any]]:
        return "Heartbeat", {}

    def authorize(self) -> tuple[str, dict[str, Any]]:
        return "Authorize", self.authorize_payload

    def status(self, status: str) -> tuple[str, dict[str, Any]]:
        """`status` is a 1.6 status; 2.0.1 has Occupied where 1.6 has Preparing."""
        if self.v16:
            return "StatusNotification", {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": status,
                "timestamp": now_text(),
            }
        connector_status = "Occupied" if status in ("Preparing", "Charging", "Finishing") else status
        return "StatusNotification", {
            "timestamp": now_text(),
            "connectorStatus": connector_status,
            "evseId": 1,
            "connectorId": 1,
        }

    def data_transfer(self, data: str) -> tuple[str, dict[str, Any]]:
        return "DataTransfer", {"vendorId": "bench", "messageId": "latency", "data": data}

    # --- a transaction: start, readings, stop ---

    def start(self) -> tuple[str, dict[str, Any]]:
        if self.v16:
            return "StartTransaction", {
                "connectorId": 1,
                "idTag": self.token,
                "meterStart": self.meter_wh,
                "timestamp": now_text(),
            }
        self._transaction_id = uuid.uuid4().hex
        self._seq_no = 0
        return "TransactionEvent", {
            "eventType": "Started",
            "timestamp": now_text(),
            "triggerReason": "Authorized",
            "seqNo": self._next_seq(),
            "transactionInfo": {"transactionId": self._transaction_id, "chargingState": "Charging"},
            "idToken": {"idToken": vehicle_mac(self.index), "type": "MacAddress"},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": [self._reading("Transaction.Begin")],
        }

    def started(self, answer: dict[str, Any]) -> str:
        """The transaction's status in the answer to its start; remembers a 1.6 transactionId."""
        if self.v16:
            self._transaction_number = answer.get("transactionId")
            return str(answer.get("idTagInfo", {}).get("status"))
        return str(answer.get("idTokenInfo", {}).get("status"))

    def meter_values(self, step_wh: int = 1000) -> tuple[str, dict[str, Any]]:
        self.meter_wh += step_wh
        if self.v16:
            return "MeterValues", {
                "connectorId": 1,
                "transactionId": self._transaction_number,
                "meterValue": [self._reading("Sample.Periodic")],
            }
        return "TransactionEvent", {
            "eventType": "Updated",
            "timestamp": now_text(),
            "triggerReason": "MeterValuePeriodic",
            "seqNo": self._next_seq(),
            "transactionInfo": {"transactionId": self._transaction_id, "chargingState": "Charging"},
            "meterValue": [self._reading("Sample.Periodic")],
        }

    def stop(self) -> tuple[str, dict[str, Any]]:
        if self.v16:
            return "StopTransaction", {
                "meterStop": self.meter_wh,
                "timestamp": now_text(),
                "transactionId": self._transaction_number,
                "reason": "EVDisconnected",
            }
        return "TransactionEvent", {
            "eventType": "Ended",
            "timestamp": now_text(),
            "triggerReason": "EVCommunicationLost",
            "seqNo": self._next_seq(),
            "transactionInfo": {
                "transactionId": self._transaction_id,
                "chargingState": "Idle",
                "stoppedReason": "EVDisconnected",
            },
            "meterValue": [self._reading("Transaction.End")],
        }

    def _next_seq(self) -> int:
        self._seq_no += 1
        return self._seq_no - 1

    def _reading(self, context: str) -> dict[str, Any]:
        if self.v16:
            sampled = {
                "value": str(self.meter_wh),
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
            }
        else:
            sampled = {
                "value": self.meter_wh,
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": "Wh"},
            }
        return {"timestamp": now_text(), "sampledValue": [sampled]}
