"""Hypothesis strategies for what a charger may send: OCPP CALLs valid by the `ocpp` package's own JSON
schemas, and every way of getting a frame wrong (not JSON, wrong shapes, odd uniqueIds and actions, text that
a database cannot store as it is, CALLRESULTs and CALLERRORs nobody asked for, binary frames)."""

from __future__ import annotations

import json
from datetime import UTC
from functools import cache
from importlib import resources
from typing import Any

from hypothesis import strategies as st

# What a charger sends on its own initiative, by OCPP version: the actions the fuzzer calls validly.
CHARGER_ACTIONS = {
    "1.6": [
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    ],
    "2.0.1": [
        "Authorize",
        "BootNotification",
        "Heartbeat",
        "MeterValues",
        "NotifyEvent",
        "StatusNotification",
        "TransactionEvent",
        "FirmwareStatusNotification",
        "DataTransfer",
    ],
}

# Strings that break naive handling: NUL, lone surrogates (only expressible as JSON escapes), very long text.
_ODD_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "x" * 37, "y" * 65, "z" * 5000, "", " "]),
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _ODD_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_ODD_TEXT, children, max_size=4),
    max_leaves=12,
)


@cache
def _schema(version: str, action: str) -> dict[str, Any]:
    package = "ocpp.v16" if version == "1.6" else "ocpp.v201"
    name = f"{action}.json" if version == "1.6" else f"{action}Request.json"
    schema: dict[str, Any] = json.loads((resources.files(package) / "schemas" / name).read_text())
    return schema


def from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values valid by one of the `ocpp` package's JSON schemas.

    Hand-written for the small part of JSON Schema those files use (object, array, string with maxLength,
    enum and date-time, integer, number, boolean, $ref to definitions): hypothesis-jsonschema 0.23.1, the only
    general tool, fails with today's Hypothesis (it calls a private API that is gone)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return from_schema(root["definitions"][name], root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(sub, root) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub, root) for name, sub in properties.items() if name not in required},
        )
    if kind == "array":
        return st.lists(
            from_schema(schema.get("items", {}), root),
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 3), 3),
        )
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
        return st.text(max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -(2**31)), max_value=2**31 - 1)
    if kind == "number":
        return st.floats(min_value=schema.get("minimum"), allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    return _JSON_VALUES


@st.composite
def valid_calls(draw: st.DrawFn, version: str) -> list[Any]:
    action = draw(st.sampled_from(CHARGER_ACTIONS[version]))
    payload = draw(from_schema(_schema(version, action)))
    unique_id = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=36))
    return [2, unique_id, action, payload]


def broken_frames() -> st.SearchStrategy[Any]:
    unique_ids = st.one_of(_ODD_TEXT, st.integers(), st.none(), st.floats(allow_nan=False), st.lists(st.integers()))
    actions = st.one_of(st.sampled_from(CHARGER_ACTIONS["1.6"] + ["NoSuchAction"]), _ODD_TEXT, st.integers())
    return st.one_of(
        st.tuples(st.just(2), unique_ids, actions, _JSON_VALUES).map(list),
        st.tuples(st.just(3), unique_ids, _JSON_VALUES).map(list),
        st.tuples(st.just(4), unique_ids, _ODD_TEXT, _ODD_TEXT, _JSON_VALUES).map(list),
        st.lists(_JSON_VALUES, max_size=6),
        _JSON_VALUES,
    )


def encode(frame: Any, ascii_only: bool) -> str:
    """The frame as websocket text; lone surrogates can only travel as JSON escapes."""
    try:
        text = json.dumps(frame, ensure_ascii=ascii_only)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(frame, ensure_ascii=True)
    return text


@st.composite
def wire_messages(draw: st.DrawFn, version: str) -> str | bytes:
    """What goes on the wire: mostly frames as JSON text, sometimes text that is not JSON, or binary."""
    kind = draw(st.sampled_from(["valid", "valid", "broken", "broken", "not json", "binary"]))
    if kind == "valid":
        return encode(draw(valid_calls(version)), draw(st.booleans()))
    if kind == "broken":
        return encode(draw(broken_frames()), draw(st.booleans()))
    if kind == "binary":
        return draw(st.binary(max_size=64))
    text: str = draw(st.text(max_size=60).filter(lambda t: not _is_json(t)))
    return text


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
