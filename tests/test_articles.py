from tests.factories import make_article


async def test_article_by_slug_returns_published_article(gql, session):
    article = await make_article(session, slug="hello-world", title="Hello World")
    result = await gql('{ article(slug: "hello-world") { title slug author { slug } } }')
    assert result.errors is None
    assert result.data == {
        "article": {
            "title": "Hello World",
            "slug": "hello-world",
            "author": {"slug": result.data["article"]["author"]["slug"]},
        }
    }
    assert article.id
