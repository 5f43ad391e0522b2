from sqlmodel import Field, SQLModel


class ArticleTally(SQLModel, table=True):
    """How many published articles (scheduled ones included) the site, each author, each
    category and each tag has, kept by database triggers for every writer (the migration
    article_tallies): a listing's `totalCount` reads one row and subtracts the few
    scheduled articles, instead of counting a million (app/data/listing.py)."""

    __tablename__ = "article_tally"

    scope: str = Field(primary_key=True, max_length=16)  # site, author, category or tag
    scope_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # 0: site
    published: int
