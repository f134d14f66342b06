"""The back office web UI: the static files of ui/ (no build step), served at / beside the API."""

from __future__ import annotations

from pathlib import Path

import structlog
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.html_headers import HtmlSecurityHeaders, ui_policy

log = structlog.get_logger(__name__)

# The checkout's ui/ folder: `scripts/install` installs the project in editable mode, so it is always there.
UI_DIRECTORY = Path(__file__).resolve().parent.parent / "ui"


def ui_mount(directory: Path = UI_DIRECTORY) -> Mount:
    """A catch-all mount serving `directory` (index.html at /); list it after every other route.

    StaticFiles closes a websocket to any path (only /graphql, listed before, accepts one).

    The UI only talks to the public GraphQL API like any other client, so it needs nothing from the server but
    its files. An installation without the folder (a wheel) still serves the API: the UI's paths answer 404.

    The HTML pages carry security headers and a Content-Security-Policy that allows the page's own inline
    import map by its hash (api.html_headers), taken from index.html when the mount is made.
    """
    index = directory / "index.html"
    if not index.is_file():
        log.warning("ui_missing", directory=str(directory))
    policy = ui_policy(index.read_text(encoding="utf-8") if index.is_file() else "")
    files = StaticFiles(directory=directory, html=True, check_dir=False)
    return Mount("/", app=HtmlSecurityHeaders(files, policy), name="ui")
