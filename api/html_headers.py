"""Security headers on the HTML pages (the UI at /, GraphiQL at /graphql), with a Content-Security-Policy each.

Inline scripts are allowed by their SHA-256 only, computed from the page itself: the UI's import map, GraphiQL's
start-up script. The UI needs nothing from another host; GraphiQL loads its libraries from unpkg.com (their
Subresource Integrity hashes are in strawberry's page).
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every HTML page: no sniffing of types, never inside a frame, no Referer to other sites.
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_COMMON = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
GRAPHIQL_HOST = "https://unpkg.com"


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-...') of each inline <script> of `html`, as a browser hashes them."""
    hashes = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return hashes


def ui_policy(index_html: str) -> str:
    """The UI: its own files only; its GraphQL calls and websocket go to this origin."""
    scripts = " ".join(["'self'", *inline_script_hashes(index_html)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; {_COMMON}"
    )


def graphiql_policy(page_html: str) -> str:
    """GraphiQL: its libraries from unpkg.com, its start-up script by hash; its styles are partly inline."""
    scripts = " ".join(["'self'", GRAPHIQL_HOST, *inline_script_hashes(page_html)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline' {GRAPHIQL_HOST}; "
        f"font-src 'self' data: {GRAPHIQL_HOST}; img-src 'self' data:; connect-src 'self'; {_COMMON}"
    )


def html_headers(policy: str) -> dict[str, str]:
    return {**HEADERS, "Content-Security-Policy": policy}


class HtmlSecurityHeaders:
    """ASGI middleware: the headers of `html_headers(policy)` on every text/html response of the wrapped app."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.headers = html_headers(policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.update(self.headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
