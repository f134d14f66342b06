"""Nothing private of a dependency is used: a minor release of one cannot break us silently.

Three ways code reaches into a dependency's private parts, each found in the syntax tree of every Python file of
the project (the packages, the tests, the benchmarks, the migrations):
- importing an underscore name from a module that is not ours (`from ocpp.messages import _validate_payload`);
- an attribute path through a module that is not ours with an underscore step (`ocpp.messages._validate_payload`);
- a class that subclasses a class that is not ours and reads `self._name` it never sets or defines itself: an
  inherited private attribute (`self._call_lock` of the ocpp package's ChargePoint).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = frozenset({"api", "autocharge", "benchmarks", "domain", "infra", "migrations", "ocpp_server", "tests"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ours(module: str | None) -> bool:
    return module is None or module.split(".")[0] in OURS


def _files() -> list[Path]:
    return sorted(path for package in OURS for path in (ROOT / package).rglob("*.py"))


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> module, for the dependencies a file imports as modules (`import x.y`, `import x as y`)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _ours(alias.name):
                    names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _foreign_classes(tree: ast.Module) -> set[str]:
    """Names a file imports from a dependency (classes among them)."""
    names = set(_imported_modules(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and not _ours(node.module):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def _inherited_private_reads(tree: ast.Module) -> Iterator[tuple[int, str]]:
    foreign = _foreign_classes(tree)
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        bases = [_dotted(base) for base in cls.bases]
        if not any(parts and parts[0] in foreign for parts in bases):
            continue
        own = {n.name for n in ast.walk(cls) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        for node in ast.walk(cls):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and _dotted(target) == ["self", target.attr]:
                        own.add(target.attr)
                    elif isinstance(target, ast.Name):
                        own.add(target.id)
        for node in ast.walk(cls):
            is_self = isinstance(node, ast.Attribute) and _dotted(node) == ["self", node.attr]
            if is_self and _private(node.attr) and node.attr not in own:
                yield node.lineno, f"self.{node.attr} (inherited from a dependency's class)"


def private_uses(source: str) -> list[tuple[int, str]]:
    """Each use of a dependency's private name in `source`: (line, what)."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and not _ours(node.module):
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names if _private(a.name)]
    modules = _imported_modules(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = _dotted(node)
            if parts and parts[0] in modules and any(_private(p) for p in parts[1:]):
                found.append((node.lineno, ".".join(parts)))
    found += _inherited_private_reads(tree)
    return sorted(set(found))


def test_the_checker_finds_each_kind_of_private_use() -> None:
    source = """
import ocpp.messages
from ocpp.messages import _validate_payload
from ocpp.charge_point import ChargePoint

class Ours(ChargePoint):
    def __init__(self):
        self._mine = 1

    def go(self):
        return self._call_lock, self._mine, ocpp.messages._validators
"""
    assert [what for _, what in private_uses(source)] == [
        "ocpp.messages._validate_payload",
        "ocpp.messages._validators",
        "self._call_lock (inherited from a dependency's class)",
    ]


def test_our_own_private_names_are_ours_to_use() -> None:
    source = """
from ocpp_server.frames import _fault
import structlog

class Mine:
    def go(self, other):
        return self._x, other._y, structlog.get_logger()
"""
    assert private_uses(source) == []


def test_no_file_uses_a_private_name_of_a_dependency() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _files()
        for line, what in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert offences == []
