"""The ocpp package's JSON schemas, compiled once per (version, action, direction) and run in-line.

The package validates with jsonschema's Draft4Validator on a thread pool. Here the same schema files are
compiled by fastjsonschema into plain Python functions, run in-line: read as Draft 4 (as the package reads
them, whatever their `$schema` says), no `format` checks (Draft4Validator runs none without a format checker),
no defaults written into the payload. Only a payload that fails is handed to the package's public
`validate_payload`, so the CALLERROR code and cause are exactly the package's, first error and all; the fast
path only decides "valid". The three 1.6 actions whose floats the package reads as decimals go to it always.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
from ocpp.messages import Call, CallResult
from ocpp.messages import validate_payload as package_validate

_SCHEMAS = Path(ocpp.__file__).parent
_DRAFT4 = "http://json-schema.org/draft-04/schema#"
# The package parses these with decimal.Decimal (multipleOf 0.1 on floats): left to it.
_DECIMAL = frozenset({("1.6", "call", "SetChargingProfile"), ("1.6", "call", "RemoteStartTransaction")}) | {
    ("1.6", "result", "GetCompositeSchedule")
}

Check = Callable[[Any], Any]
_compiled: dict[tuple[str, str, str], Check | None] = {}


async def validate(message: Call | CallResult, version: str) -> None:
    """Raise the package's OCPPError for a payload its schema refuses; return quietly otherwise."""
    check = _checker(version, "call" if isinstance(message, Call) else "result", message.action)
    if check is not None:
        try:
            check(message.payload)
            return
        except fastjsonschema.JsonSchemaException:
            pass
    await package_validate(message, version)  # raises, with the package's code and cause


def _checker(version: str, direction: str, action: str) -> Check | None:
    key = (version, direction, action)
    try:
        return _compiled[key]
    except KeyError:
        pass
    check = None if key in _DECIMAL else _compile(version, direction, action)
    _compiled[key] = check
    return check


def _compile(version: str, direction: str, action: str) -> Check | None:
    name = action + ("Response" if direction == "result" else "Request" if version != "1.6" else "")
    path = _SCHEMAS / f"v{version.replace('.', '')}" / "schemas" / f"{name}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        # No such schema: the package answers NotImplemented for it, so let it.
        return None
    schema["$schema"] = _DRAFT4
    return fastjsonschema.compile(schema, use_default=False, use_formats=False, detailed_exceptions=False)


def precompile(version: str, actions: list[str]) -> None:
    """Compile the schemas of the actions served, both directions, before the first charger connects."""
    for action in actions:
        _checker(version, "call", action)
        _checker(version, "result", action)
