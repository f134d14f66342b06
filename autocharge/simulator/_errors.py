"""What can go wrong between a simulated charger and the server, in words a person can act on."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base of the errors the simulator raises on purpose."""


class ConnectionRejected(SimulatorError):
    """The server refused the websocket handshake (status_code 0 when it never answered)."""

    def __init__(self, message: str, status_code: int = 0) -> None:
        super().__init__(message)
        self.status_code = status_code


class ChargerDisconnected(SimulatorError):
    """The connection closed while the charger was waiting for an answer."""


class CallFailed(SimulatorError):
    """The server answered a CALL with a CALLERROR, or with a payload that breaks the schema."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"{action} failed: {reason}")
        self.action = action
        self.reason = reason
