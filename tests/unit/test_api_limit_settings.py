"""The API limits' settings: their defaults, and a rate that is not in the `limits` notation refused at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from autocharge.settings import Settings


def test_the_defaults_bound_depth_cost_aliases_size_and_rate() -> None:
    settings = Settings()

    assert (
        settings.graphql_max_depth,
        settings.graphql_max_cost,
        settings.graphql_max_aliases,
        settings.graphql_max_document_bytes,
        settings.api_rate_limit,
    ) == (15, 10_000, 100, 65_536, "100/second;500/10 seconds")


def test_a_rate_in_another_notation_is_refused_with_the_text() -> None:
    with pytest.raises(ValidationError, match="'fast please'"):
        Settings(api_rate_limit="fast please")


def test_an_empty_rate_means_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOCHARGE_API_RATE_LIMIT", " ")

    assert Settings().api_rate_limit == ""
