"""The CORS allow-list: explicit origins only, none by default."""

from __future__ import annotations

import pytest

from autocharge.settings import Settings


def test_no_origin_is_allowed_by_default_and_listed_origins_are_read_in_order() -> None:
    assert Settings().cors_origins == []
    listed = Settings(api_cors_origins=" https://fleet.example, http://127.0.0.1:3000 ,https://[::1]:8443")
    assert listed.cors_origins == ["https://fleet.example", "http://127.0.0.1:3000", "https://[::1]:8443"]


@pytest.mark.parametrize(
    "spec", ["*", "fleet.example", "https://fleet.example/", "https://*.example", "ftp://x.example"]
)
def test_anything_but_an_origin_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        Settings(api_cors_origins=spec)
