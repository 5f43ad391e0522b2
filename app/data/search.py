"""Full-text search of published articles: PostgreSQL text search, or SQLite FTS5.

The database keeps both indexes in step with `article` (see the full_text_search
migration). Queries use web-search syntax on either engine: words (all must match),
"quoted phrases", `or` between alternatives, and `-word` to exclude.

Relevance ranks the newest CANDIDATES matches: a word found in half a million
articles must not cost a ranking of all of them, and in news the newest matches are
the ones worth ranking.

On PostgreSQL the newest articles' vectors are also kept apart, in article_search_recent
(see the recent_search migration), so that the first period's matches come from an index
of a bounded size.
"""

import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    Text,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    table,
    tuple_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlmodel import col, select

from app.data import listing
from app.data.entities import ARTICLES, CATEGORIES, WHOLE_ARTICLES, ArticleColumns, article_select
from app.data.listing import (
    ArticleFilter,
    ArticleOrder,
    Cursor,
    filter_values,
    is_bounded_int,
    pack_cursor,
    published_matching,
    slug_id,
    unpack_cursor,
)
from app.data.sql import Query, Reads, Row, looked_up
from app.errors import BadUserInput, check_text
from app.visibility import now_parameter
from models import Article

CANDIDATES = 300
# The periods searched newest first, by how many of the newest articles each reaches
# back to; then all before. Counted in articles, not days: how many articles a day holds
# grows with the site, and the work of a period with its articles.
PERIOD_ARTICLES = (25_000,)
PERIOD_STARTS_SECONDS = 60.0  # how long a process goes by the periods' starts it read
# Where a period starts that no article reaches: (published_at, id) before any article's.
EARLIEST = (datetime(1, 1, 1, tzinfo=UTC), 0)


MAX_QUERY_LENGTH = 500
MAX_TERMS = 32

# Every configuration article_text_config() gives an article (the full_text_search
# migration): a query of unknown language is read in each of them.
ANY_LANGUAGE_CONFIGS = ["english", "indonesian", "simple"]

# PostgreSQL's vectors of the published articles, with their dates; and of the newest
# ones, those at or after the cutoff (published_at, article_id).
MOMENT = DateTime(timezone=True)


def _search_table(name: str) -> Any:
    return table(
        name,
        column("article_id", Integer),
        column("published_at", MOMENT),
        column("category_id", Integer),
        column("search_vector"),
    )


SEARCH_TABLE = _search_table("article_search")
RECENT_TABLE = _search_table("article_search_recent")
RECENT_CUTOFF = table(
    "article_search_recent_cutoff", column("published_at", MOMENT), column("article_id", Integer)
)

FTS_TABLE = table("article_fts", column("rowid"))
FTS: Any = literal_column("article_fts")  # FTS5 functions and MATCH take the table's name

# Highlight markers the engines put around matches: private-use characters that no
# article holds, replaced by <mark> once the text around them is HTML-escaped.
START, STOP = "\ue000", "\ue001"
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=15, MaxFragments=1"

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+")


class SearchOrder(Enum):
    RELEVANCE = "RELEVANCE"
    NEWEST = "NEWEST"


def text_config(language: Any) -> Any:
    """PostgreSQL's text configuration for articles in `language` (a value or a column)."""
    return func.article_text_config(language, type_=REGCONFIG)


def unindexed(expression: Any) -> Any:
    """The same value in a form no index covers, to rule a plan out (see _newest_matches)."""
    return func.coalesce(expression, expression)


@dataclass(frozen=True)
class Hit:
    article: Row
    score: float
    snippet: str
    cursor: str


def fts5_query(query: str) -> str:
    """The FTS5 form of a web-search query, every word quoted so none is an operator.

    As in PostgreSQL's websearch_to_tsquery, `or` binds tighter than the implied AND:
    `a b or c` means a AND (b OR c). BAD_USER_INPUT when there is nothing to look for.
    """
    check_text(query, "query", MAX_QUERY_LENGTH)
    groups: list[list[str]] = []  # ANDed together; each holds ORed alternatives
    excluded: list[str] = []
    join_next = False
    for match in TOKEN.finditer(query):
        negated, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            join_next = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = WORD.findall(phrase if phrase is not None else bare)
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if negated:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if not groups:
        raise BadUserInput("query", "give at least one word to look for")
    if sum(map(len, groups)) + len(excluded) > MAX_TERMS:
        raise BadUserInput("query", f"at most {MAX_TERMS} words or phrases")
    required = " AND ".join(f"({' OR '.join(group)})" for group in groups)
    return " NOT ".join([f"({required})", *excluded])


