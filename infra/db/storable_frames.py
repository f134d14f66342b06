"""How an OCPP log entry becomes a row both databases can store, whatever the charger sent.

Some values no column takes as they are: PostgreSQL refuses NUL (U+0000) in any text, jsonb included; neither
database can encode a lone surrogate (U+D800 to U+DFFF) as UTF-8; unique_id and action have a column length a
CALL's action (or an echoed uniqueId) may exceed; and a payload may be too big to be worth a jsonb value. Rather
than refuse the entry, the row holds a faithful escaped form of it:

- in every string (column values, payload keys and values) NUL and each surrogate become their JSON escape as six
  plain characters ("\\u0000", "\\ud800"), so the text reads as the frame did on the wire;
- an over-long charge_point_id, unique_id or action is cut to its column's length;
- a payload over `max_payload_bytes` of JSON becomes {"omitted": <why>, "bytes": <its size>};

and whenever any of this changed the entry, its `raw` column keeps the entry as it was (uniqueId, action,
payload, chargePointId) as ASCII-only JSON, in which NUL, surrogates and every non-ASCII character are JSON
escapes: nothing is lost, and the same entry reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import String

from domain.model import OcppLogEntry
from infra.db.mapping import to_values
from infra.db.tables import ocpp_log_entries

# A frame is at most the server's frame size limit (64 KiB by default); this only guards the database against a
# limit raised far beyond that.
MAX_PAYLOAD_BYTES = 1 << 20

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUL_ESCAPE = b"\\u0000"


def _length(name: str) -> int:
    column_type = ocpp_log_entries.c[name].type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


_LIMITED_COLUMNS = tuple((name, _length(name)) for name in ("charge_point_id", "unique_id", "action"))


@dataclass(frozen=True, slots=True)
class StorableRow:
    """The row's values (the payload as an object) and its payload as JSON text (what a COPY into jsonb takes)."""

    values: dict[str, Any]
    payload_json: str

    @property
    def altered(self) -> bool:
        """True when a column holds an escaped or cut form of the entry (the original is then in `raw`)."""
        return self.values["raw"] is not None


def storable_row(entry: OcppLogEntry, max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> StorableRow:
    """The entry as a row either database stores: unchanged when it can be, escaped and cut (`raw` set) otherwise."""
    values = to_values(entry)
    altered = False
    for name, limit in _LIMITED_COLUMNS:
        value = values[name]
        if value is None:
            continue
        stored = escape_text(value)[:limit]
        if stored != value:
            values[name] = stored
            altered = True
    payload, text, changed = _storable_payload(values["payload"])
    if len(text) > max_payload_bytes:
        payload = {"omitted": f"a payload of more than {max_payload_bytes} bytes of JSON: see raw", "bytes": len(text)}
        text = orjson.dumps(payload)
        changed = True
    values["payload"] = payload
    values["raw"] = raw_text(entry) if altered or changed else None
    return StorableRow(values, text.decode())


def escape_text(value: str) -> str:
    """The string with NUL and every surrogate written as a JSON escape; the same string when it has none."""
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", value)


def raw_text(entry: OcppLogEntry) -> str:
    """The entry's frame fields as ASCII-only JSON: every NUL, surrogate and non-ASCII character a JSON escape."""
    frame = {
        "uniqueId": entry.unique_id,
        "action": entry.action,
        "payload": entry.payload,
        "chargePointId": entry.charge_point_id,
    }
    # The standard library, not orjson: orjson refuses lone surrogates, json writes them as escapes.
    return json.dumps(frame, ensure_ascii=True, default=str)


def _storable_payload(payload: Any) -> tuple[Any, bytes, bool]:
    """(the payload to store, its JSON, whether it had to be escaped)."""
    try:
        text = orjson.dumps(payload)
    except orjson.JSONEncodeError:
        text = None  # a lone surrogate somewhere (or a value JSON has no form for)
    if text is not None and _NUL_ESCAPE not in text:
        return payload, text, False  # the common case: one serialisation, reused for the COPY
    escaped = _escape_json(payload)
    return escaped, orjson.dumps(escaped, default=str), escaped != payload


def _escape_json(value: Any) -> Any:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, dict):
        return {escape_text(str(key)): _escape_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_json(item) for item in value]
    return value
