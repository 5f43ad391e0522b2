"""The last line: whatever escapes the app below (an endpoint, a middleware, encoding a
response) becomes a JSON GraphQL error with code INTERNAL_SERVER_ERROR and an error id,
logged once with its traceback. Never Starlette's plain-text 500, and the exception goes
no further, so nothing logs it a second time."""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import log_unexpected


class Failsafe:
    """ASGI middleware; the first in the app's list, so that it wraps all the others."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            error_id = log_unexpected(error, f"{scope['method']} {scope['path']}")
            if started:  # the status is out: all that is left is to stop
                return
            extensions = {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}
            body = orjson.dumps(
                {"errors": [{"message": "Internal server error", "extensions": extensions}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
