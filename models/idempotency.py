from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class IdempotencyKey(SQLModel, table=True):
    """What a mutation called with an Idempotency-Key did, written in the mutation's own
    transaction, so that a retry can answer with it instead of doing it again."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created", "created_at"),)

    caller: str = Field(primary_key=True, max_length=200)  # keys are per caller
    key: str = Field(primary_key=True, max_length=300)  # the client's key and the field's name
    fingerprint: str = Field(max_length=64)  # SHA-256 of the mutation's arguments
    result: str  # JSON: what the first call returned (IDs, outcomes)
    created_at: datetime = Field(default_factory=utcnow)
