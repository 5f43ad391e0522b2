"""The per-request context every resolver receives."""

from dataclasses import dataclass, field
from datetime import datetime

import strawberry
from starlette.requests import Request

from app.callers import Caller
from app.data.loaders import Loaders
from app.db import SessionMaker
from app.popularity.recorder import ViewRecorder
from app.settings import Settings, get_settings
from models.base import utcnow

ANONYMOUS = Caller("ip:unknown")


@dataclass
class Context:
    # Writes open their own transaction from `sessionmaker`; reads go through `loaders`,
    # whose batches use autocommit sessions. No session lives here: sibling fields
    # resolve concurrently and an AsyncSession must not be shared between tasks.
    sessionmaker: SessionMaker
    read_sessionmaker: SessionMaker
    views: ViewRecorder
    caller: Caller = ANONYMOUS
    settings: Settings = field(default_factory=get_settings)
    request: Request | None = None
    now: datetime = field(default_factory=utcnow)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.read_sessionmaker, self.now)


Info = strawberry.Info[Context, None]
