"""Related articles: what readers of one article may want next.

A candidate shares a tag with the article and was published near it; how near depends
on the tag's rarity, so that a tag on 700,000 articles offers about as many candidates
as one on a thousand. The work per article is bounded whatever the size of the site,
and reading it per request keeps every list fresh the moment an article is published.

Candidates score by:
- shared tags, each weighted by its rarity (inverse document frequency);
- how close their publication is to the article's;
- same category, same language;
then the best SHORTLIST add the similarity of their text to the article's title and
summary, from the full-text index (PostgreSQL ts_rank, SQLite FTS5 bm25).

One statement ranks the lists of a whole page of articles; a second, only when some
list is short, fills it with the newest articles of its category, then of any.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from app.data.entities import ARTICLES, WHOLE_ARTICLES, ArticleColumns, article_select
from app.data.search import FTS, FTS_TABLE, SEARCH_TABLE, text_config
from app.data.sql import Query, Reads, Row
from app.db import AnyOf, days_between, plus_days
from models import ArticleStatus, ArticleTag, Tag

WINDOW_DAYS = 30.0  # how far apart a rare tag's articles may be
TAG_SPREAD = 1000  # a tag on more articles than this searches a proportionally shorter window
SHORTLIST = 50  # candidates per article whose text is compared
MAX_TERMS = 32  # words of the title and summary compared
MAX_RELATED_BATCH = 1000  # articles ranked in one statement

TEXT_WEIGHT = 4.0  # most similar text of the shortlist
CATEGORY_WEIGHT = 1.0
LANGUAGE_WEIGHT = 1.0
NEARNESS_WEIGHT = 2.0  # published at the same moment; halves about every 5 days apart
NEARNESS_DAYS = 7.0

WORD = re.compile(r"\w\w+")
ANY_CATEGORY = 0  # marks the overall newest in the filling statement


@dataclass(frozen=True)
class RelatedKey:
    article_id: int
    category_id: int
    language: str
    terms: tuple[str, ...]  # from the title and summary
    first: int


def related_terms(title: str, summary: str) -> tuple[str, ...]:
    """The distinct words of an article's title and summary that its text is compared by.

    Only word characters: every term is safe in an FTS5 string and in web-search syntax
    (`or`, an operator there, is left out)."""
    words = WORD.findall(f"{title} {summary}".lower())
    return tuple(dict.fromkeys(word for word in words if word != "or"))[:MAX_TERMS]


async def load_related(
    keys: Sequence[RelatedKey], reads: Reads, articles: ArticleColumns = WHOLE_ARTICLES
) -> list[list[Row]]:
    """Up to `first` related published articles per key, best first, never the article itself."""
    first = max(key.first for key in keys)
    sqlite = reads.dialect == "sqlite"
    by_source: defaultdict[int, list[Row]] = defaultdict(list)
    ranked = _ranked(len(keys), sqlite, articles)
    for row in await reads.rows(ranked, **_ranked_params(keys, first, sqlite)):
        by_source[row.source_id].append(row)
    short = sorted({key.category_id for key in keys if len(by_source[key.article_id]) < key.first})
    newest: defaultdict[int, list[Row]] = defaultdict(list)
    if short:
        categories = {f"category_{n}": category_id for n, category_id in enumerate(short)}
        newest_query = _newest(len(short), articles)
        for row in await reads.rows(newest_query, limit=first + 1, **categories):
            newest[row.category_key].append(row)
    return [
        _first_distinct(
            by_source[key.article_id] + newest[key.category_id] + newest[ANY_CATEGORY], key
        )
        for key in keys
    ]


def _first_distinct(candidates: list[Row], key: RelatedKey) -> list[Row]:
    chosen: dict[int, Row] = {}
    for article in candidates:
        if article.pk != key.article_id and article.pk not in chosen:
            chosen[article.pk] = article
    return list(chosen.values())[: key.first]


# Core tables, not ORM entities: aliasing entities costs milliseconds per statement.
_articles = ARTICLES
_taggings = ArticleTag.__table__  # type: ignore[attr-defined]
_tags = Tag.__table__  # type: ignore[attr-defined]


def _ranked_params(keys: Sequence[RelatedKey], first: int, sqlite: bool) -> dict[str, Any]:
    """The values _ranked(len(keys), sqlite) runs with."""
    params: dict[str, Any] = {"source_ids": [key.article_id for key in keys], "first": first}
    for index, key in enumerate(keys):
        # A source without words never takes its branch: no article has id 0.
        params[f"source_{index}"] = key.article_id if key.terms else 0
        params[f"language_{index}"] = key.language
        params[f"terms_{index}"] = (
            " OR ".join(f'"{term}"' for term in key.terms) if sqlite else " or ".join(key.terms)
        ) or "none"
    return params


@lru_cache(maxsize=128)
def _ranked(count: int, sqlite: bool, articles: ArticleColumns) -> Query:
    """(article, source id) rows: each of `count` sources' best `first` candidates, best
    first. Built once per count and engine (building it cost more than running it), and
    run with _ranked_params()."""
    source_tag, candidate_tag = _taggings.alias("source_tag"), _taggings.alias("candidate_tag")
    total = select(func.max(_articles.c.id)).scalar_subquery()  # about how many there are
    usage = cast(_tags.c.usage_count, Float)
    rarity = func.ln(1.0 + total / usage)
    reach = case(
        (_tags.c.usage_count <= TAG_SPREAD, WINDOW_DAYS), else_=WINDOW_DAYS * TAG_SPREAD / usage
    )
    sharing = (
        select(
            source_tag.c.article_id.label("source_id"),
            candidate_tag.c.article_id.label("candidate_id"),
            func.sum(rarity).label("tags"),
        )
        .select_from(source_tag)
        .join(_tags, _tags.c.id == source_tag.c.tag_id)
        .join(
            candidate_tag,
            and_(
                candidate_tag.c.tag_id == source_tag.c.tag_id,
                candidate_tag.c.published_at >= plus_days(source_tag.c.published_at, -reach),
                candidate_tag.c.published_at <= plus_days(source_tag.c.published_at, reach),
                candidate_tag.c.article_id != source_tag.c.article_id,
            ),
        )
        .where(AnyOf(source_tag.c.article_id, [0], name="source_ids"))
        .group_by(source_tag.c.article_id, candidate_tag.c.article_id)
        .subquery()
    )

    candidate, source = _articles.alias("candidate"), _articles.alias("source")
    apart = func.abs(days_between(candidate.c.published_at, source.c.published_at))
    score = (
        sharing.c.tags
        + NEARNESS_WEIGHT * func.exp(-apart / NEARNESS_DAYS)
        + case((candidate.c.category_id == source.c.category_id, CATEGORY_WEIGHT), else_=0.0)
        + case((candidate.c.language == source.c.language, LANGUAGE_WEIGHT), else_=0.0)
    )
    newest_first = [candidate.c.published_at.desc(), candidate.c.id.desc()]
    scored = (
        select(
            sharing.c.source_id,
            candidate.c.id,
            candidate.c.published_at,
            score.label("score"),
            _rank(sharing.c.source_id, score.desc(), *newest_first),
        )
        .select_from(sharing)
        .join(candidate, candidate.c.id == sharing.c.candidate_id)
        .join(source, source.c.id == sharing.c.source_id)
        .where(candidate.c.status == ArticleStatus.PUBLISHED)
        .subquery()
    )
    # Only the shortlist has its text compared: that reads each candidate's whole vector.
    shortlist = (
        select(
            scored.c.source_id,
            scored.c.id,
            scored.c.published_at,
            scored.c.score,
            _text_similarity(count, scored.c.source_id, scored.c.id, sqlite).label("text"),
        )
        .where(scored.c.rank <= SHORTLIST)
        .subquery()
    )
    best_text = func.max(shortlist.c.text).over(partition_by=shortlist.c.source_id)
    relative_text = func.coalesce(shortlist.c.text / func.nullif(best_text, 0.0), 0.0)
    final = (
        select(
            shortlist.c.source_id,
            shortlist.c.id,
            shortlist.c.published_at,
            (shortlist.c.score + TEXT_WEIGHT * relative_text).label("score"),
        )
    ).subquery()
    ranked = select(
        final.c.source_id,
        final.c.id,
        _rank(
            final.c.source_id, final.c.score.desc(), final.c.published_at.desc(), final.c.id.desc()
        ),
    ).subquery()
    return Query(
        article_select(articles, ranked.c.source_id)
        .join(ranked, ranked.c.id == ARTICLES.c.id)
        .where(ranked.c.rank <= bindparam("first"))
        .order_by(ranked.c.source_id, ranked.c.rank),
        plan_per_values=True,
    )


def _rank(source_id: Any, *order_by: Any) -> Any:
    return func.row_number().over(partition_by=source_id, order_by=order_by).label("rank")


def _text_similarity(count: int, source_id: Any, candidate_id: Any, sqlite: bool) -> Any:
    """How well a candidate matches the words of its source (among `count`), >= 0."""
    sources: list[Any] = [bindparam(f"source_{index}") for index in range(count)]
    terms: list[Any] = [bindparam(f"terms_{index}") for index in range(count)]
    if sqlite:
        query = case(*((source_id == s, t) for s, t in zip(sources, terms, strict=True)))
        bm25 = (
            select(-func.bm25(FTS, 1.0, 0.5, 0.0))
            .select_from(FTS_TABLE)
            .where(FTS.op("MATCH")(query), FTS_TABLE.c.rowid == candidate_id)
            .scalar_subquery()
        )
        return func.coalesce(bm25, 0.0)
    languages: list[Any] = [bindparam(f"language_{index}") for index in range(count)]
    query = case(
        *(
            (source_id == s, func.websearch_to_tsquery(text_config(language), t))
            for s, language, t in zip(sources, languages, terms, strict=True)
        )
    )
    # Title and summary only: weights for D (body), C, B (summary), A (title).
    weights: Any = literal_column("'{0, 0, 0.4, 1}'::float4[]")
    rank = (
        select(cast(func.ts_rank(weights, SEARCH_TABLE.c.search_vector, query), Float))
        .where(SEARCH_TABLE.c.article_id == candidate_id)
        .scalar_subquery()
    )
    return func.coalesce(rank, 0.0)


@lru_cache(maxsize=128)
def _newest(categories: int, articles: ArticleColumns) -> Query:
    """Rows of the newest `limit` published articles of each of `category_0`, ... and
    overall, each with `category_key`: its category's parameter, or ANY_CATEGORY."""
    keys: list[Any] = [bindparam(f"category_{n}", type_=Integer) for n in range(categories)]
    newest_first = [_articles.c.published_at.desc(), _articles.c.id.desc()]
    pages = []
    for key in [*keys, None]:
        page = select(
            _articles.c.id,
            (key if key is not None else literal(ANY_CATEGORY)).label("category_key"),
        )
        page = page.where(_articles.c.status == ArticleStatus.PUBLISHED)
        if key is not None:
            page = page.where(_articles.c.category_id == key)
        pages.append(select(page.order_by(*newest_first).limit(bindparam("limit")).subquery()))
    newest = union_all(*pages).subquery()
    return Query(
        article_select(articles, newest.c.category_key)
        .join(newest, newest.c.id == ARTICLES.c.id)
        .order_by(newest.c.category_key, *newest_first)
    )
