"""Mutations that count views: one from a page, or many from a partner's pipeline."""

from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from app.callers import Scope
from app.context import Info
from app.errors import BadUserInput, NotFound, check_text
from app.idempotency import Once, fingerprint
from app.popularity.recorder import MAX_VIEW_AGE, Outcome, View
from resolvers.content import IdempotencyKeyArgument, idempotency_key_for
from resolvers.types.node import decode_id_of
from resolvers.types.pagination import as_utc
from resolvers.types.recorded_view import RecordViewPayload, RecordViewsPayload, ViewInput

MAX_VIEWS_PER_CALL = 1000
CLOCK_SKEW = timedelta(minutes=1)  # how far ahead of ours a partner's clock may run


async def record_view(
    info: Info,
    article_id: Annotated[strawberry.ID, strawberry.argument(description="The article viewed.")],
    visitor_id: Annotated[
        str | None,
        strawberry.argument(
            description="Who viewed it, as a cookie's value (up to 128 characters): one "
            "visitor's views of an article within 30 minutes count once."
        ),
    ] = None,
) -> RecordViewPayload:
    """Count a view of a published article, as a page does when it is read; answered once
    the view is stored. NOT_FOUND for an article that is not published."""
    pk = decode_id_of("Article", article_id, "articleId")
    visitor = check_text(visitor_id, "visitorId", max_length=128)
    # The article is read back with the view only for a caller that asks for it.
    shown = _selects(info.selected_fields[0].selections, "article")
    (recorded,) = await info.context.views.record(
        [View(pk, info.context.now, visitor, return_article=shown)]
    )
    if recorded.outcome is Outcome.NOT_FOUND:
        raise NotFound(f"No published article has the ID {article_id!r}.", argument="articleId")
    # Later fields of this request must see the view, like the payload's article does.
    info.context.loaders.viewed(pk, recorded.article)
    return RecordViewPayload(
        article=recorded.article,  # type: ignore[arg-type]  # None only when not asked for
        counted=recorded.outcome is Outcome.COUNTED,
    )


def _selects(selections: list[Selection], name: str) -> bool:
    """Whether the field `name` is among the selections, or in their fragments."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):
            return True
    return False


async def record_views(
    info: Info,
    views: Annotated[
        list[ViewInput],
        strawberry.argument(description=f"Up to {MAX_VIEWS_PER_CALL:,} views, in any order."),
    ],
    idempotency_key: IdempotencyKeyArgument = None,
) -> RecordViewsPayload:
    """Count up to 1,000 views at once, as a partner's pipeline reports them; each view of
    an article that is not published is a NOT_FOUND at its index, the others count. Needs
    the `views:write` scope."""
    info.context.caller.require(Scope.VIEWS_WRITE)
    if len(views) > MAX_VIEWS_PER_CALL:
        raise BadUserInput("views", f"at most {MAX_VIEWS_PER_CALL} per call, got {len(views)}")
    once = replayed = None
    if key := idempotency_key_for(info, idempotency_key):
        arguments = [strawberry.asdict(view) for view in views]
        once = Once(info.context.caller.identity, key, fingerprint(info.field_name, arguments))
        replayed = await info.context.views.replay(once)
    # A replay is not checked for age again: its views were in time when first sent.
    now = info.context.now
    parsed = [_parse(now, i, view, check_age=replayed is None) for i, view in enumerate(views)]
    if replayed is not None:
        recorded = replayed
    else:
        recorded = await info.context.views.record(parsed, once) if parsed else []
    info.context.loaders.forget_views()
    return RecordViewsPayload(
        outcomes=[view.outcome for view in recorded],
        article_ids=[view.article_id for view in parsed],
    )


def _parse(now: datetime, index: int, view: ViewInput, check_age: bool) -> View:
    where = f"views[{index}]"
    pk = decode_id_of("Article", view.article_id, f"{where}.articleId")
    viewed_at = as_utc(view.viewed_at, f"{where}.viewedAt") or now
    if check_age and not now - MAX_VIEW_AGE <= viewed_at <= now + CLOCK_SKEW:
        raise BadUserInput(f"{where}.viewedAt", "must be within the last 48 hours")
    return View(pk, viewed_at, check_text(view.visitor_id, f"{where}.visitorId", max_length=128))
