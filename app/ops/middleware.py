"""Per request: a request id, one log line, metrics and, when on, a trace span.

The request id is the caller's `X-Request-ID` when it is sane (up to 128 letters, digits
and `._:-`), a new one otherwise, and is sent back in the response's `X-Request-ID`.
"""

import itertools
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops import metrics, record, tracing

logger = logging.getLogger("newsgate.access")

GRAPHQL_PATH = "/graphql"
REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_ID_PREFIX = secrets.token_hex(8) + "-"
_ids = itertools.count(1)
# Codes that mean Newsgate, not the caller, failed.
SERVER_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})


class ObserveRequests:
    """ASGI middleware around the whole app."""

    def __init__(self, app: ASGIApp, slow_seconds: float) -> None:
        self.app = app
        self.slow_seconds = slow_seconds
        # The request histogram's series by (operation name, outcome): labels() takes a lock.
        self._requests: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        header = (REQUEST_ID, request_id.encode())
        status = 500  # unless the app answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        current, token = record.begin(request_id)
        started = time.perf_counter()
        try:
            if tracing.tracer is None:
                await self.app(scope, receive, send_with_id)
            else:
                await self._traced(scope, receive, send_with_id, current)
        finally:
            record.end(token)
            self._finish(scope, current, status, time.perf_counter() - started)

    async def _traced(
        self, scope: Scope, receive: Receive, send: Send, current: record.Record
    ) -> None:
        assert tracing.tracer is not None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {scope['path']}"
        with tracing.tracer.start_as_current_span(name, context=tracing.parent_of(headers)) as span:
            span.set_attribute("newsgate.request_id", current.request_id)
            await self.app(scope, receive, send)
            if current.operation:
                span.update_name(f"{name} {current.operation}")
            span.set_attribute("newsgate.sql_statements", current.statements)

    def _finish(self, scope: Scope, current: record.Record, status: int, seconds: float) -> None:
        path = scope["path"]
        slow = seconds >= self.slow_seconds
        if path == GRAPHQL_PATH:
            codes = current.error_codes
            if status >= 500 or not SERVER_CODES.isdisjoint(codes):
                outcome = "server_error"
            elif status >= 400 or codes:
                outcome = "client_error"
            else:
                outcome = "ok"
            key = (metrics.operation_label(current.operation), outcome)
            if (requests := self._requests.get(key)) is None:
                requests = self._requests[key] = metrics.REQUESTS.labels(*key)
            requests.observe(seconds)
            for code in codes:
                metrics.ERRORS.labels(code).inc()
            metrics.SQL_STATEMENTS.observe(current.statements)
            metrics.DB_SECONDS.observe(current.db_seconds)
            level = logging.WARNING if slow else logging.INFO
        else:  # health checks, scrapes, GraphiQL's files
            level = logging.DEBUG
        if not logger.isEnabledFor(level):
            return
        fields = {
            "request_id": current.request_id,
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "operation": current.operation,
            "client": current.client,
            "error_codes": current.error_codes,
            "sql_statements": current.statements,
            "db_ms": round(current.db_seconds * 1000, 2),
            "cache": current.cache,
            "slow": slow,
        }
        # A record made here, not by logger.log(): that one looks up the caller's file
        # and line in the stack, which no line shows.
        line = logger.makeRecord(
            logger.name,
            level,
            "",
            0,
            "%s %s %d %.1f ms",
            (scope["method"], path, status, seconds * 1000),
            None,
            extra={"fields": fields},
        )
        logger.handle(line)


def _request_id(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == REQUEST_ID and _SANE_ID.fullmatch(value):
            return value.decode()
    # Unique without a system call per request: a random prefix per process, and a count.
    return f"{_ID_PREFIX}{next(_ids):x}"
