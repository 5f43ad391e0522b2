"""The per-request context every resolver receives."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import strawberry
from starlette.requests import Request

from app.callers import Caller
from app.data.loaders import Loaders
from app.data.sql import Reads
from app.db import SessionMaker
from app.popularity.recorder import ViewRecorder
from app.settings import Settings, get_settings
from models.base import utcnow

ANONYMOUS = Caller("ip:unknown")


@dataclass
class Context:
    # Writes open their own transaction from `sessionmaker`; reads go through `loaders`
    # (or `reads` for a root field's one statement), each statement on a connection of
    # its own. No session lives here: sibling fields resolve concurrently and an
    # AsyncSession must not be shared between tasks.
    sessionmaker: SessionMaker
    reads: Reads
    views: ViewRecorder
    caller: Caller = ANONYMOUS
    settings: Settings = field(default_factory=get_settings)
    request: Request | None = None
    now: datetime = field(default_factory=utcnow)
    loaders: Loaders = field(init=False)
    # The (type, field) pairs the document asks for, when planned; None: any may be.
    selected: frozenset[tuple[str, str]] | None = None
    # The cache tags of what the request reads, when its answer may be cached.
    cache_tags: set[str] | None = None
    # Evicts cached answers by tag: what a committed edit changed.
    invalidate: Callable[[set[str]], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.reads, self.now, self.cache_tags)

    def read(self, *tags: str) -> None:
        """Note what a root field read without a loader (loaders note their own)."""
        if self.cache_tags is not None:
            self.cache_tags.update(tags)

    def selects(self, type_name: str, field_name: str) -> bool:
        """Whether the document may ask for this field: work only it needs can be skipped."""
        return self.selected is None or (type_name, field_name) in self.selected


Info = strawberry.Info[Context, None]
