"""Full-text search of published articles: PostgreSQL text search, or SQLite FTS5.

The database keeps both indexes in step with `article` (see the full_text_search
migration). Queries use web-search syntax on either engine: words (all must match),
"quoted phrases", `or` between alternatives, and `-word` to exclude.

Relevance ranks the newest CANDIDATES matches: a word found in half a million
articles must not cost a ranking of all of them, and in news the newest matches are
the ones worth ranking.
"""

import html
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Float, cast, column, func, literal, literal_column, table, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlmodel import col, select

from app import listing
from app.db import SessionMaker
from app.errors import BadUserInput, check_text
from app.listing import (
    ArticleFilter,
    ArticleOrder,
    Cursor,
    after_cursor,
    is_bounded_int,
    ordering,
    pack_cursor,
    published_matching,
    unpack_cursor,
)
from models import Article

CANDIDATES = 1000
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32

# PostgreSQL's text configuration by language, as in the full_text_search migration.
TEXT_CONFIGS = {"en": "english", "id": "indonesian"}
ANY_LANGUAGE_CONFIGS = [*TEXT_CONFIGS.values(), "simple"]
ARTICLE_CONFIG = literal_column(
    "CASE split_part(lower(article.language), '-', 1) "
    + " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in TEXT_CONFIGS.items())
    + " ELSE 'simple'::regconfig END",
    REGCONFIG,
)
SEARCH_VECTOR: Any = literal_column("article.search_vector")
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


def text_config(language: str) -> str:
    """PostgreSQL's text configuration for articles in `language`."""
    return TEXT_CONFIGS.get(language.split("-")[0].lower(), "simple")


@dataclass(frozen=True)
class Hit:
    article: Article
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


def encode_cursor(order: SearchOrder, article: Article, score: float) -> str:
    if order is SearchOrder.NEWEST:
        return listing.encode_cursor(ArticleOrder.PUBLISHED_AT_DESC, article)
    return pack_cursor(order.value, score, article.id or 0)


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


class _Engine:
    """What differs between the engines: matching, scoring, snippets."""

    def __init__(self, dialect: str, query: str, language: str | None) -> None:
        self.sqlite = dialect == "sqlite"
        self.fts5 = fts5_query(query)
        if not self.sqlite:
            names = [text_config(language)] if language else ANY_LANGUAGE_CONFIGS
            parsed = [func.websearch_to_tsquery(cast(literal(n), REGCONFIG), query) for n in names]
            self.tsquery: Any = parsed[0]
            for other in parsed[1:]:
                self.tsquery = self.tsquery.op("||")(other)

    def matches(self, *columns: Any) -> Any:
        if self.sqlite:
            return (
                sa_select(*columns, (-func.bm25(FTS, 10.0, 4.0, 1.0)).label("score"))
                .select_from(Article)
                .join(FTS_TABLE, FTS_TABLE.c.rowid == Article.id)
                .where(FTS.op("MATCH")(self.fts5))
            )
        score = cast(func.ts_rank(SEARCH_VECTOR, self.tsquery), Float).label("score")
        return sa_select(*columns, score).where(SEARCH_VECTOR.bool_op("@@")(self.tsquery))

    def snippet(self) -> Any:
        if self.sqlite:
            return (
                select(func.snippet(FTS, -1, START, STOP, "…", 24))
                .select_from(FTS_TABLE)
                .where(FTS.op("MATCH")(self.fts5), FTS_TABLE.c.rowid == Article.id)
                .scalar_subquery()
            )
        text = col(Article.summary) + "\n\n" + col(Article.body)
        return func.ts_headline(ARTICLE_CONFIG, text, self.tsquery, HEADLINE_OPTIONS)


async def search_articles(
    sessionmaker: SessionMaker,
    query: str,
    *,
    first: int,
    after: str | None,
    filter: ArticleFilter,
    order: SearchOrder,
) -> list[Hit]:
    """Up to `first + 1` hits (the extra one tells whether a next page exists)."""
    async with sessionmaker() as session:
        engine = _Engine(session.get_bind().dialect.name, query, filter.language)
        position = decode_cursor(after, order) if after is not None else None
        matches = engine.matches(col(Article.id), col(Article.published_at)).where(
            *published_matching(filter)
        )
        newest_first = ordering(ArticleOrder.PUBLISHED_AT_DESC)
        if order is SearchOrder.NEWEST:
            if isinstance(position, Cursor):
                matches = matches.where(after_cursor(position))
            page = matches.order_by(*newest_first).limit(first + 1).subquery()
            page_order = [page.c.published_at.desc(), page.c.id.desc()]
        else:
            candidates = matches.order_by(*newest_first).limit(CANDIDATES).subquery()
            page_query = select(candidates)
            if isinstance(position, tuple):
                page_query = page_query.where(
                    tuple_(candidates.c.score, candidates.c.id) < tuple_(*position)
                )
            page_order = [candidates.c.score.desc(), candidates.c.id.desc()]
            page = page_query.order_by(*page_order).limit(first + 1).subquery()
            page_order = [page.c.score.desc(), page.c.id.desc()]
        stmt = (
            select(Article, page.c.score, engine.snippet())
            .join(page, page.c.id == Article.id)
            .order_by(*page_order)
        )
        rows = (await session.exec(stmt)).all()
    return [
        Hit(article, score, highlighted(snippet), encode_cursor(order, article, score))
        for article, score, snippet in rows
    ]
