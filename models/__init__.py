"""The SQLModel tables. Importing this package registers every table on the metadata."""

from models.api_key import ApiKey
from models.article import Article, ArticleStatus, ArticleTag, reading_time_minutes
from models.author import Author
from models.idempotency import IdempotencyKey
from models.popularity import ArticlePopularity, PopularityClock, PopularityDirty
from models.related import (
    RelatedArticle,
    RelatedDocument,
    RelatedPosting,
    RelatedQueue,
    RelatedTerm,
)
from models.tally import ArticleTally
from models.taxonomy import Category, Tag
from models.views import ArticleViewBucket, ArticleViewVisitor, bucket_start

__all__ = [
    "ApiKey",
    "Article",
    "ArticlePopularity",
    "ArticleStatus",
    "ArticleTag",
    "ArticleTally",
    "ArticleViewBucket",
    "ArticleViewVisitor",
    "Author",
    "Category",
    "IdempotencyKey",
    "PopularityClock",
    "PopularityDirty",
    "RelatedArticle",
    "RelatedDocument",
    "RelatedPosting",
    "RelatedQueue",
    "RelatedTerm",
    "Tag",
    "bucket_start",
    "reading_time_minutes",
]