def highlighted(snippet: str | None) -> str:
    """A snippet as HTML: the article's text escaped, the matches in <mark>."""
    escaped = html.escape(snippet or "", quote=False)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def encode_cursor(order: SearchOrder, article: Row, score: float) -> str:
    if order is SearchOrder.NEWEST:
        return listing.encode_cursor(ArticleOrder.PUBLISHED_AT_DESC, article)
    return pack_cursor(order.value, score, article.pk)


def decode_cursor(cursor: str, order: SearchOrder) -> tuple[float, int] | Cursor:
    """A relevance cursor as (score, id); a newest-first one is a listing's cursor."""
    if order is SearchOrder.NEWEST:
        return listing.decode_cursor(cursor, ArticleOrder.PUBLISHED_AT_DESC)
    parts = unpack_cursor(cursor)
    if len(parts) != 3 or parts[0] != order.value:
        raise BadUserInput("after", f"not a cursor of a search ordered by {order.value}")
    _, score, article_id = parts
    if type(score) not in (int, float) or not is_bounded_int(article_id, 2**31):
        raise BadUserInput("after", "not a cursor returned by this API")
    return float(score), article_id


@lru_cache(maxsize=8)
def _tsquery_query(language: bool) -> Query:
    """The query parsed in the filter's language, or (`language` False) in each of ours."""
    configs = (
        [text_config(bindparam("language"))]
        if language
        else [cast(literal(name), REGCONFIG) for name in ANY_LANGUAGE_CONFIGS]
    )
    parse = [
        cast(func.websearch_to_tsquery(config, bindparam("query")), Text).label(f"in_{n}")
        for n, config in enumerate(configs)
    ]
    return Query(sa_select(*parse))


async def _tsquery(reads: Reads, query: str, language: str | None) -> str | None:
    """The query as PostgreSQL text search reads it in each language it may be in, ORed;
    None when it holds only stop words.

    Parsed ahead of the search, so that the planner sees the words (how common they are
    decides the plan) and never an empty alternative, which would make it scan the
    whole text index.
    """
    (parsed,) = await reads.rows(
        _tsquery_query(language is not None), query=query, language=language
    )
    return any_language(parsed)


def any_language(parsed: Iterable[str | None]) -> str | None:
    """The query's parse in each language, ORed; None when each is empty (stop words)."""
    return " | ".join(sorted({f"({part})" for part in parsed if part})) or None


class _Engine:
    """What differs between the engines: matching, scoring, snippets. The query comes
    as the parameter `fts5` or `tsquery`. On PostgreSQL, matches come from `searched`:
    article_search, or article_search_recent."""

    def __init__(self, sqlite: bool, searched: Any = SEARCH_TABLE) -> None:
        self.sqlite = sqlite
        self.searched = searched
        self.fts5 = bindparam("fts5", type_=Text)
        self.tsquery = cast(bindparam("tsquery", type_=Text), TSQUERY)
        # What periods and pages go by: on PostgreSQL, the search table's own copy, so a
        # period's matches come from its indexes before any article is read.
        self.id: Any = col(Article.id) if self.sqlite else searched.c.article_id
        self.published_at: Any = (
            col(Article.published_at) if self.sqlite else searched.c.published_at
        )
        self.category_id: Any = col(Article.category_id) if self.sqlite else searched.c.category_id

    def conditions(self, filter: ArticleFilter) -> list[Any]:
        """The filter's conditions; its category on this engine's own copy (see `id`).

        On PostgreSQL, article_search holds the articles on the site and their dates, so
        an unfiltered search reads no article. The rest of a filter is a check of each
        match's article by its key (looked_up)."""
        category = slug_id(CATEGORIES, bindparam("category_slug"))
        by_category = [] if filter.category_slug is None else [self.category_id == category]
        rest = replace(filter, category_slug=None)
        if self.sqlite:
            return [*published_matching(rest), *by_category]
        on_site = [self.published_at <= now_parameter(), *by_category]
        if rest == ArticleFilter():
            return on_site
        article = sa_select(ARTICLES.c.id).where(
            ARTICLES.c.id == self.id, *published_matching(rest)
        )
        return [*on_site, exists(looked_up(article))]

    def matches(self) -> Any:
        """The matching articles' id and published_at (and, from FTS5, their score: it is
        only had while matching)."""
        columns = [self.id.label("id"), self.published_at.label("published_at")]
        if self.sqlite:
            return (
                sa_select(*columns, (-func.bm25(FTS, 10.0, 4.0, 1.0)).label("score"))
                .select_from(Article)
                .join(FTS_TABLE, FTS_TABLE.c.rowid == Article.id)
                .where(FTS.op("MATCH")(self.fts5))
            )
        return sa_select(*columns).where(self.searched.c.search_vector.bool_op("@@")(self.tsquery))

    def scored(self, matches: Any) -> Any:
        """(id, published_at, score) of `matches`. PostgreSQL ranks them only now: the
        rank reads each article's whole vector, worth doing for the chosen few only,
        each looked up by its key (joined, PostgreSQL may plan to read every vector)."""
        if self.sqlite:
            return sa_select(matches)
        score = (
            sa_select(cast(func.ts_rank(SEARCH_TABLE.c.search_vector, self.tsquery), Float))
            .where(SEARCH_TABLE.c.article_id == matches.c.id)
            .scalar_subquery()
        )
        return sa_select(matches.c.id, matches.c.published_at, score.label("score"))

    def snippet(self) -> Any:
        if self.sqlite:
            return (
                select(func.snippet(FTS, -1, START, STOP, "…", 24))
                .select_from(FTS_TABLE)
                .where(FTS.op("MATCH")(self.fts5), FTS_TABLE.c.rowid == Article.id)
                .scalar_subquery()
            )
        text = col(Article.summary) + "\n\n" + col(Article.body)
        return func.ts_headline(text_config(Article.language), text, self.tsquery, HEADLINE_OPTIONS)


