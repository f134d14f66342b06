"""The README's configuration table lists every setting of autocharge.settings.Settings, with its default."""

from __future__ import annotations

from typing import Any

import pytest

from autocharge.settings import Settings
from tests.readme import README, DocumentedSetting, configuration_table

PREFIX = str(Settings.model_config.get("env_prefix", ""))


def documented() -> dict[str, DocumentedSetting]:
    rows = configuration_table(README.read_text(encoding="utf-8"))
    variables = [row.variable for row in rows]
    assert len(variables) == len(set(variables)), (
        f"listed twice: {sorted(v for v in variables if variables.count(v) > 1)}"
    )
    return {row.variable: row for row in rows}


def field_of(variable: str) -> Any:
    return Settings.model_fields[variable.removeprefix(PREFIX).lower()]


def test_the_table_lists_every_setting_and_nothing_else() -> None:
    in_code = {PREFIX + name.upper() for name in Settings.model_fields}
    in_readme = set(documented())

    assert in_code - in_readme == set(), "settings missing from README.md's configuration table"
    assert in_readme - in_code == set(), "README.md documents settings that Settings does not have"


@pytest.mark.parametrize("variable", sorted(PREFIX + name.upper() for name in Settings.model_fields))
def test_each_documented_default_is_the_settings_default(variable: str) -> None:
    row = documented().get(variable)
    assert row is not None, f"{variable} is not in README.md's configuration table"
    field = field_of(variable)
    where = f"README.md:{row.line} {variable}"

    if field.default_factory is not None:  # computed at startup: described in words, not as a literal
        assert not row.default.startswith("`"), f"{where}: the default is computed, not {row.default}"
    elif field.default is None:
        assert row.default == "unset", f"{where}: documented {row.default}, but it is unset by default"
    else:
        assert row.default.startswith("`") and row.default.endswith("`"), f"{where}: write the default as `value`"
        written = row.default.strip("`")
        if isinstance(field.default, bool) or not isinstance(field.default, int | float):
            assert written == str(field.default), f"{where}: documented {written}, the code says {field.default}"
        else:
            assert float(written) == field.default, f"{where}: documented {written}, the code says {field.default}"
