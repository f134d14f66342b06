"""Every GraphQL document the UI sends (ui/operations/*.graphql) is valid against the served schema.

The schema is the one the server builds (its SDL through strawberry's public `as_str`), with the server's own
depth limit; and every operation the UI's code asks for has its file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, specified_rules, validate
from strawberry.extensions import QueryDepthLimiter

from api.schema import make_schema
from api.ui import UI_DIRECTORY
from autocharge.settings import Settings

OPERATIONS = UI_DIRECTORY / "operations"
DOCUMENTS = sorted(OPERATIONS.glob("*.graphql"))
# request(key, "Name", ...), subscribe(key, "Name", ...), their hooks useQuery / useSubscription, operation("Name")
USED = re.compile(
    r"""\b(?:request|subscribe|useQuery|useSubscription)\(\s*[\w.]+,\s*"(\w+)"|\boperation\(\s*"(\w+)"\)"""
)


@pytest.fixture(scope="module")
def served() -> GraphQLSchema:
    return build_schema(make_schema().as_str())


def test_the_ui_has_documents() -> None:
    assert len(DOCUMENTS) >= 10


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_each_document_is_valid_against_the_served_schema(path: Path, served: GraphQLSchema) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    depth_rules = QueryDepthLimiter(max_depth=Settings().graphql_max_depth).validation_rules
    errors = validate(served, document, [*specified_rules, *depth_rules])
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_each_document_is_one_operation_named_as_its_file(path: Path) -> None:
    definitions = parse(path.read_text(encoding="utf-8")).definitions
    assert len(definitions) == 1
    operation = definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert operation.name is not None and operation.name.value == path.stem


def test_every_operation_the_ui_sends_has_its_document_and_every_document_is_used() -> None:
    code = "\n".join(path.read_text(encoding="utf-8") for path in (UI_DIRECTORY / "app").glob("*.js"))
    used = {first or second for first, second in USED.findall(code)}
    assert used == {path.stem for path in DOCUMENTS}


def test_the_ui_sends_no_graphql_written_inline() -> None:
    """Documents live in .graphql files only: no query, mutation or subscription text in the UI's code."""
    inline = re.compile(r"""[`"']\s*(?:query|mutation|subscription)\b[^`"']*\{""")
    for path in (UI_DIRECTORY / "app").glob("*.js"):
        assert inline.findall(path.read_text(encoding="utf-8")) == [], path.name