def _newest_matches(
    engine: _Engine, filter: ArticleFilter, limit: Any, after: bool, recent: bool
) -> Any:
    """The newest `limit` matches (after the cursor `after_published_at`, `after_id` if
    `after`), newest first: (id, published_at, score). Period n starts at the article
    (`start_at_n`, `start_id_n`) (see _read_periods); the first period's matches come
    from article_search_recent if `recent`.

    Searched a period at a time, the newest articles first, in one statement: the outer
    LIMIT stops reading periods once it has enough. A period's matches are the text
    index's matches of the words combined with the date index's articles of the period,
    so only those are read: a word in half of all articles costs a period's matches,
    not half a million. The text index reads all of a word's entries: article_search's
    for a common word cost more the more articles there are; article_search_recent's,
    which the first period reads, do not.

    The plan of each period is fixed, because the planner misjudges how many articles a
    combination of words matches by orders of magnitude either way: sorting by an
    expression no index holds keeps it from walking the date index through a whole
    period for a rare word.
    """
    periods = []
    newer: Any = None
    starts = [
        tuple_(bindparam(f"start_at_{n}", type_=MOMENT), bindparam(f"start_id_{n}"))
        for n in range(len(PERIOD_ARTICLES))
    ]
    for n, older in enumerate([*starts, None]):
        searched = _Engine(engine.sqlite, RECENT_TABLE) if recent and n == 0 else engine
        position = tuple_(searched.published_at, searched.id)
        period = searched.matches().where(*searched.conditions(filter))
        if newer is not None:
            period = period.where(position < newer)
        if older is not None:
            period = period.where(position >= older)
        if after:
            cursor = tuple_(bindparam("after_published_at", type_=MOMENT), bindparam("after_id"))
            period = period.where(position < cursor)
        newest_first = [unindexed(searched.published_at).desc(), searched.id.desc()]
        periods.append(sa_select(period.order_by(*newest_first).limit(limit).subquery()))
        newer = older
    enough = sa_select(union_all(*periods).subquery()).limit(limit).subquery()
    # Sorted again: the periods come newest first, but SQL does not promise it.
    return engine.scored(enough).order_by(enough.c.published_at.desc(), enough.c.id.desc())


@lru_cache(maxsize=256)
def _statement(
    sqlite: bool,
    filter: ArticleFilter,
    order: SearchOrder,
    after: bool,
    articles: ArticleColumns,
    snippets: bool,
    recent: bool,
) -> Query:
    """The search, built once for each engine, shape of filter, order, whether it pages
    on and whether its first period reads article_search_recent: building it costs more
    than PostgreSQL takes to run it. Run with _parameters() and the filter's values."""
    engine = _Engine(sqlite)
    page_size = bindparam("page_size", type_=Integer)
    if order is SearchOrder.NEWEST:
        page = _newest_matches(engine, filter, page_size, after, recent).subquery()
        page_order = [page.c.published_at.desc(), page.c.id.desc()]
    else:
        candidates = _newest_matches(engine, filter, CANDIDATES, False, recent).subquery()
        best = sa_select(candidates)
        if after:
            cursor = tuple_(bindparam("after_score", type_=Float), bindparam("after_id"))
            best = best.where(tuple_(candidates.c.score, candidates.c.id) < cursor)
        best = best.order_by(candidates.c.score.desc(), candidates.c.id.desc())
        page = best.limit(page_size).subquery()
        page_order = [page.c.score.desc(), page.c.id.desc()]
    return Query(
        article_select(
            articles,
            page.c.score.label("score"),
            # Highlighting reads each hit's whole text: only when asked for.
            (engine.snippet() if snippets else literal("")).label("snippet"),
        )
        .join(page, page.c.id == ARTICLES.c.id)
        .order_by(*page_order)
    )


