"""Who is calling: a partner with an API key, an editor with a JWT, or an anonymous reader.

Credentials that are present but wrong, expired or revoked are refused (UNAUTHENTICATED,
HTTP 401), never treated as anonymous. What each caller may do is a set of scopes.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from sqlalchemy import Table, bindparam, or_, select, update
from sqlmodel import col
from starlette.requests import Request

from app.callers import ROLE_SCOPES, Caller, Scope
from app.data.sql import Query, Reads, Row
from app.db import SessionMaker
from app.errors import Unauthenticated
from app.gateway.request import GraphQLRequest
from app.settings import Settings
from models import ApiKey
from models.base import utcnow

_keys: Table = ApiKey.__table__  # type: ignore[attr-defined]
KEY_PREFIX = "ng_"  # marks a Newsgate key, in logs and in secret scanners
LAST_USED_PRECISION = timedelta(minutes=1)  # a key's last use is written at most this often
JWT_LEEWAY = timedelta(seconds=30)  # clock skew allowed between the token's issuer and us


def anonymous(request: Request) -> Caller:
    # Behind a load balancer, uvicorn takes the address from X-Forwarded-For when the
    # balancer's address is in FORWARDED_ALLOW_IPS.
    return _reader_at(request.client.host if request.client else "unknown")


@lru_cache(maxsize=4096)  # a reader sends many requests: one Caller for them
def _reader_at(address: str) -> Caller:
    return Caller(f"ip:{address}")


async def authenticate(
    request: GraphQLRequest, settings: Settings, reads: Reads, sessionmaker: SessionMaker
) -> Caller:
    """The caller of `request`; Unauthenticated for credentials that do not hold."""
    authorization = request.fields.get("authorization")
    token = request.fields.get("x-api-key")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send `Authorization: Bearer <API key or token>`.")
        token = token.strip()
    if token is None:
        return anonymous(request)
    if token.count(".") == 2:  # header.payload.signature: a JWT; API keys have no dots
        return _editor(token, settings)
    return await _partner(token, reads, sessionmaker)


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_key(
    sessionmaker: SessionMaker, name: str, scopes: frozenset[str], expires_at: datetime | None
) -> tuple[ApiKey, str]:
    """A new key's row and the key itself, which is stored nowhere."""
    key = new_key()
    row = ApiKey(
        name=name,
        key_hash=hash_key(key),
        prefix=key[:10],
        scopes=" ".join(sorted(scopes)),
        expires_at=expires_at,
    )
    async with sessionmaker() as session:
        session.add(row)
        await session.commit()
    return row, key


def hash_key(key: str) -> str:
    # Keys are 256 random bits: a plain SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from space- or comma-separated text; ValueError naming an unknown one."""
    scopes = frozenset(text.replace(",", " ").split())
    unknown = scopes - set(Scope)
    if unknown:
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}; known: {', '.join(Scope)}")
    return scopes


_KEY = Query(select(_keys).where(_keys.c.key_hash == bindparam("key_hash")), plan_once=True)


async def _partner(key: str, reads: Reads, sessionmaker: SessionMaker) -> Caller:
    now = utcnow()
    rows = await reads.rows(_KEY, key_hash=hash_key(key))
    if not rows:
        raise Unauthenticated("Unknown API key.")
    (row,) = rows
    if row.revoked_at is not None:
        raise Unauthenticated("This API key has been revoked.")
    if expired(row, now):
        raise Unauthenticated("This API key has expired.")
    # One write a minute at most, however busy the key.
    stale = now - LAST_USED_PRECISION
    if row.last_used_at is None or row.last_used_at < stale:
        async with sessionmaker() as session, session.begin():
            await session.exec(
                update(ApiKey)
                .where(
                    col(ApiKey.id) == row.id,
                    or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < stale),
                )
                .values(last_used_at=now)
            )
    return Caller(f"key:{row.id}", frozenset(row.scopes.split()))


def _editor(token: str, settings: Settings) -> Caller:
    if settings.jwt_secret:
        key, algorithm = settings.jwt_secret, "HS256"
    elif settings.jwt_public_key:
        key, algorithm = settings.jwt_public_key, "RS256"
    else:
        raise Unauthenticated("Editor tokens are not accepted here (no JWT key is configured).")
    try:
        claims = jwt.decode(
            token,
            key,
            # Never the algorithm the token names: "none", or HS256 keyed with a public key.
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=JWT_LEEWAY,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The token has expired.") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"The token is not valid: {error}.") from None
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        roles = [roles]
    scopes = {scope for role in roles for scope in ROLE_SCOPES.get(str(role), ())}
    return Caller(f"editor:{claims['sub']}", frozenset(scopes))


def expired(row: ApiKey | Row, now: datetime) -> bool:
    return row.expires_at is not None and row.expires_at <= now
