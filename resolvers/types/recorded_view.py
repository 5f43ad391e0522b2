"""Inputs and payloads of the view-counting mutations."""

from datetime import datetime
from typing import Any

import strawberry

from app.errors import NotFound
from app.popularity.recorder import Outcome
from resolvers.types.article import Article
from resolvers.types.node import encode_id


@strawberry.type(description="What `recordView` did.")
class RecordViewPayload:
    article: Article = strawberry.field(description="The viewed article, this view included.")
    counted: bool = strawberry.field(
        description="False when the same visitor's view of this article counted in the last "
        "30 minutes, so this one did not."
    )


@strawberry.input(description="One view, as a partner's analytics pipeline reports it.")
class ViewInput:
    article_id: strawberry.ID = strawberry.field(description="The article viewed.")
    visitor_id: str | None = strawberry.field(
        default=None, description="Repeat views by one visitor within 30 minutes count once."
    )
    viewed_at: datetime | None = strawberry.field(
        default=None, description="When it happened: at most 48 hours ago. Default: now."
    )


@strawberry.type(description="What became of one view of `recordViews`.")
class RecordedView:
    article_id: strawberry.ID = strawberry.field(description="The article viewed.")
    counted: bool = strawberry.field(
        description="False when the same visitor's view of this article had counted within "
        "30 minutes before it, so this one did not."
    )


@strawberry.type(description="What `recordViews` did.")
class RecordViewsPayload:
    outcomes: strawberry.Private[list[Outcome]]
    article_ids: strawberry.Private[list[int]]

    @strawberry.field(description="How many of the views counted.")
    def counted(self) -> int:
        return self.outcomes.count(Outcome.COUNTED)

    @strawberry.field(
        description="One entry per view, in order; null, with a NOT_FOUND error at its "
        "index, for a view of an article that does not exist or is not published."
    )
    def results(self) -> list[RecordedView | None]:
        # An error in place of an entry: GraphQL nulls the entry and reports it at its index.
        entries: list[Any] = [
            _entry(pk, outcome) for pk, outcome in zip(self.article_ids, self.outcomes, strict=True)
        ]
        return entries


def _entry(pk: int, outcome: Outcome) -> RecordedView | NotFound:
    if outcome is Outcome.NOT_FOUND:
        return NotFound(f"No published article has the ID {encode_id('Article', pk)!r}.")
    return RecordedView(article_id=encode_id("Article", pk), counted=outcome is Outcome.COUNTED)
