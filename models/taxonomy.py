from sqlmodel import Field, SQLModel


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    # Articles carrying the tag, drafts included, kept by a database trigger: how rare
    # the tag is, which related news weighs it by. Not `Tag.articleCount` (published only).
    usage_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
