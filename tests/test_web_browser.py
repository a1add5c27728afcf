"""The web app in real headless Chromium, against a real server on 127.0.0.1.

The issue's acceptance run: the seeds and ../shared/data/allsides/dev.jsonl are loaded
into a store (ingest, grouping; the seeds' story compared once by the real pipeline),
the server is started, and the browser opens the story list, searches "NATO", opens the
seeds' story and finds both outlets side by side and the quote cards, signs in as an
editor and merges two stories through the form. A hostile article (script tags, event
handlers and a `javascript:` URL in its title, body, outlet and URL) is opened as well,
on its own page and inside its story's stored comparison: the DOM must hold no handler
attribute and no script link, and the payload's flag must stay unset. No page may log a
console error (a CSP violation is one) or ask anything of another origin. Screenshots
go to out/screenshots/web-*.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from storylens.group import group_new
from storylens.ingest import ingest
from storylens.store import SQLiteStore
from storylens.web.settings import ServeSettings
from tests.conftest import DATA, SCREENSHOTS, SEEDS, need, record_problems
from tests.serve_fixtures import running_server

PAYLOAD = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"
HOSTILE = {
    "title": f'Harbour "><svg onload=window.__pwned=3> council {PAYLOAD}',
    "text": (
        f"The harbour council met on Tuesday. {PAYLOAD}\n\n"
        '"We will not be moved," the chair said. <a href="javascript:window.__pwned=4">x</a>\n\n'
        "<iframe src=javascript:window.__pwned=5></iframe> The vote was postponed."
    ),
    "outlet": f'Gazette{PAYLOAD}" onmouseover="window.__pwned=6',
    "url": "javascript:window.__pwned=7",
    "date": "2021-10-26T08:00:00Z",
    "language": "en",
}

# Everything in the DOM that could run, counted in the page itself.
INERT_JS = """() => {
  const all = Array.from(document.querySelectorAll('*'));
  const handlers = all.flatMap((el) => Array.from(el.attributes)
      .filter((a) => a.name.toLowerCase().startsWith('on'))
      .map((a) => el.tagName + ' ' + a.name));
  const urls = all.flatMap((el) => ['href', 'src', 'action', 'formaction', 'xlink:href']
      .map((n) => el.getAttribute(n)).filter((v) => v !== null))
      .filter((v) => /^\\s*(javascript|vbscript|data:text)/i.test(v));
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    handlers: handlers,
    scriptUrls: urls,
    scripts: Array.from(document.scripts, (s) => s.getAttribute('src')),
    foreign: document.querySelectorAll('iframe, object, embed, img, body svg[onload]').length,
  };
}"""


@dataclass
class Loaded:
    db: Path
    seeds_story: str
    seed_count: int
    hostile_story: str
    hostile_article: str
    editor_token: str
    merge_pair: tuple[str, str]
    merge_members: int
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The acceptance store: seeds + AllSides dev + one hostile article, grouped; the seeds'
    story and the hostile story compared by the real pipeline (spaCy: done once here)."""
    need(SEEDS)
    dev = need(DATA / "allsides" / "dev.jsonl")
    folder = tmp_path_factory.mktemp("browser")
    hostile = folder / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    db = folder / "web.db"
    from storylens.analyse_story import analyse_story

    with SQLiteStore(db) as store:
        seeds = ingest([str(SEEDS)], store)
        assert seeds.stored == len(list(SEEDS.glob("*.txt"))) and not seeds.failures
        assert not ingest([str(dev)], store).failures
        bad = ingest([str(hostile)], store)
        assert bad.stored == 1
        group_new(store)
        seeds_story = store.stories.story_of(seeds.article_ids[0])
        assert seeds_story and store.stories.story_of(seeds.article_ids[1]) == seeds_story
        hostile_story = store.stories.story_of(bad.article_ids[0])
        assert hostile_story
        for story_id in (seeds_story, hostile_story):
            assert analyse_story(store, story_id) is not None
        others = [
            row
            for row in store.stories.live()
            if row.id not in (seeds_story, hostile_story) and len(row.article_ids) <= 3
        ]
        first, second = others[0], others[1]
        _, editor = store.tokens.create("Browser Editor", "editor")
        seed_count = len(store.stories.members(seeds_story))
    return Loaded(
        db=db,
        seeds_story=seeds_story,
        seed_count=seed_count,
        hostile_story=hostile_story,
        hostile_article=bad.article_ids[0],
        editor_token=editor,
        merge_pair=(first.id, second.id),
        merge_members=len(first.article_ids) + len(second.article_ids),
    )


