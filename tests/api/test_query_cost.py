"""The cost of documents, worked out in process on the served schema; and validation done once per document."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse

from api.query_cost import operation_cost
from api.schema import make_schema, schema

TYPES = build_schema(schema.as_str())


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    parsed = parse(document)
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    return operation_cost(TYPES, operation, fragments, variables)


def test_leaves_count_once_and_first_multiplies_what_is_below() -> None:
    assert cost("{ me { role tenantId } }") == 3
    assert cost("{ chargers(first: 10) { totalCount edges { node { id } } } }") == 1 + 10 * 4
    assert cost("{ chargers(first: 0) { edges { node { id } } } }") == 1


def test_first_beyond_the_page_maximum_counts_as_the_maximum_the_resolver_allows() -> None:
    assert cost("{ chargers(first: 100000) { edges { node { id } } } }") == 1 + 500 * 3


def test_inline_fragments_typename_and_introspection_are_counted() -> None:
    assert cost("{ __typename chargers(first: 2) { ... on ChargerConnection { edges { node { id } } } } }") == 1 + 1 + 6
    assert cost("{ __schema { types { name fields { name } } } }") == 5


def test_a_fragment_spread_many_times_is_costed_without_expanding_it_each_time() -> None:
    # Ten levels, each spreading the one below twice: 2^10 leaves, a document of a few hundred bytes.
    levels = [f"fragment L{i} on Query {{ ...L{i + 1} ...L{i + 1} }}" for i in range(10)]
    document = "{ ...L0 } " + " ".join(levels) + " fragment L10 on Query { me { role } }"

    started = time.perf_counter()
    assert cost(document) == 2**10 * 2
    assert time.perf_counter() - started < 0.1


def test_variables_that_do_not_coerce_count_as_absent() -> None:
    query = "query($n: Int!) { chargers(first: $n) { edges { node { id } } } }"
    assert cost(query, {"n": 7}) == 1 + 7 * 3
    # The argument's default (50) then: execution refuses the request before any resolver anyway.
    assert cost(query, {"n": "many"}) == 1 + 50 * 3


async def test_a_document_is_validated_once_however_often_it_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    import strawberry.schema.schema as strawberry_schema

    validated: list[int] = []
    validate = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        validated.append(1)
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    served = make_schema()
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(150)) + " }"  # refused: 150 aliases

    answers = [(await served.execute(query)).errors for _ in range(5)]

    assert len(validated) == 1
    assert all(errors and errors[0].message == "150 aliases found. Allowed: 100" for errors in answers)


async def test_a_known_document_is_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing a parsed document walks its whole tree (graphql-core keeps no hash): 10 ms for issue 10's query.

    A document seen before must be found by its text, never by hashing its tree.
    """
    from graphql.language import ast

    served = make_schema()
    page = "chargers(first: 50) { edges { node { id chargePointId } } }"
    query = "{ " + " ".join(f"c{i}: {page}" for i in range(500)) + " }"
    await served.execute(query)  # parsed and validated once
    hashed: list[int] = []
    document_hash = ast.DocumentNode.__hash__

    def counting(document: ast.DocumentNode) -> int:
        hashed.append(1)
        return document_hash(document)

    monkeypatch.setattr(ast.DocumentNode, "__hash__", counting)
    errors = [(await served.execute(query)).errors for _ in range(3)]

    assert hashed == []
    assert all(e and e[0].message == "500 aliases found. Allowed: 100" for e in errors)
