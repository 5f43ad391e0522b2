"""What related news keeps: each published article's analysed text, the document frequency
of every term, a posting list of each article's key terms, the stored lists, and the queue
of articles whose lists must be computed again. app/related/ keeps them all; none has a
foreign key, because the worker must still read what a deleted article left behind (its
terms, to take them out of the document frequencies; the lists it was in)."""

from datetime import datetime

from sqlalchemy import Column, Float, Index
from sqlmodel import Field, SQLModel

from models.base import utcnow

MAX_TERM = 64  # longer words are left out of the analysis


class RelatedDocument(SQLModel, table=True):
    __tablename__ = "related_document"
    # The articles analysed when the collection was much smaller than it is now, whose
    # term weights have drifted: the worker analyses them again (app/related/maintain.py).
    __table_args__ = (Index("ix_related_document_corpus", "corpus"),)

    article_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    published_at: datetime
    language: str = Field(max_length=35)
    category_id: int
    corpus: int  # how many articles were analysed when this one was
    terms: str  # its distinct terms, space-separated: what it added to document frequencies
    vector: str  # its unit TF-IDF vector: "term weight term weight ..."


class RelatedTerm(SQLModel, table=True):
    """How many analysed articles hold each term; the empty term counts the articles."""

    __tablename__ = "related_term"

    term: str = Field(primary_key=True, max_length=MAX_TERM)
    documents: int


class RelatedPosting(SQLModel, table=True):
    """The articles holding each key term, by date: how candidates near a date are found."""

    __tablename__ = "related_posting"
    __table_args__ = (Index("ix_related_posting_article", "article_id"),)

    term: str = Field(primary_key=True, max_length=MAX_TERM)
    published_at: datetime = Field(primary_key=True)
    article_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class RelatedArticle(SQLModel, table=True):
    """An article's stored related list: up to LIST_SIZE rows, the best scores first."""

    __tablename__ = "related_article"
    # The lists an article is in, to take it out of them.
    __table_args__ = (Index("ix_related_article_related", "related_id"),)

    article_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    related_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    score: float = Field(sa_column=Column(Float, nullable=False))


class RelatedQueue(SQLModel, table=True):
    """Articles whose related lists must be computed again, queued in the transaction
    that changed them."""

    __tablename__ = "related_queue"
    __table_args__ = (Index("ix_related_queue_queued", "queued_at"),)

    article_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    queued_at: datetime = Field(default_factory=utcnow)
