"""OCPP-J frames: parsed once into what the log shows and what routing needs, malformed ones included.

Every frame a charger sends is checked against OCPP-J here, before routing or logging depends on it: a JSON
array; MessageTypeId 2, 3 or 4 with exactly 4, 3 or 5 elements; a uniqueId that is a string of 1 to 36
characters; a CALL's action a string (known or not); a CALL's and a CALLRESULT's payload, and a CALLERROR's
details, a JSON object. A frame failing any of these carries its `Fault` and is answered with a CALLERROR.

Which uniqueId that CALLERROR carries: the frame's own whenever it is a string, even an empty or over-long one,
because it is the only id the charger can match the answer to (a truncated id matches nothing, and the whole
frame was already accepted under the server's frame size limit, so echoing it is bounded). "-1" when the frame
has no string uniqueId at all (OCPP-J 2.0.1 section 4.2.3 names "-1" for an unreadable messageId).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import orjson
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from domain.model import OcppMessageType

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
_TYPES = {CALL: OcppMessageType.CALL, CALL_RESULT: OcppMessageType.CALL_RESULT, CALL_ERROR: OcppMessageType.CALL_ERROR}
_LENGTHS = {CALL: 4, CALL_RESULT: 3, CALL_ERROR: 5}
# OCPP-J: answer with this messageId when the frame's own cannot be read.
UNKNOWN_ID = "-1"
# OCPP-J 1.6 section 4.1.3 and 2.0.1 section 4.1.4: a uniqueId is at most 36 characters.
MAX_UNIQUE_ID_LENGTH = 36
_ACTIONS_16 = frozenset(a.value for a in Action16)
_ACTIONS_201 = frozenset(a.value for a in Action201)
_ACTIONS = _ACTIONS_16 | _ACTIONS_201


class Fault(enum.Enum):
    """Why a frame is not a valid OCPP-J message; each version names the CALLERROR differently."""

    NOT_JSON = "not JSON"
    NOT_RPC = "not an OCPP-J message array, or an element of the wrong type"
    INCOMPLETE = "the message has too few elements"
    UNKNOWN_TYPE = "the MessageTypeId is not 2, 3 or 4"
    BAD_UNIQUE_ID = f"not an OCPP-J message: its uniqueId is not a string of 1 to {MAX_UNIQUE_ID_LENGTH} characters"
    BAD_PAYLOAD = "an OCPP-J message whose payload is not a JSON object"


@dataclass(frozen=True, slots=True)
class Frame:
    message_type: OcppMessageType
    unique_id: str
    action: str | None
    payload: Any  # the parsed payload; the whole frame when malformed; the raw text when not JSON
    fault: Fault | None = None
    error: tuple[str, str, Any] | None = None  # a CALLERROR's code, description and details
    cause: str | None = None  # what exactly is wrong with a faulty frame, for the CALLERROR's details


def decode(raw: str | bytes) -> str:
    # OCPP-J is text; a binary frame is read as UTF-8 so it can at least be logged and answered.
    return raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")


def parse_frame(raw: str | bytes) -> Frame:
    text = decode(raw)
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:  # lone surrogates ("\\ud800") land here too: not Unicode text
        return Frame(OcppMessageType.CALL, UNKNOWN_ID, None, text, Fault.NOT_JSON, cause=str(error))
    if not isinstance(data, list) or not data:
        return Frame(OcppMessageType.CALL, UNKNOWN_ID, None, data, Fault.NOT_RPC)
    type_id = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) else UNKNOWN_ID
    if isinstance(type_id, bool) or type_id not in _TYPES:
        return Frame(OcppMessageType.CALL, unique_id, None, data, Fault.UNKNOWN_TYPE)
    message_type = _TYPES[type_id]
    action = data[2] if type_id == CALL and len(data) > 2 and isinstance(data[2], str) else None
    fault = _fault(type_id, data)
    if fault is not None:
        return Frame(message_type, unique_id, action, data, fault)
    if type_id == CALL:
        return Frame(message_type, unique_id, action, data[3])
    if type_id == CALL_RESULT:
        return Frame(message_type, unique_id, None, data[2])
    payload = {"errorCode": data[2], "errorDescription": data[3], "errorDetails": data[4]}
    return Frame(message_type, unique_id, None, payload, error=(data[2], data[3], data[4]))


def _fault(type_id: int, data: list[Any]) -> Fault | None:
    """What is wrong with a message of a known type, checked in the order OCPP-J lays the message out."""
    if len(data) < _LENGTHS[type_id]:
        return Fault.INCOMPLETE
    if len(data) > _LENGTHS[type_id]:
        return Fault.NOT_RPC
    unique_id = data[1]
    if not isinstance(unique_id, str) or not 0 < len(unique_id) <= MAX_UNIQUE_ID_LENGTH:
        return Fault.BAD_UNIQUE_ID
    if type_id == CALL:
        if not isinstance(data[2], str):
            return Fault.NOT_RPC
        return None if isinstance(data[3], dict) else Fault.BAD_PAYLOAD
    if type_id == CALL_RESULT:
        return None if isinstance(data[2], dict) else Fault.BAD_PAYLOAD
    if not isinstance(data[2], str) or not isinstance(data[3], str):
        return Fault.NOT_RPC
    return None if isinstance(data[4], dict) else Fault.BAD_PAYLOAD


def known_action(action: str | None) -> str:
    """The action as a metrics label: a name from the spec, or 'other'."""
    if action is None:
        return "none"
    return action if action in _ACTIONS else "other"


def is_known_action(action: str, version: str) -> bool:
    return action in (_ACTIONS_16 if version == "1.6" else _ACTIONS_201)
