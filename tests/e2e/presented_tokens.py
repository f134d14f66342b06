"""A charger presenting tokens over a real socket with the `ocpp` package's ChargePoint, on either OCPP version.

Authorize, a transaction's start and its end, as 1.6 (Authorize, StartTransaction, StopTransaction) or
2.0.1 (Authorize, TransactionEvent Started / Ended) frames; each returns the status the back office answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from tests.e2e.harness import ocpp_charge_point

T0 = "2026-01-05T08:00:00Z"


def vehicle_token(mac: str) -> tuple[str, str]:
    """(value, 2.0.1 type) of a vehicle's Autocharge token; 1.6 sends the value with the 'VID:' prefix."""
    return mac, "MacAddress"


def card(tag: str) -> tuple[str, str]:
    return tag, "ISO14443"


@dataclass
class PresentingCharger:
    """One connected charger; `token` is (value, type) as vehicle_token() or card() make it."""

    cp: Any
    version: str

    def _id_tag(self, token: tuple[str, str]) -> str:
        value, kind = token
        return f"VID:{value}" if kind == "MacAddress" and not value.upper().startswith("VID:") else value

    def _id_token(self, token: tuple[str, str]) -> types201.IdTokenType:
        return types201.IdTokenType(id_token=token[0], type=token[1])

    async def boot(self) -> None:
        if self.version == "1.6":
            await self.cp.call(call16.BootNotification(charge_point_vendor="ABB", charge_point_model="Terra 184"))
            return
        station = types201.ChargingStationType(vendor_name="ABB", model="Terra 184")
        await self.cp.call(call201.BootNotification(charging_station=station, reason="PowerUp"))

    async def authorize(self, token: tuple[str, str]) -> str:
        if self.version == "1.6":
            answer = await self.cp.call(call16.Authorize(id_tag=self._id_tag(token)))
            return str(answer.id_tag_info["status"])
        answer = await self.cp.call(call201.Authorize(id_token=self._id_token(token)))
        return str(answer.id_token_info["status"])

    async def start(self, token: tuple[str, str], connector: int = 1, timestamp: str = T0) -> tuple[str, str]:
        """(status, the transaction's id on the wire); the same arguments again are the same start, retried."""
        if self.version == "1.6":
            answer = await self.cp.call(
                call16.StartTransaction(
                    connector_id=connector, id_tag=self._id_tag(token), meter_start=1000, timestamp=timestamp
                )
            )
            return str(answer.id_tag_info["status"]), str(answer.transaction_id)
        transaction_id = f"tx-{connector}-{timestamp}"
        answer = await self.cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=timestamp,
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info=types201.TransactionType(transaction_id=transaction_id),
                evse=types201.EVSEType(id=connector, connector_id=1),
                id_token=self._id_token(token),
            )
        )
        return str(answer.id_token_info["status"]), transaction_id

    async def stop(self, transaction_id: str, timestamp: str = "2026-01-05T09:00:00Z") -> None:
        if self.version == "1.6":
            await self.cp.call(
                call16.StopTransaction(meter_stop=2000, timestamp=timestamp, transaction_id=int(transaction_id))
            )
            return
        await self.cp.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=timestamp,
                trigger_reason="EVCommunicationLost",
                seq_no=1,
                transaction_info=types201.TransactionType(
                    transaction_id=transaction_id, stopped_reason="EVDisconnected"
                ),
            )
        )


@asynccontextmanager
async def presenting(server: Autocharge, cpid: str, version: str) -> AsyncIterator[PresentingCharger]:
    """The registered charger `cpid` connected with the `ocpp` package's ChargePoint of that version, booted."""
    async with ocpp_charge_point(server, cpid, version) as cp:
        station = PresentingCharger(cp, version)
        await station.boot()  # answered once the connection is recorded: the charger is CONNECTED from here
        yield station
