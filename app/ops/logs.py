"""Logging: readable text in development, one JSON object a line in production, to
stderr a batch at a time."""

import asyncio
import logging
from datetime import UTC, datetime

import orjson

_handler: logging.Handler | None = None  # ours on the root logger; others are left alone


class JsonFormatter(logging.Formatter):
    """A JSON object per record: time, level, logger, message, the record's `fields`
    (`extra={"fields": {...}}`), and the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """A readable line: the message, then the record's `fields` as key=value, leaving out
    empty ones and those the message already says."""

    IN_MESSAGE = frozenset({"method", "path", "status", "duration_ms"})

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if not fields:
            return line
        pairs = (
            f"{key}={','.join(value) if isinstance(value, list) else value}"
            for key, value in fields.items()
            if key not in self.IN_MESSAGE and value not in (None, [], False)
        )
        return " ".join((line, *pairs))


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr, written a batch of lines at a time, as a web server's buffered access log
    is: a system call per line cost a twentieth of a cached answer's CPU. A line waits at
    most `flush_seconds`, and until `max_bytes` wait; a warning or an error goes out at
    once, after the lines before it. Without a running event loop to flush later (a
    script, a thread), each line is written at once; logging's shutdown writes what waits."""

    flush_seconds = 0.5
    max_bytes = 64 * 1024

    def __init__(self) -> None:
        super().__init__()
        self._waiting: list[str] = []
        self._size = 0
        self._flushing_in: asyncio.AbstractEventLoop | None = None  # the loop due to flush

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._waiting.append(line)
        self._size += len(line)
        if record.levelno >= logging.WARNING or self._size >= self.max_bytes:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._flushing_in is not loop:  # none due, or one in a loop that has ended
            self._flushing_in = loop
            loop.call_later(self.flush_seconds, self.flush)

    def flush(self) -> None:
        self.acquire()  # the lock handle() holds around emit(): re-entrant
        try:
            self._flushing_in = None
            if self._waiting:
                lines, self._waiting, self._size = "".join(self._waiting), [], 0
                self.stream.write(lines)
            super().flush()
        except Exception:
            pass  # stderr is gone: there is nowhere left to tell
        finally:
            self.release()


def configure(level: str, json: bool) -> None:
    """Send every logger's records (uvicorn's too) to stderr, as JSON or as text."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = BatchedStreamHandler()
    _handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root.addHandler(_handler)
    root.setLevel(level.upper())
    # What no line of ours shows, and each record would look up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up check is routine
