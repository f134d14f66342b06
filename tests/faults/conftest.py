"""The fault suite's table: one row per fault, printed at the end of the run whatever its outcome."""

from __future__ import annotations

from typing import Any

from tests.faults.report import ROWS, table


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ROWS:
        terminalreporter.section("faults: frames sent, answered, stored and lost")
        terminalreporter.write_line(table())
