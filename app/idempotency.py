"""Idempotency keys: a retried create or recordViews answers with what the first call did.

The key is claimed at the start of the mutation's transaction and its result written
before the commit, so a key is remembered exactly when the work it names was done. A
retry that arrives while the first call is still running waits for it (PostgreSQL's
unique index; SQLite has one writer), then replays it.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import insert_for
from app.errors import BadUserInput, Conflict
from models import IdempotencyKey
from models.base import utcnow

HEADER = "idempotency-key"
KEEP_FOR = timedelta(hours=24)  # a retry later than this does the work again
MAX_KEY_LENGTH = 200

_keys = IdempotencyKey.__table__  # type: ignore[attr-defined]
_swept_at = 0.0


@dataclass(frozen=True)
class Once:
    """A call to do once: its caller, its key and its fingerprint."""

    caller: str
    key: str
    fingerprint: str


def fingerprint(operation: str, arguments: Any) -> str:
    """What a retry must repeat exactly: the mutation and its arguments."""
    payload = orjson.dumps([operation, arguments], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


def checked_key(key: str | None, argument: str) -> str | None:
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise BadUserInput(argument, f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


async def claim(
    connection: AsyncConnection, caller: str, key: str, print_: str
) -> dict[str, Any] | None:
    """None when this call is the first with `key` (do the work, then `fulfil`); else the
    first call's result. CONFLICT when the key was used for different arguments."""
    await _sweep(connection)
    inserted = await connection.execute(
        insert_for(connection)(_keys)
        .values(caller=caller, key=key, fingerprint=print_, result="{}", created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(_keys.c.key)
    )
    if inserted.first() is not None:
        return None
    return await first_result(connection, caller, key, print_)


async def first_result(
    connection: AsyncConnection, caller: str, key: str, print_: str
) -> dict[str, Any] | None:
    """What the first call with `key` did, None if there was none (yet); CONFLICT when
    the key was used for different arguments."""
    first = (
        await connection.execute(
            select(_keys.c.fingerprint, _keys.c.result).where(
                _keys.c.caller == caller, _keys.c.key == key
            )
        )
    ).first()
    if first is None:
        return None
    if first.fingerprint != print_:
        raise Conflict(
            "This Idempotency-Key was used for a different request.", argument="idempotencyKey"
        )
    result: dict[str, Any] = orjson.loads(first.result)
    return result


async def fulfil(connection: AsyncConnection, caller: str, key: str, result: Any) -> None:
    await connection.execute(
        update(_keys)
        .where(_keys.c.caller == caller, _keys.c.key == key)
        .values(result=orjson.dumps(result).decode())
    )


async def _sweep(connection: AsyncConnection) -> None:
    """Forget expired keys, at most once a minute per process."""
    global _swept_at
    if time.monotonic() - _swept_at > 60:
        _swept_at = time.monotonic()
        await connection.execute(delete(_keys).where(_keys.c.created_at < utcnow() - KEEP_FOR))
