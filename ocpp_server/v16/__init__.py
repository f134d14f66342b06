"""OCPP 1.6J."""

from ocpp_server.v16.charge_point import ChargePoint16

__all__ = ["ChargePoint16"]
