"""Manage partners' API keys in the database at DATABASE_URL.

    .venv/bin/python scripts/apikeys.py create "Acme analytics" --scopes views:write,content:read
    .venv/bin/python scripts/apikeys.py create "Trial" --scopes content:read --expires-in-days 30
    .venv/bin/python scripts/apikeys.py list
    .venv/bin/python scripts/apikeys.py revoke 3

A key is printed once, at creation: only its hash is stored. A revoked key is refused on
the next request it makes, by every server. Scopes: content:read, content:write,
views:write, admin (everything).
"""

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine, make_sessionmaker
from app.gateway.auth import create_key, expired, parse_scopes
from app.settings import get_settings
from models import ApiKey
from models.base import utcnow


async def _create(name: str, scopes: frozenset[str], expires_in_days: float | None) -> None:
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    engine = make_engine(get_settings())
    try:
        row, key = await create_key(make_sessionmaker(engine), name, scopes, expires_at)
    finally:
        await engine.dispose()
    print(f"Created key {row.id} ({row.name}), scopes: {row.scopes}.")
    print("The key, shown this once (send it as `Authorization: Bearer <key>`):")
    print(key)


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


async def _list() -> None:
    engine = make_engine(get_settings())
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.exec(select(ApiKey).order_by(col(ApiKey.id)))).all()
    finally:
        await engine.dispose()
    now = utcnow()
    columns = ("name", 24), ("key", 13), ("status", 8), ("last used", 16), ("expires", 16)
    print(f"{'id':>4}  " + " ".join(f"{title:<{width}}" for title, width in columns) + " scopes")
    for row in rows:
        status = "revoked" if row.revoked_at else "expired" if expired(row, now) else "active"
        print(
            f"{row.id:>4}  {row.name[:24]:<24} {row.prefix + '…':<13} {status:<8} "
            f"{_moment(row.last_used_at):<16} {_moment(row.expires_at):<16} {row.scopes}"
        )


async def _revoke(key_id: int) -> None:
    engine = make_engine(get_settings())
    try:
        async with engine.begin() as connection:
            result = await connection.execute(
                update(ApiKey)
                .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
                .values(revoked_at=utcnow())
            )
    finally:
        await engine.dispose()
    if result.rowcount == 0:
        raise SystemExit(f"apikeys: no active key has the id {key_id}")
    print(f"Revoked key {key_id}.")


def _scopes(text: str) -> frozenset[str]:
    try:
        return parse_scopes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it, once")
    create.add_argument("name", help="who the key is for")
    create.add_argument("--scopes", type=_scopes, required=True, help="comma-separated")
    create.add_argument("--expires-in-days", type=float, help="no expiry when omitted")
    commands.add_parser("list", help="every key: status, last use, expiry, scopes")
    revoke = commands.add_parser("revoke", help="refuse a key from its next request on")
    revoke.add_argument("id", type=int)
    args = parser.parse_args()
    if args.command == "create":
        asyncio.run(_create(args.name, args.scopes, args.expires_in_days))
    elif args.command == "list":
        asyncio.run(_list())
    else:
        asyncio.run(_revoke(args.id))


if __name__ == "__main__":
    main()
