"""A simulated Autocharge DC charger (OCPP 1.6J and 2.0.1) for people without hardware.

`SimulatedCharger` is the library (tests, benchmarks, demos); `simulate` is what the
`autocharge simulate` command runs.
"""

from __future__ import annotations

from autocharge.simulator._charger import RemoteTransaction, SessionResult, SimulatedCharger
from autocharge.simulator._connect import basic_auth, charge_point_id_from_url
from autocharge.simulator._errors import CallFailed, ChargerDisconnected, ConnectionRejected, SimulatorError
from autocharge.simulator._report import Reporter, Step, printing, silent
from autocharge.simulator._resident import REPLACED_REASON, ResidentCharger
from autocharge.simulator._simulate import (
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_PROTOCOL,
    EXIT_REJECTED,
    EXIT_USAGE,
    simulate,
)
from autocharge.simulator._tls import client_context
from autocharge.simulator._tokens import IdToken, OcppVersion, parse_version, token_for_mac

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_OK",
    "EXIT_PROTOCOL",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "REPLACED_REASON",
    "CallFailed",
    "ChargerDisconnected",
    "ConnectionRejected",
    "IdToken",
    "OcppVersion",
    "RemoteTransaction",
    "Reporter",
    "ResidentCharger",
    "SessionResult",
    "SimulatedCharger",
    "SimulatorError",
    "Step",
    "basic_auth",
    "charge_point_id_from_url",
    "client_context",
    "parse_version",
    "printing",
    "silent",
    "simulate",
    "token_for_mac",
]
