"""Errors a client can cause, each with a stable `extensions.code`.

Anything raised that is not a `UserError` is a bug: `log_unexpected` logs it once, with
its traceback and an error id, and the client sees only "Internal server error" and the
id (app/gateway/execution.py for errors inside GraphQL, app/gateway/failsafe.py for
anything else).
"""

import logging
import uuid
from typing import ClassVar, overload

logger = logging.getLogger("newsgate.errors")

# The database cannot serve now (it is down, restarting, or out of connections): the
# request failed as a whole or in part, answered with HTTP 503 and Retry-After.
UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The database is unavailable; retry shortly (see Retry-After)."
RETRY_AFTER_SECONDS = 2


class UserError(Exception):
    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.extensions: dict[str, object] = {"code": self.code, **details}


class BadUserInput(UserError):
    """An argument is malformed or out of range; `argument` names it."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"Invalid `{argument}`: {message}", argument=argument)


class NotFound(UserError):
    code = "NOT_FOUND"


class InvalidFields(UserError):
    """Input refused as a whole, naming each wrong field: `fields` is [{field, message}, ...]."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(f"Invalid input: {summary}.", fields=errors)


class Conflict(UserError):
    """A stale version, a slug taken meanwhile, or an idempotency key reused."""

    code = "CONFLICT"


class Unauthenticated(UserError):
    code = "UNAUTHENTICATED"


class Forbidden(UserError):
    code = "FORBIDDEN"


@overload
def check_text(value: str, argument: str, max_length: int = 200) -> str: ...
@overload
def check_text(value: str | None, argument: str, max_length: int = 200) -> str | None: ...
def check_text(value: str | None, argument: str, max_length: int = 200) -> str | None:
    """A string argument as given; BAD_USER_INPUT when too long or holding a NUL byte.

    PostgreSQL rejects NUL in text while SQLite stores it: refusing it here keeps
    both backends answering the same way.
    """
    if value is not None:
        if "\x00" in value:
            raise BadUserInput(argument, "must not contain NUL characters")
        if len(value) > max_length:
            raise BadUserInput(argument, f"must be at most {max_length} characters")
    return value


def log_unexpected(error: BaseException | None, where: object, message: str = "") -> str:
    """Log a bug once, with its traceback, under a new error id; the id, for the client."""
    error_id = uuid.uuid4().hex
    logger.error("error %s at %s: %s", error_id, where, message or repr(error), exc_info=error)
    return error_id
