"""Logging: readable text in development, one JSON object a line in production."""

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


def configure(level: str, json: bool) -> None:
    """Send every logger's records (uvicorn's too) to stderr, as JSON or as text."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler()
    _handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root.addHandler(_handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up check is routine
