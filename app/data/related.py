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
from functools import lru_cache

from sqlalchemy import Table, bindparam, exists, func, select

from app.data.entities import ARTICLES, WHOLE_ARTICLES, ArticleColumns, article_select
from app.data.sql import Query, Reads, Row, among, bound_keys, looked_up
from app.related.ranking import RELATIVE_CUT
from app.visibility import now_parameter, public
from models import RelatedArticle

_lists: Table = RelatedArticle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RelatedKey:
    article_id: int
    first: int


@lru_cache(maxsize=16)
def _listed(articles: ArticleColumns, one: bool) -> Query:
    """Rows of the stored lists of `source_ids`, best first, with their `source_id`. For
    one source, a statement whose plan serves any article (app/data/sql.py: Query): a
    list holds at most 20 rows, each related article looked up by its key."""
    related = ARTICLES.alias("related")
    source = _lists.c.article_id
    # Each listed article checked by its key: joined, PostgreSQL may plan to read every
    # published article for 20 rows.
    on_site = select(related.c.id).where(
        related.c.id == _lists.c.related_id, public(now_parameter(), related)
    )
    ranked = (
        select(
            _lists.c.article_id.label("source_id"),
            _lists.c.related_id,
            _lists.c.score,
            func.max(_lists.c.score).over(partition_by=source).label("best"),
            func.row_number()
            .over(partition_by=source, order_by=(_lists.c.score.desc(), _lists.c.related_id.desc()))
            .label("rank"),
        )
        .where(among(source, "source_ids", one), exists(looked_up(on_site)))
        .subquery()
    )
    return Query(
        article_select(articles, ranked.c.source_id)
        .join(ranked, ranked.c.related_id == ARTICLES.c.id)
        .where(ranked.c.rank <= bindparam("first"), ranked.c.score >= RELATIVE_CUT * ranked.c.best)
        .order_by(ranked.c.source_id, ranked.c.rank),
        plan_once=one,
    )


async def load_related(
    keys: Sequence[RelatedKey],
    reads: Reads,
    now: datetime,
    articles: ArticleColumns = WHOLE_ARTICLES,
) -> list[list[Row]]:
    """Up to `first` related articles per key, best first, never the article itself."""
    first = max(key.first for key in keys)
    source_ids = [key.article_id for key in keys]
    listed = _listed(articles, len(source_ids) == 1)
    by_source: defaultdict[int, list[Row]] = defaultdict(list)
    for row in await reads.rows(listed, source_ids=bound_keys(source_ids), first=first, now=now):
        by_source[row.source_id].append(row)
    return [by_source[key.article_id][: key.first] for key in keys]