@pytest.fixture(scope="module")
def base_url(loaded: Loaded) -> Iterator[str]:
    settings = ServeSettings(
        db=loaded.db, worker=False, rate_limit_per_minute=0, write_rate_limit_per_minute=0
    )
    with running_server(settings) as url:
        yield url


@pytest.fixture
def watched(browser: Any, base_url: str) -> Iterator[tuple[Any, list[str]]]:
    """A fresh browser context and page whose every console error, page error, failed
    request and request to anywhere but our server is recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = record_problems(page)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((base_url + "/", "data:"))
            else problems.append(f"request off the server: {r.url}")
        ),
    )
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    try:
        yield page, problems
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"web-{name}.png"), full_page=True)


def assert_inert(page: Any) -> dict[str, Any]:
    facts: dict[str, Any] = page.evaluate(INERT_JS)
    assert facts["pwned"] is None, facts
    assert facts["handlers"] == [], facts
    assert facts["scriptUrls"] == [], facts
    assert facts["foreign"] == 0, facts
    assert set(facts["scripts"]) <= {"/static/app.js", "/static-report/report.js"}, facts
    return facts


def test_browse_search_and_read_the_seeds_story(
    watched: tuple[Any, list[str]], base_url: str, loaded: Loaded
) -> None:
    page, problems = watched
    page.goto(base_url + "/", wait_until="load")
    rows = page.locator("table.stories tbody tr")
    assert rows.count() == 50  # one page of many
    assert page.locator('a[rel="next"]').count() == 1
    assert page.locator("h1").inner_text() == "Stories"
    shot(page, "story-list")

    # Search "NATO" from the search page, as a reader would.
    page.click('nav.site-nav a[href="/search"]')
    page.fill("#s-q", "NATO")
    page.click(".search-form button[type=submit]")
    page.wait_for_url(re.compile(r"/search\?q=NATO"))
    hits = page.locator("ol.hits > li.hit")
    assert hits.count() >= 2
    marks = page.locator(".snippet mark").all_inner_texts()
    assert marks and {m.casefold() for m in marks} == {"nato"}
    shot(page, "search")

    # The seeds' story: from the list filtered by the same words, to its page.
    page.goto(base_url + "/?q=NATO+Ukraine+Peskov", wait_until="load")
    page.click(f'a[href="/stories/{loaded.seeds_story}"]')
    page.wait_for_url(re.compile(loaded.seeds_story))
    page.wait_for_selector(".sl-report[data-ready=true]", timeout=10_000)  # report.js ran
    report: dict[str, Any] = page.evaluate(
        """() => {
          const q = (s) => document.querySelectorAll(s);
          return {
            columns: q('.sl-report .columns > article.col').length,
            outlets: Array.from(q('.sl-report .col .col-outlet'), (e) => e.textContent.trim()),
            cards: q('.sl-report #quotes .card').length,
            renderings: q('.sl-report #quotes .card .rendering').length,
            facts: q('.sl-report #facts table.matrix tbody tr').length,
            sections: Array.from(q('.sl-report main > section.sl-section'), (e) => e.id),
            members: q('#members tbody tr').length,
            stylesheets: Array.from(q('link[rel=stylesheet]'), (e) => e.getAttribute('href')),
          };
        }"""
    )
    assert report["columns"] == loaded.seed_count >= 2
    assert len(set(report["outlets"])) == report["columns"]  # each outlet its own column
    assert report["cards"] >= 1 and report["renderings"] > report["cards"]
    assert report["facts"] > 0
    for section in ("columns", "summary", "facts", "quotes", "discrepancies", "timeline"):
        assert section in report["sections"]
    assert report["members"] == loaded.seed_count
    assert "/static-report/report.css" in report["stylesheets"]
    # The report's script works under the server's CSP: a highlighted passage pins its fact.
    page.locator(".sl-report .col a.u[data-facts]").first.click()
    assert page.locator("#pinbar").is_visible()
    assert_inert(page)
    shot(page, "story")
    assert problems == []


def test_editor_signs_in_and_merges_two_stories(
    watched: tuple[Any, list[str]], base_url: str, loaded: Loaded
) -> None:
    page, problems = watched
    first, second = loaded.merge_pair
    page.goto(f"{base_url}/stories/{first}", wait_until="load")
    assert page.locator("#merge-form").count() == 0
    page.click("nav.site-nav a[href='/login']")
    page.fill("#login-token", loaded.editor_token)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/ingest$"))
    assert "Browser Editor" in page.locator(".who").inner_text()
    assert page.locator("#upload-form").count() == 1

    page.goto(f"{base_url}/stories/{first}", wait_until="load")
    # app.js keeps an empty split from being sent
    split = page.locator("#split-form button[type=submit]")
    assert split.is_disabled()
    page.locator("#split-form input[name=article]").first.check()
    assert split.is_enabled() and "(1)" in split.inner_text()
    page.locator("#split-form input[name=article]").first.uncheck()

    page.fill("#merge-other", second)
    page.click("#merge-form button[type=submit]")
    page.wait_for_load_state("load")
    survivor = page.url.rsplit("/", 1)[1]
    assert survivor in (first, second)
    assert "Merged" in page.locator(".flash").inner_text()
    assert page.locator("#members tbody tr").count() == loaded.merge_members
    assert_inert(page)
    shot(page, "merge")
    with SQLiteStore(loaded.db) as store:
        assert len(store.stories.members(survivor)) == loaded.merge_members
        assert store.stories.survivor(first) == store.stories.survivor(second) == survivor

    # The merge queued the survivor's new comparison; the ingest page follows the job
    # (app.js polls /api/v1/jobs with the session) until it is done.
    page.goto(f"{base_url}/ingest", wait_until="load")
    status = page.locator("#jobs tbody tr [data-field=status]").first
    assert status.inner_text() == "queued"
    with SQLiteStore(loaded.db) as store:
        job = store.jobs.claim()
        assert job is not None and job.payload == {"story_id": survivor}
        store.jobs.progress(job.id, "comparing 2 articles")
    page.wait_for_function(
        "() => document.querySelector('#jobs [data-field=status]').textContent === 'running'",
        timeout=10_000,
    )
    assert page.locator("#jobs [data-field=progress]").first.inner_text() == "comparing 2 articles"
    with SQLiteStore(loaded.db) as store:
        store.jobs.finish(job.id, {"story_id": survivor})
    page.wait_for_function(
        "() => document.querySelector('#jobs [data-field=status]').textContent === 'done'",
        timeout=10_000,
    )
    page.wait_for_function("() => document.getElementById('poll-note').textContent === ''")

    page.click(".who button[type=submit]")  # sign out
    page.wait_for_load_state("load")
    assert page.locator("nav.site-nav a[href='/login']").count() == 1
    assert problems == []


def test_hostile_article_renders_inert(
    watched: tuple[Any, list[str]], base_url: str, loaded: Loaded
) -> None:
    page, problems = watched
    page.goto(f"{base_url}/articles/{loaded.hostile_article}", wait_until="load")
    page.wait_for_timeout(300)  # time for anything that would run to run
    facts = assert_inert(page)
    assert facts["scripts"] == ["/static/app.js"]
    title = page.locator("h1").inner_text()
    assert "<svg onload=window.__pwned=3>" in title and "<script>" in title
    body = page.locator(".article-body").inner_text()
    assert "<img src=x onerror=window.__pwned=2>" in body
    assert "<iframe src=javascript:window.__pwned=5></iframe>" in body
    assert page.locator(".meta a[href^='javascript']").count() == 0
    assert "not linked" in page.locator("#article-url").inner_text()
    assert "onmouseover" in page.locator(".meta dd").first.inner_text()
    # Hovering the outlet name must not run its "attribute".
    page.locator(".meta dd a").first.hover()
    shot(page, "hostile")

    page.goto(f"{base_url}/stories/{loaded.hostile_story}", wait_until="load")
    page.wait_for_selector(".sl-report[data-ready=true]", timeout=10_000)
    page.locator(".sl-report .col-title").first.hover()
    page.wait_for_timeout(300)
    assert_inert(page)
    assert "<script>" in page.locator(".sl-report .col-title").first.inner_text()

    page.goto(f"{base_url}/?outlet={HOSTILE['outlet']}", wait_until="load")
    assert page.locator("table.stories tbody tr").count() == 1
    page.goto(f"{base_url}/search?q=harbour+council", wait_until="load")
    assert page.locator("ol.hits > li").count() >= 1
    assert_inert(page)
    assert problems == []
