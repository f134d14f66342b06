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
