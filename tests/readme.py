"""Reading README.md the way the tests check it: its configuration table and its runnable shell blocks.

A block is runnable when the line before its opening fence is `<!-- runnable -->` (run to the end, exit 0) or
`<!-- runnable: serves -->` (a server: left running while the blocks after it run, then stopped with Ctrl-C).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

_MARKER = re.compile(r"^<!-- runnable(?::\s*(?P<mode>[a-z]+))? -->$")
_FENCE = re.compile(r"^```(?P<info>\S*)\s*$")
RUN_MODES = {"", "serves"}


@dataclass(frozen=True)
class RunnableBlock:
    line: int  # of the opening fence, 1-based, to name the block in a failure
    mode: str  # "" runs to the end; "serves" keeps running
    script: str


@dataclass(frozen=True)
class DocumentedSetting:
    variable: str
    default: str  # as written: `20` (a literal), or words (unset, hostname-pid)
    line: int


def runnable_blocks(text: str) -> list[RunnableBlock]:
    """Every marked block in document order; a marker not followed by a shell fence is an error."""
    lines = text.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        marker = _MARKER.match(line.strip())
        if marker is None:
            continue
        mode = marker.group("mode") or ""
        if mode not in RUN_MODES:
            raise ValueError(f"README.md:{index + 1}: unknown runnable mode {mode!r} (known: {sorted(RUN_MODES)})")
        fence = _FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
        if fence is None or fence.group("info") not in {"sh", "bash", "shell"}:
            raise ValueError(f"README.md:{index + 1}: a runnable marker must come right before a ```sh block")
        end = next((i for i in range(index + 2, len(lines)) if lines[i].strip() == "```"), None)
        if end is None:
            raise ValueError(f"README.md:{index + 2}: the runnable block is never closed")
        blocks.append(RunnableBlock(index + 2, mode, "\n".join(lines[index + 2 : end]) + "\n"))
    return blocks


def configuration_table(text: str) -> list[DocumentedSetting]:
    """The rows of the table under "### Configuration": each names one or more variables and as many defaults."""
    lines = text.splitlines()
    start = lines.index("### Configuration")
    settings: list[DocumentedSetting] = []
    in_table = False
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        variables = re.findall(r"`(AUTOCHARGE_[A-Z0-9_]+)`", cells[0])
        if not variables:
            continue  # the header and its rule
        defaults = _split_outside_code(cells[1])
        if len(defaults) != len(variables):
            raise ValueError(f"README.md:{number}: {len(variables)} variables but {len(defaults)} defaults")
        settings.extend(DocumentedSetting(v, d, number) for v, d in zip(variables, defaults, strict=True))
    return settings


def _split_outside_code(cell: str) -> list[str]:
    """Comma-separated defaults; a comma inside backticks belongs to its default (`127.0.0.1,::1`)."""
    parts, current, in_code = [], "", False
    for character in cell:
        if character == "`":
            in_code = not in_code
        if character == "," and not in_code:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    return [*parts, current.strip()]