Start = tuple[datetime, int]  # an article's (published_at, id), where a period starts


@dataclass(frozen=True)
class Periods:
    starts: list[Start]
    recent: bool  # whether article_search_recent holds all of the first period


@lru_cache(maxsize=2)
def _period_starts_query(sqlite: bool) -> Query:
    """The position (published_at, id) of the PERIOD_ARTICLES[n]-th newest published
    article, for each n that many articles reach: a walk of the date index. On
    PostgreSQL, also article_search_recent's cutoff (as period -1)."""
    engine = _Engine(sqlite)
    newest = [engine.published_at.desc(), engine.id.desc()]
    starts = [
        sa_select(literal(n).label("period"), engine.published_at, engine.id.label("id"))
        .where(engine.published_at <= bindparam("now", type_=MOMENT))
        .order_by(*newest)
        .offset(articles - 1)
        .limit(1)
        .subquery()
        for n, articles in enumerate(PERIOD_ARTICLES)
    ]
    if not sqlite:
        cutoff = RECENT_CUTOFF.c
        starts.append(sa_select(literal(-1), cutoff.published_at, cutoff.article_id).subquery())
    return Query(union_all(*(sa_select(start) for start in starts)), plan_once=True)


# Each database's periods, and until when they hold (time.monotonic()).
_periods: "WeakKeyDictionary[Reads, tuple[float, Periods]]" = WeakKeyDictionary()


async def _read_periods(reads: Reads, now: datetime) -> Periods:
    """Where the periods start, read again at most every PERIOD_STARTS_SECONDS: the
    walk reads tens of thousands of index entries. Starts a minute old only make a
    period hold a few more or fewer articles; the periods still split all articles
    between them, with no gap and no overlap, whatever their starts.

    A minute-old cutoff of article_search_recent is as good, unless more articles came
    out since it was read than the table keeps beyond the first period (25,000): only
    then can the table have let go of some of the first period's articles."""
    known = _periods.get(reads)
    if known is None or known[0] <= time.monotonic():
        rows = await reads.rows(_period_starts_query(reads.dialect == "sqlite"), now=now)
        known = _periods[reads] = (time.monotonic() + PERIOD_STARTS_SECONDS, periods_of(rows))
    return known[1]


def periods_of(rows: Iterable[Any]) -> Periods:
    """The periods from the rows of _period_starts_query."""
    found = {row["period"]: (row["published_at"], row["id"]) for row in rows}
    starts = [found.get(n, EARLIEST) for n in range(len(PERIOD_ARTICLES))]
    cutoff = found.get(-1)
    return Periods(starts, cutoff is not None and cutoff <= starts[0])


def _parameters(
    fts5: str,
    tsquery: str | None,
    first: int,
    now: datetime,
    starts: list[Start],
    position: Any,
) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "fts5": fts5,
        "tsquery": tsquery,
        "page_size": first + 1,
        "now": now,
    }
    for n, (start_at, start_id) in enumerate(starts):
        parameters[f"start_at_{n}"], parameters[f"start_id_{n}"] = start_at, start_id
    if isinstance(position, Cursor):
        parameters.update(after_published_at=position.value, after_id=position.id)
    elif position is not None:
        parameters.update(after_score=position[0], after_id=position[1])
    return parameters


async def search_articles(
    reads: Reads,
    query: str,
    *,
    first: int,
    after: str | None,
    filter: ArticleFilter,
    order: SearchOrder,
    now: datetime,
    articles: ArticleColumns = WHOLE_ARTICLES,
    snippets: bool = True,
) -> list[Hit]:
    """Up to `first + 1` hits (the extra one tells whether a next page exists)."""
    position = decode_cursor(after, order) if after is not None else None
    fts5 = fts5_query(query)  # refuses what has nothing to search for, on either engine
    sqlite = reads.dialect == "sqlite"
    tsquery = None if sqlite else await _tsquery(reads, query, filter.language)
    if not sqlite and tsquery is None:
        return []
    periods = await _read_periods(reads, now)
    statement = _statement(
        sqlite, filter.shape(), order, position is not None, articles, snippets, periods.recent
    )
    parameters = _parameters(fts5, tsquery, first, now, periods.starts, position)
    rows = await reads.rows(statement, **parameters, **filter_values(filter))
    return [
        Hit(row, row.score, highlighted(row.snippet), encode_cursor(order, row, row.score))
        for row in rows
    ]
