"""What one request did: the record the middleware logs and measures.

The middleware (app/ops/middleware.py) opens a record per request in a context variable;
the endpoint notes the operation, caller and error codes, and SQLAlchemy events and the
DataLoader batches below add up what they ran. Tasks a request starts inherit the
variable, so loader batches count too; background tasks (the view writer, the
popularity refresh) start without it and count nowhere.
"""

import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.ops import metrics, tracing

K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class Record:
    request_id: str
    operation: str | None = None
    client: str | None = None
    error_codes: list[str] = field(default_factory=list)
    statements: int = 0
    db_seconds: float = 0.0
    cache: str | None = None  # hit, stale or miss, when the response cache was asked


_current: ContextVar[Record | None] = ContextVar("newsgate_request", default=None)


def begin(request_id: str) -> tuple[Record, object]:
    record = Record(request_id)
    return record, _current.set(record)


def end(token: Any) -> None:
    _current.reset(token)


def note_operation(name: str | None) -> None:
    if (record := _current.get()) is not None:
        record.operation = name[:128] if name else name  # names can be as long as a query


def note_caller(identity: str) -> None:
    if (record := _current.get()) is not None:
        record.client = identity


def note_cache(result: str) -> None:
    if (record := _current.get()) is not None:
        record.cache = result


def note_errors(body: Any) -> None:
    """The error codes of a response body (a list of bodies for a batch)."""
    record = _current.get()
    if record is None:
        return
    for result in body if isinstance(body, list) else (body,):
        for error in result.get("errors") or ():
            record.error_codes.append((error.get("extensions") or {}).get("code", "UNKNOWN"))


def count_statements(engine: AsyncEngine) -> None:
    """Add each SQL statement the engine runs, and its time, to the current request's record."""
    event.listen(engine.sync_engine, "before_cursor_execute", _before)
    event.listen(engine.sync_engine, "after_cursor_execute", _after)


def _before(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
    if context is not None and _current.get() is not None:
        context._newsgate_started = time.perf_counter()


def _after(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
    started = getattr(context, "_newsgate_started", None)
    if started is not None:
        statement_ran(time.perf_counter() - started)


def statement_ran(seconds: float) -> None:
    """Count a statement and its time in the current request's record: what the engine's
    events do, for code that runs SQL without the engine."""
    if (record := _current.get()) is not None:
        record.statements += 1
        record.db_seconds += seconds


def observe_batches(
    load_fn: Callable[[Sequence[K]], Awaitable[list[V]]],
) -> Callable[[Sequence[K]], Awaitable[list[V]]]:
    """`load_fn`, with its batch sizes measured and, when tracing, a span per batch."""
    name = _name_of(load_fn)
    sizes = metrics.BATCH_SIZE.labels(name)

    async def load(keys: Sequence[K]) -> list[V]:
        sizes.observe(len(keys))
        if tracing.tracer is None:
            return await load_fn(keys)
        with tracing.tracer.start_as_current_span(f"dataloader {name}") as span:
            span.set_attribute("newsgate.batch_size", len(keys))
            return await load_fn(keys)

    return load


def _name_of(load_fn: Any) -> str:
    """`load_views`, or `load_rows_by:Article:id` for a partial with positional arguments."""
    if isinstance(load_fn, partial):
        args = (getattr(arg, "__name__", str(arg)) for arg in load_fn.args)
        return ":".join((_name_of(load_fn.func), *args))
    return str(getattr(load_fn, "__name__", "loader"))
