"""`autocharge simulate`: run Autocharge sessions against a server and say plainly how it went."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from autocharge.simulator._charger import ACCEPTED, SessionResult, SimulatedCharger
from autocharge.simulator._connect import charge_point_id_from_url
from autocharge.simulator._errors import CallFailed, ChargerDisconnected, ConnectionRejected
from autocharge.simulator._report import printing
from autocharge.simulator._tokens import parse_version, token_for_mac
from domain.errors import Invalid

EXIT_OK = 0
EXIT_REJECTED = 1  # the server said no: BootNotification, Authorize or the transaction's start
EXIT_USAGE = 2  # the arguments make no sense
EXIT_CONNECTION = 3  # refused in the handshake, unreachable, or dropped
EXIT_PROTOCOL = 4  # a CALLERROR, an invalid answer, or no answer


async def simulate(
    url: str,
    mac: str,
    ocpp_version: str = "1.6",
    password: str | None = None,
    sessions: int = 1,
    meter_values: int = 3,
    out: Callable[[str], object] = print,
    tls: ssl.SSLContext | None = None,
) -> int:
    """Boot a simulated charger on `url` and run `sessions` Autocharge sessions for `mac`; return an exit code.
    `tls`: for a wss:// URL, the server to trust and the client certificate to present (see client_context).

    Every message and answer is written to `out`; the last line says what happened, and on
    failure what to do about it.
    """
    try:
        version = parse_version(ocpp_version)
        token = token_for_mac(mac, version)
        charge_point_id = charge_point_id_from_url(url)
        if sessions < 1 or meter_values < 0:
            raise ValueError("--sessions must be at least 1 and --meter-values at least 0")
    except (ValueError, Invalid) as error:
        out(f"error: {error}")
        return EXIT_USAGE

    energy = 0
    try:
        async with SimulatedCharger(url, version, password, reporter=printing(out), tls=tls) as charger:
            boot = await charger.boot()
            if boot != ACCEPTED:
                out(f"error: the server answered BootNotification with {boot}, so the charger may not charge")
                return EXIT_REJECTED
            await charger.status(1, charger.statuses.available)
            for number in range(1, sessions + 1):
                result = await charger.run_session(token, meter_values=meter_values)
                if not result.completed:
                    out(f"error: session {number}: {_refusal(result)}")
                    return EXIT_REJECTED
                energy += result.energy_wh
    except ConnectionRejected as error:
        out(f"error: {error}")
        return EXIT_CONNECTION
    except ChargerDisconnected as error:
        out(f"error: {error}")
        return EXIT_CONNECTION
    except CallFailed as error:
        out(f"error: {error}")
        return EXIT_PROTOCOL
    out(f"done: {sessions} Autocharge session(s) on {charge_point_id} with {token.value}, {energy} Wh charged")
    return EXIT_OK


def _refusal(result: SessionResult) -> str:
    if result.authorization != ACCEPTED:
        return (
            f"Authorize was rejected ({result.authorization}) for {result.token.value}: the back office has no "
            "active vehicle identifier with this MAC; pair the vehicle first"
        )
    return f"the server accepted Authorize but answered the transaction's start with {result.start_status}"
