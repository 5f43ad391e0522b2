"""Mutations that count views: one from a page, or many from a partner's pipeline."""

from datetime import datetime, timedelta

import strawberry

from app.context import Info
from app.errors import BadUserInput, NotFound, check_text
from app.loaders import load_rows_by
from app.recorder import MAX_VIEW_AGE, Outcome, View
from models import Article as ArticleRow
from resolvers.types.article import Article
from resolvers.types.node import decode_id_of
from resolvers.types.pagination import as_utc
from resolvers.types.recorded_view import RecordViewPayload, RecordViewsPayload, ViewInput

MAX_VIEWS_PER_CALL = 1000
CLOCK_SKEW = timedelta(minutes=1)  # how far ahead of ours a partner's clock may run


async def record_view(
    info: Info, article_id: strawberry.ID, visitor_id: str | None = None
) -> RecordViewPayload:
    """Count a view of a published article; answered once the view is stored."""
    pk = decode_id_of("Article", article_id, "articleId")
    view = View(pk, info.context.now, check_text(visitor_id, "visitorId", max_length=128))
    (outcome,) = await info.context.views.record([view])
    if outcome is Outcome.NOT_FOUND:
        raise NotFound(f"No published article has the ID {article_id!r}.", argument="articleId")
    # Read the article after the commit, so its viewCount includes this view.
    (row,) = await load_rows_by(ArticleRow, "id", [pk], info.context.read_sessionmaker)
    assert row is not None
    info.context.loaders.article_by_id.prime(pk, row, force=True)
    info.context.loaders.views.clear_all()
    return RecordViewPayload(article=Article.from_model(row), counted=outcome is Outcome.COUNTED)


async def record_views(info: Info, views: list[ViewInput]) -> RecordViewsPayload:
    """Count up to 1,000 views at once; each missing article is a NOT_FOUND at its index."""
    if len(views) > MAX_VIEWS_PER_CALL:
        raise BadUserInput("views", f"at most {MAX_VIEWS_PER_CALL} per call, got {len(views)}")
    parsed = [_parse(info.context.now, index, view) for index, view in enumerate(views)]
    outcomes = await info.context.views.record(parsed) if parsed else []
    info.context.loaders.views.clear_all()
    return RecordViewsPayload(outcomes=outcomes, article_ids=[view.article_id for view in parsed])


def _parse(now: datetime, index: int, view: ViewInput) -> View:
    where = f"views[{index}]"
    pk = decode_id_of("Article", view.article_id, f"{where}.articleId")
    viewed_at = as_utc(view.viewed_at, f"{where}.viewedAt") or now
    if not now - MAX_VIEW_AGE <= viewed_at <= now + CLOCK_SKEW:
        raise BadUserInput(f"{where}.viewedAt", "must be within the last 48 hours")
    return View(pk, viewed_at, check_text(view.visitor_id, f"{where}.visitorId", max_length=128))
