"""GraphiQL, served from Newsgate itself: its page, its files, and a strict
Content-Security-Policy, so that it works offline and behind proxies that block CDNs.

The JavaScript and CSS are a pinned bundle from the npm registry, committed under
static/vendor by scripts/vendor_graphiql.py; static/graphiql.js starts it.
"""

import secrets
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_URL = "/graphiql"  # where static/ is served
STATIC = Path(__file__).parent / "static"

PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Newsgate GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{assets}/vendor/graphiql.min.css">
    <link rel="stylesheet" href="{assets}/vendor/plugin-explorer.css">
    <link rel="stylesheet" href="{assets}/graphiql.css">
  </head>
  <body>
    <div id="graphiql" data-endpoint="{endpoint}" data-nonce="{nonce}">Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript. POST queries to {endpoint} as JSON instead.</noscript>
    <script src="{assets}/vendor/react.production.min.js"></script>
    <script src="{assets}/vendor/react-dom.production.min.js"></script>
    <script src="{assets}/vendor/graphiql.min.js"></script>
    <script src="{assets}/vendor/plugin-explorer.umd.js"></script>
    <script src="{assets}/graphiql.js"></script>
  </body>
</html>
"""


def page(endpoint: str = "/graphql", headers: dict[str, str] | None = None) -> HTMLResponse:
    """The GraphiQL page, with `headers` besides its own. Everything it loads comes from
    this server; the only inline code is a <style> GraphiQL adds for its dialogs, let in
    by this response's nonce."""
    nonce = secrets.token_urlsafe(16)
    policy = "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "font-src 'self' data:",  # GraphiQL's fonts are inlined in its CSS
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    html = PAGE.format(assets=ASSETS_URL, endpoint=endpoint, nonce=nonce)
    own = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",  # a fresh nonce each time
    }
    return HTMLResponse(html, headers={**(headers or {}), **own})


def assets() -> StaticFiles:
    """GraphiQL's JavaScript and CSS, for mounting at ASSETS_URL."""
    return StaticFiles(directory=STATIC)
