"""What HTTP caches (a CDN, the browser) are told about a cached answer to a GET."""

from starlette.types import Receive, Scope, Send

from app.gateway.cache.store import Entry
from app.settings import Settings

# What changes a cacheable answer besides its URL: its media type and its caller.
VARY = "Accept, Authorization, X-API-Key"


def headers(entry: Entry, anonymous: bool, settings: Settings) -> dict[str, str]:
    """How long HTTP caches may keep `entry` and for whom (shared caches: anonymous
    answers only), its validator, and the tags a CDN purges it by."""
    remaining = max(0, int(entry.max_age - entry.age))
    kept_as = {"ETag": entry.etag, "Vary": VARY}  # by any cache that keeps it
    if not anonymous:
        return {"Cache-Control": f"private, max-age={remaining}", **kept_as}
    revalidate = min(entry.max_stale, settings.cache_stale_while_revalidate_seconds)
    on_error = min(entry.max_stale, settings.cache_stale_if_error_seconds)
    tags = sorted(entry.tags)
    return {
        "Cache-Control": f"public, max-age={remaining}, "
        f"stale-while-revalidate={int(revalidate)}, stale-if-error={int(on_error)}",
        **kept_as,
        "Surrogate-Key": " ".join(tags),
        "Cache-Tag": ",".join(tags),
    }


def held(if_none_match: str, etag: str) -> bool:
    """Whether the client's If-None-Match names `etag` (weak tags compared as strong)."""
    return etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


class NotModified:
    """304: the client's copy is the answer; no body."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.start = {
            "type": "http.response.start",
            "status": 304,
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self.start)
        await send({"type": "http.response.body", "body": b""})
