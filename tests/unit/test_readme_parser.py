"""How tests/readme.py reads README.md: which blocks are runnable, and the configuration table's rows."""

from __future__ import annotations

import re

import pytest

from tests.readme import DocumentedSetting, RunnableBlock, configuration_table, runnable_blocks

TEXT = """# Title

```sh
not marked: never run
```

<!-- runnable -->
```sh
first --step
second
```

<!-- runnable: serves -->
```bash
a-server
```

### Configuration

| variable | default | meaning |
| --- | --- | --- |
| `AUTOCHARGE_A`, `AUTOCHARGE_B` | `1`, unset | two at once |
| `AUTOCHARGE_C` | hostname-pid | computed |

| other | table |
| --- | --- |
| `AUTOCHARGE_NOT_THIS` | `x` |
"""


def test_only_marked_blocks_are_runnable_in_document_order_with_their_mode() -> None:
    assert runnable_blocks(TEXT) == [
        RunnableBlock(line=8, mode="", script="first --step\nsecond\n"),
        RunnableBlock(line=14, mode="serves", script="a-server\n"),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<!-- runnable -->\n\n```sh\nx\n```\n", "must come right before a ```sh block"),
        ("<!-- runnable -->\n```python\nx\n```\n", "must come right before a ```sh block"),
        ("<!-- runnable: sometimes -->\n```sh\nx\n```\n", "unknown runnable mode 'sometimes'"),
        ("<!-- runnable -->\n```sh\nx\n", "never closed"),
    ],
)
def test_a_marker_that_marks_nothing_runnable_is_an_error_not_a_skipped_block(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        runnable_blocks(text)


def test_the_configuration_table_gives_each_variable_its_own_default() -> None:
    assert configuration_table(TEXT) == [
        DocumentedSetting("AUTOCHARGE_A", "`1`", 22),
        DocumentedSetting("AUTOCHARGE_B", "unset", 22),
        DocumentedSetting("AUTOCHARGE_C", "hostname-pid", 23),
    ]


def test_a_comma_inside_backticks_belongs_to_its_default() -> None:
    text = "### Configuration\n\n| v | d | m |\n| --- | --- | --- |\n| `AUTOCHARGE_A` | `127.0.0.1,::1` | x |\n"

    assert configuration_table(text) == [DocumentedSetting("AUTOCHARGE_A", "`127.0.0.1,::1`", 5)]


def test_a_row_with_fewer_defaults_than_variables_is_an_error() -> None:
    text = "### Configuration\n\n| v | d | m |\n| --- | --- | --- |\n| `AUTOCHARGE_A`, `AUTOCHARGE_B` | `1` | x |\n"

    with pytest.raises(ValueError, match="2 variables but 1 defaults"):
        configuration_table(text)
