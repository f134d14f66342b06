"""CALLERRORs: what each kind of bad input is called on OCPP-J 1.6 and 2.0.1, decided in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocpp.exceptions import OCPPError

from ocpp_server.frames import Fault

V16, V201 = "1.6", "2.0.1"

# The ocpp package mixes the two versions' spellings; each version's spec has its own (1.6 errata 5.1, 5.2).
_SPELLING = {
    V16: {"FormatViolation": "FormationViolation", "OccurrenceConstraintViolation": "OccurenceConstraintViolation"},
    V201: {"FormationViolation": "FormatViolation", "OccurrenceConstraintViolation": "OccurenceConstraintViolation"},
}

# 2.0.1 has codes for a frame that is not an RPC at all (RpcFrameworkError: "MessageId could not be read" is
# its own example); 1.6 has none, and files every badly formed frame or payload under FormationViolation
# ("not conform the PDU structure"), keeping ProtocolError for an incomplete one.
_FAULTS = {
    V16: {
        Fault.NOT_JSON: "FormationViolation",
        Fault.NOT_RPC: "FormationViolation",
        Fault.INCOMPLETE: "ProtocolError",
        Fault.UNKNOWN_TYPE: "FormationViolation",
        Fault.BAD_UNIQUE_ID: "FormationViolation",
        Fault.BAD_PAYLOAD: "FormationViolation",
    },
    V201: {
        Fault.NOT_JSON: "FormatViolation",
        Fault.NOT_RPC: "RpcFrameworkError",
        Fault.INCOMPLETE: "ProtocolError",
        Fault.UNKNOWN_TYPE: "MessageTypeNotSupported",
        Fault.BAD_UNIQUE_ID: "RpcFrameworkError",
        Fault.BAD_PAYLOAD: "FormatViolation",
    },
}


@dataclass(frozen=True, slots=True)
class CallErrorReply:
    code: str
    description: str
    details: dict[str, Any]


def for_fault(fault: Fault, version: str, cause: str | None = None) -> CallErrorReply:
    """The CALLERROR for a frame that is not valid OCPP-J; `cause` (e.g. the JSON parser's words) goes in details."""
    return CallErrorReply(_FAULTS[version][fault], f"The frame is {fault.value}", {"cause": cause} if cause else {})


def for_ocpp_error(error: OCPPError, version: str) -> CallErrorReply:
    code = _SPELLING[version].get(error.code, error.code)
    # The package puts the whole message object in details; the charger only needs the cause.
    details = error.details if isinstance(error.details, dict) else {}
    cause = details.get("cause")
    return CallErrorReply(code, str(error.description), {"cause": str(cause)} if cause else {})


def unknown_action(action: str, known: bool) -> CallErrorReply:
    """OCPP-J: NotImplemented for an action the receiver does not know, NotSupported for one it does not serve."""
    if known:
        return CallErrorReply("NotSupported", f"{action} is recognised but not supported", {})
    return CallErrorReply("NotImplemented", f"{action} is not known", {})


INTERNAL = CallErrorReply("InternalError", "The request could not be processed; try again later", {})
