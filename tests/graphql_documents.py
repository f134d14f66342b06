"""GraphQL documents that several tests build."""

from __future__ import annotations


def nested_query(depth: int) -> str:
    """{ vehicles { edges { node { user { vehicles { user ... { id } } } } } } }: `depth` fields deep."""
    levels = ["vehicles", "edges", "node"]
    while len(levels) < depth:
        levels += ["user", "vehicles"]
    selection = "id"
    for level in reversed(levels[:depth]):
        selection = f"{level} {{ {selection} }}"
    return "{ " + selection + " }"


# --- station operations (tests/e2e/test_ocpp_operations.py, test_cluster.py, test_simulator_operations.py) ---

RESULT = "{ status accepted }"
RESET_CHARGER = f"mutation($c: ID!, $k: ResetKind) {{ resetCharger(chargerId: $c, kind: $k) {RESULT} }}"
UNLOCK_CONNECTOR = f"mutation($c: ID!, $n: Int!) {{ unlockConnector(chargerId: $c, connectorId: $n) {RESULT} }}"
CHANGE_AVAILABILITY = (
    "mutation($c: ID!, $a: Availability!, $n: Int) "
    f"{{ changeAvailability(chargerId: $c, availability: $a, connectorId: $n) {RESULT} }}"
)
TRIGGER_MESSAGE = (
    "mutation($c: ID!, $m: TriggerableMessage!, $n: Int) "
    f"{{ triggerMessage(chargerId: $c, message: $m, connectorId: $n) {RESULT} }}"
)
CHARGER_AUTOCHARGE = "autochargeSupported autochargeReadiness autochargeSettingKey localListVersion"
CHARGER_SETTINGS = f"""query($c: ID!, $s: String) {{ charger(id: $c) {{ {CHARGER_AUTOCHARGE}
    settings(search: $s) {{ key value readonly reportedAt }} }} }}"""
REFRESH_SETTINGS = f"""mutation($c: ID!) {{ refreshChargerSettings(chargerId: $c) {{ {CHARGER_AUTOCHARGE}
    settings {{ key value readonly }} }} }}"""
CHANGE_SETTING = (
    "mutation($c: ID!, $k: String!, $v: String!) "
    f"{{ changeChargerSetting(chargerId: $c, key: $k, value: $v) {RESULT} }}"
)
SET_AUTOCHARGE = f"mutation($c: ID!, $e: Boolean!) {{ setAutochargeEnabled(chargerId: $c, enabled: $e) {RESULT} }}"
SEND_LOCAL_LIST = f"mutation($c: ID!) {{ sendLocalList(chargerId: $c) {RESULT} }}"
