"""OCPP 2.0.1."""

from ocpp_server.v201.charge_point import ChargePoint201

__all__ = ["ChargePoint201"]
