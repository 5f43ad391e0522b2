"""GraphiQL in a real headless browser, with the network to anything but Newsgate blocked.

Chromium is Debian's (`make browser` installs it); Playwright drives it. With CI=true a
missing browser fails the test; elsewhere it skips, saying how to install one.
"""

import os
import shutil
from pathlib import Path

import pytest

import models
from scripts.private_postgres import free_port
from scripts.serving import server
from tests.factories import make_api_key, make_article

CHROMIUM = os.environ.get("NEWSGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
# What Chromium needs on a closed network: no background calls to Google's services.
CHROMIUM_FLAGS = [
    "--no-sandbox",  # tests may run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
DRAFT_QUERY = 'query Draft { article(slug: "embargoed-budget") { title status } }'


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI requires it", pytrace=False)
    pytest.skip(f"{reason}; `make browser` installs Debian's chromium")


@pytest.fixture
async def browser():
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("Playwright is not installed")
    if not HAVE_CHROMIUM:
        _unavailable(f"no Chromium at {CHROMIUM}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_graphiql_runs_a_query_offline_under_its_csp(browser, database_url, session):
    from playwright.async_api import expect

    await make_article(session, title="Harbour bridge reopens after repairs")
    await make_article(
        session, slug="embargoed-budget", title="Budget leak", status=models.ArticleStatus.DRAFT
    )
    key = await make_api_key(session, scopes="content:write")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    blocked: list[str] = []
    problems: list[str] = []

    async def only_newsgate(route):
        if route.request.url.startswith(origin + "/"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_newsgate)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    # Every Content-Security-Policy violation, as the page itself sees it.
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation', e.violatedDirective, e.blockedURI))"
    )
    with server(database_url, port):
        response = await page.goto(f"{origin}/graphql")
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # The first tab opens with the example; running it shows real articles.
        await page.click(".graphiql-execute-button")
        result = page.locator(".graphiql-response")
        await expect(result).to_contain_text("Harbour bridge reopens after repairs")
        await expect(result).to_contain_text('"totalCount": 1')
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=ARTIFACTS / "graphiql.png")

        # An API key in the Headers tab reaches the server: its holder sees the draft.
        await page.click(".graphiql-editor-tools button[data-name='headers']")
        await page.click(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
        await page.keyboard.insert_text(f'{{"X-API-Key": "{key}"}}')
        await page.click(".graphiql-query-editor .CodeMirror")
        await page.keyboard.press("Control+A")
        await page.keyboard.insert_text(DRAFT_QUERY)
        # The tab takes the operation's name once GraphiQL has parsed the new text.
        await expect(page.locator(".graphiql-tab-active")).to_contain_text("Draft")
        await page.click(".graphiql-execute-button")
        await expect(result).to_contain_text('"title": "Budget leak"')
        await expect(result).to_contain_text('"status": "DRAFT"')

        # A dialog adds GraphiQL's one inline <style>, which the page's nonce lets in.
        await page.click("button[aria-label='Open short keys dialog']")
        await expect(page.locator("[role='dialog']")).to_be_visible()
    assert blocked == []
    assert problems == []


def test_graphiql_and_its_files_are_served_in_development_only(make_client):
    client = make_client()
    page = client.get("/graphql", headers={"accept": "text/html"})
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "http" not in page.text  # nothing from another server: no CDN
    script = client.get("/graphiql/vendor/graphiql.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    production = make_client(env="production")
    assert production.get("/graphql", headers={"accept": "text/html"}).status_code == 404
    assert production.get("/graphiql/vendor/graphiql.min.js").status_code == 404
