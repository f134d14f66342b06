"""The OCPP 1.6J / 2.0.1 websocket server: handshake, one ChargePoint per connection, frame logging, commands."""

from ocpp_server.registry import ConnectionRegistry
from ocpp_server.server import OcppServer

__all__ = ["ConnectionRegistry", "OcppServer"]
