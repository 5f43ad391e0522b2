from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utcnow


class ApiKey(SQLModel, table=True):
    """A partner's key. Only its SHA-256 is kept: the key itself is shown once, at creation."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)  # the key's first characters, to tell keys apart in lists
    scopes: str = Field(max_length=200)  # space-separated, as in OAuth
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
