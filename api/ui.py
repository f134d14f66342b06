"""The back office web UI: the static files of ui/ (no build step), served at / beside the API."""

from __future__ import annotations

from pathlib import Path

import structlog
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

log = structlog.get_logger(__name__)

# The checkout's ui/ folder: `scripts/install` installs the project in editable mode, so it is always there.
UI_DIRECTORY = Path(__file__).resolve().parent.parent / "ui"


def ui_mount(directory: Path = UI_DIRECTORY) -> Mount:
    """A catch-all mount serving `directory` (index.html at /); list it after every other route.

    StaticFiles closes a websocket to any path (only /graphql, listed before, accepts one).

    The UI only talks to the public GraphQL API like any other client, so it needs nothing from the server but
    its files. An installation without the folder (a wheel) still serves the API: the UI's paths answer 404.
    """
    if not (directory / "index.html").is_file():
        log.warning("ui_missing", directory=str(directory))
    return Mount("/", app=StaticFiles(directory=directory, html=True, check_dir=False), name="ui")
