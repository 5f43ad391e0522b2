"""The HTTP connection uvicorn runs for Newsgate: its httptools protocol, with one write
per response.

uvicorn writes a response's status line and headers when the app starts the response,
and its body when the app sends it; uvloop sends each write at once, so that a small
answer cost two system calls and two TCP segments. Here the writes of one turn of the
event loop go out together at its end, in one call: an app that sends its whole answer
without waiting in between (app/gateway/endpoint.py's JSONAnswer) sends one segment.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class OneWritePerTurn:
    """A transport whose writes wait for the end of the event loop's turn, then leave
    together. Everything else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def close(self) -> None:
        self._flush()  # what was written before the close goes first
        self._transport.close()

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():  # else the client has gone
            self._transport.writelines(pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class NewsgateHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over OneWritePerTurn (`uvicorn.run(http=...)`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWritePerTurn(transport, self.loop))  # type: ignore[arg-type]
