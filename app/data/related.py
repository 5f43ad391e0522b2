"""Related articles: what readers of one article may want next.

Each published article's list is computed ahead, off the request path, and stored in
related_article (app/related/ keeps it: the text of title, summary and body first, then
tags, category, language and time). Reading a page of lists is one indexed statement:
each list's best `first` articles that readers may see now, leaving out those scoring
under RELATIVE_CUT of the list's best. A list may be shorter than asked, or empty:
an article no other reports on has no related news, and nothing stands in for it.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import select as model_select

from app.db import AnyOf, SessionMaker
from app.related.ranking import RELATIVE_CUT
from app.visibility import public
from models import Article, RelatedArticle

_lists = RelatedArticle.__table__  # type: ignore[attr-defined]
_articles = Article.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RelatedKey:
    article_id: int
    first: int


async def load_related(
    keys: Sequence[RelatedKey], sessionmaker: SessionMaker, now: datetime
) -> list[list[Article]]:
    """Up to `first` related articles per key, best first, never the article itself."""
    first = max(key.first for key in keys)
    by_source: defaultdict[int, list[Article]] = defaultdict(list)
    async with sessionmaker() as session:
        listed = _listed([key.article_id for key in keys], first, now)
        for article, source_id in (await session.exec(listed)).all():
            by_source[source_id].append(article)
    return [by_source[key.article_id][: key.first] for key in keys]


def _listed(source_ids: list[int], first: int, now: datetime) -> Any:
    """(article, source id) rows: the stored lists of the sources, best first."""
    related = _articles.alias("related")
    by_source = {"partition_by": _lists.c.article_id}
    ranked = (
        select(
            _lists.c.article_id.label("source_id"),
            _lists.c.related_id,
            _lists.c.score,
            func.max(_lists.c.score).over(**by_source).label("best"),
            func.row_number()
            .over(**by_source, order_by=(_lists.c.score.desc(), _lists.c.related_id.desc()))
            .label("rank"),
        )
        .join(related, related.c.id == _lists.c.related_id)
        .where(AnyOf(_lists.c.article_id, source_ids), public(now, related))
        .subquery()
    )
    return (
        model_select(Article, ranked.c.source_id)
        .join(ranked, ranked.c.related_id == Article.id)
        .where(ranked.c.rank <= first, ranked.c.score >= RELATIVE_CUT * ranked.c.best)
        .order_by(ranked.c.source_id, ranked.c.rank)
    )
