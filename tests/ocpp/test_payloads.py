"""The fast paths give what the ocpp package's own functions give: same validity, same errors, same keys."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, validate_payload
from ocpp.v16 import call_result
from ocpp.v16.enums import RegistrationStatus
from ocpp.v201 import datatypes

from ocpp_server.payloads import to_camel, to_snake
from ocpp_server.validation import validate

READING = {"value": 12.5, "measurand": "Energy.Active.Import.Register"}
CALLS = [
    ("1.6", "Authorize", {"idTag": "VID:0A1B2C3D4E5F"}),
    ("1.6", "Authorize", {"idTag": 12}),
    ("1.6", "Authorize", {}),
    ("1.6", "Authorize", {"idTag": "A", "extra": 1}),
    ("1.6", "Authorize", {"idTag": "123456789012345678901"}),
    ("1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}),
    ("1.6", "StartTransaction", {"connectorId": 1.0, "idTag": "X", "meterStart": 0, "timestamp": "yesterday"}),
    ("1.6", "StartTransaction", {"idTag": 5, "meterStart": "0", "timestamp": "2026-11-21T08:00:00Z"}),
    ("1.6", "Heartbeat", [1, 2]),
    ("1.6", "FlyToTheMoon", {}),
    ("2.0.1", "Authorize", {"idToken": {"idToken": "A", "type": "Fingerprint"}}),
    ("2.0.1", "Authorize", {"idToken": {"idToken": 5, "type": "Central"}}),
    ("2.0.1", "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": "t", "sampledValue": [READING]}]}),
    ("2.0.1", "MeterValues", {"evseId": 1, "meterValue": []}),
]


async def _outcome(check: Any, message: Call, version: str) -> tuple[str, str, str] | None:
    try:
        await check(message, version)
    except OCPPError as error:
        return type(error).__name__, error.code, str(error.details.get("cause"))
    return None


@pytest.mark.parametrize(("version", "action", "payload"), CALLS)
async def test_validation_matches_the_package(version: str, action: str, payload: Any) -> None:
    ours, theirs = Call("1", action, payload), Call("1", action, payload)
    assert await _outcome(validate, ours, version) == await _outcome(validate_payload, theirs, version)
    assert ours.payload == payload  # no defaults written into the charger's payload


async def test_answers_are_checked_too() -> None:
    good = CallResult("1", {"idTagInfo": {"status": "Accepted"}}, "Authorize")
    bad = CallResult("1", {"idTagInfo": {"status": "Maybe"}}, "Authorize")
    await validate(good, "1.6")
    with pytest.raises(OCPPError):
        await validate(bad, "1.6")


@pytest.mark.parametrize(
    "answer",
    [
        call_result.BootNotification(
            current_time="2026-11-21T08:00:00Z", interval=300, status=RegistrationStatus.accepted
        ),
        call_result.Authorize(id_tag_info={"status": "Accepted", "parent_id_tag": None, "expiry_date": "x"}),
        call_result.StopTransaction(id_tag_info=None),
        datatypes.SampledValueType(value=1.5, measurand="Energy.Active.Import.Register", signed_meter_value=None),
    ],
)
def test_answers_serialise_as_the_package_would(answer: Any) -> None:
    expected = snake_to_camel_case(remove_nones(serialize_as_dict(answer)))
    assert to_camel(answer) == expected


def test_keys_convert_as_the_package_converts_them() -> None:
    payload = {"idToken": {"idToken": "A"}, "evseId": 1, "meterValue": [{"sampledValue": [{"unitOfMeasure": {}}]}]}
    payload |= {
        "ocppCSMSURL": "u",
        "chargingLimitSource": "EMS",
        "transactionInfo": {"stoppedReason": "EVDisconnected"},
    }
    assert to_snake(payload) == camel_to_snake_case(payload)
