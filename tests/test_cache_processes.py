"""The response cache shared through Redis by two server processes: a read sent after an
edit returned never finds the old content, whichever process it reaches, while other
readers keep both processes busy filling the cache with what they read before the edit."""

import asyncio

import httpx2 as httpx
import pytest

from resolvers.types.node import encode_id
from scripts.private_postgres import free_port
from scripts.serving import server
from tests.conftest import TEST_REDIS_URL
from tests.factories import make_article, pk
from tests.test_auth import SECRET, token
from tests.test_cache import PAGE, UPDATE

EDITS = 12


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_no_read_after_an_edit_sees_the_old_content(database_url, session, redis_prefix):
    storm = await make_article(session, slug="storm", title="Edition 0")
    settings = {
        "NEWSGATE_ENV": "production",
        "NEWSGATE_RESPONSE_CACHE": "redis",
        "REDIS_URL": TEST_REDIS_URL,
        "NEWSGATE_REDIS_PREFIX": redis_prefix,
        "NEWSGATE_JWT_SECRET": SECRET,
    }
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/graphql" for port in ports]
    read = {"query": PAGE, "variables": {"slug": "storm"}}
    with server(database_url, ports[0], **settings), server(database_url, ports[1], **settings):
        async with httpx.AsyncClient(timeout=10) as http:

            async def title(url: str) -> str:
                answer = (await http.post(url, json=read)).json()
                return str(answer["data"]["article"]["title"])

            editing = True

            async def keep_reading(url: str) -> int:
                reads = 0
                while editing:
                    await title(url)
                    reads += 1
                return reads

            readers = [asyncio.create_task(keep_reading(url)) for url in urls * 2]
            try:
                for edition in range(1, EDITS + 1):
                    edit = {
                        "query": UPDATE,
                        "variables": {
                            "id": encode_id("Article", pk(storm)),
                            "v": edition,
                            "title": f"Edition {edition}",
                        },
                    }
                    headers = {"Authorization": f"Bearer {token()}"}
                    edited = await http.post(urls[edition % 2], json=edit, headers=headers)
                    assert edited.json() == {
                        "data": {"updateArticle": {"title": f"Edition {edition}"}}
                    }
                    for url in urls:
                        assert await title(url) == f"Edition {edition}"
                    await asyncio.sleep(0.05)  # the readers fill the cache again
            finally:
                editing = False
                reads = await asyncio.gather(*readers)
    assert min(reads) > EDITS  # they did read throughout
