"""The web pages, served by the real app under a real uvicorn on 127.0.0.1.

A store built from the examples corpus (ingest + grouping, the outlet profiles of
`make demo`) plus one hostile article whose title, body, outlet and URL carry script
tags, event-handler attributes and a `javascript:` URL. Every page is fetched over HTTP
and parsed: hostile text must come back escaped (no foreign script element, no `on*`
attribute, no `javascript:` link), refusals must be pages with the right status, and
every write must need an editor's session and its CSRF token.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from storylens.extract import ExtractOptions
from storylens.extract.profiles import load_profiles
from storylens.group import group_new
from storylens.ingest import ingest
from storylens.present.report_html import comparison_fragment
from storylens.store import SQLiteStore
from storylens.store.analyses import OutletStats, QuoteRow, StoredAnalysis, members_key
from storylens.web.pages import Run, highlight
from storylens.web.settings import ServeSettings
from tests.conftest import EXAMPLES
from tests.serve_fixtures import running_server

HOSTILE_TITLE = (
    'Evil "><script>window.__pwned=1</script> <img src=x onerror=window.__pwned=1> headline'
)
HOSTILE_OUTLET = 'Bad<script>alert(1)</script>" onmouseover="alert(1) Outlet'
HOSTILE_URL = "javascript:alert(1)"
HOSTILE_BODY = (
    "The <script>window.__pwned=1</script> council met on Monday.\n\n"
    '<img src=x onerror="window.__pwned=1"> <a href="javascript:alert(1)">click</a> '
    "and a second paragraph about the harbour."
)
OUR_SCRIPTS = {"/static/app.js", "/static-report/report.js"}
FIRE_OUTLETS = {"Korvhaven Courier", "Meridian Press Agency", "The National Ledger"}


# ----------------------------------------------------------------------------- fixtures


def _write_hostile(folder: Path) -> Path:
    path = folder / "hostile.jsonl"
    record = {
        "title": HOSTILE_TITLE,
        "text": HOSTILE_BODY,
        "outlet": HOSTILE_OUTLET,
        "url": HOSTILE_URL,
        "date": "2026-03-03T09:00:00Z",
        "language": "en",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


@dataclass
class Corpus:
    """The built store and what the tests need to know about it."""

    db: Path
    editor_token: str
    reader_token: str
    fire_story: str  # the examples' four-outlet story
    single_stories: list[str] = field(default_factory=list)  # one-article stories
    hostile_story: str = ""
    hostile_article: str = ""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("pages")
    db = folder / "pages.db"
    with SQLiteStore(db) as store:
        profiles = load_profiles(EXAMPLES / "outlets.toml")
        report = ingest(
            [str(EXAMPLES), str(_write_hostile(folder))],
            store,
            extract_options=ExtractOptions(profiles=profiles),
        )
        assert not report.failures
        group_new(store)
        _, editor = store.tokens.create("Edna Editor", "editor")
        _, reader = store.tokens.create("Rita Reader", "reader")
        stories = {row.id: row.article_ids for row in store.stories.live()}
        fire = next(s for s, members in stories.items() if len(members) == 4)
        hostile_article = next(
            a.id for a in store.iter_articles() if a.outlet and a.outlet.name == HOSTILE_OUTLET
        )
        hostile_story = store.stories.story_of(hostile_article)
        assert hostile_story is not None
        singles = [s for s, members in stories.items() if len(members) == 1]
    return Corpus(db, editor, reader, fire, singles, hostile_story, hostile_article)


def _settings(db: Path, **extra: object) -> ServeSettings:
    return ServeSettings(
        db=db, worker=False, rate_limit_per_minute=0, write_rate_limit_per_minute=0, **extra
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base_url(corpus: Corpus) -> Iterator[str]:
    """One server for the read-only tests (they change nothing in the store)."""
    with running_server(_settings(corpus.db)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30.0) as c:
        yield c


@pytest.fixture
def fresh(corpus: Corpus, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server over a private copy of the store, for tests that write."""
    db = tmp_path / "copy.db"
    shutil.copy(corpus.db, db)
    with running_server(_settings(db, allow_private_urls=False)) as url:
        yield url, db


# ----------------------------------------------------------------------------- helpers


class Inertness(HTMLParser):
    """What in a page could run: scripts, handler attributes, script URLs, inline style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.in_script = True
            if values.get("src") not in OUR_SCRIPTS:
                self.problems.append(f"foreign script element: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has a handler attribute {name}={value!r}")
            if name == "style":
                self.problems.append(f"<{tag}> has a style attribute")
            if name in ("href", "src", "action", "formaction") and value is not None:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "img"):
            self.problems.append(f"<{tag}> element from text")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")


def assert_inert(html: str) -> None:
    checker = Inertness()
    checker.feed(html)
    checker.close()
    assert not checker.problems, checker.problems


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, token: str, next_path: str = "") -> httpx.Response:
    page = client.get("/login")
    assert page.status_code == 200
    return client.post(
        "/login", data={"token": token, "csrf_token": csrf_of(page.text), "next": next_path}
    )


def story_ids(html: str) -> list[str]:
    return re.findall(r'<td class="title" dir="auto"><a href="/stories/([^"]+)">', html)


# ----------------------------------------------------------------------------- reading


def test_story_list_shows_every_story_with_its_columns(
    client: httpx.Client, corpus: Corpus
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "set-cookie" not in page.headers  # anonymous readers get no session
    assert_inert(page.text)
    ids = story_ids(page.text)
    assert corpus.fire_story in ids and corpus.hostile_story in ids
    assert len(ids) == 1 + len(corpus.single_stories)
    row = page.text.split(f'href="/stories/{corpus.fire_story}"', 1)[1].split("</tr>", 1)[0]
    for outlet in FIRE_OUTLETS:
        assert outlet in row
    assert "UTC" in row and "pending" in row and ">4<" in row
    assert '<html lang="en">' in page.text
    for link in ('href="/"', 'href="/search"', 'href="/outlets"', 'href="/login"'):
        assert link in page.text


def test_story_list_filters_and_pages(client: httpx.Client, corpus: Corpus) -> None:
    by_outlet = client.get("/", params={"outlet": "The National Ledger"})
    assert story_ids(by_outlet.text) == [corpus.fire_story]
    assert '<option value="The National Ledger" selected>' in by_outlet.text

    searched = client.get("/", params={"q": "chemical blaze"})
    assert story_ids(searched.text) == [corpus.fire_story]
    assert story_ids(client.get("/", params={"q": "zzyzzyva"}).text) == []

    assert story_ids(client.get("/", params={"min_origins": "3"}).text) == [corpus.fire_story]
    assert story_ids(client.get("/", params={"until": "2000-01-01"}).text) == []
    assert len(story_ids(client.get("/", params={"since": "2026-03-01"}).text)) >= 2

    bad = client.get("/", params={"since": "last tuesday", "limit": "x"})
    assert bad.status_code == 200
    assert "is not a date" in bad.text

    first = client.get("/", params={"limit": "2"})
    assert len(story_ids(first.text)) == 2
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&"))
    assert len(story_ids(second.text)) == 2
    assert not set(story_ids(first.text)) & set(story_ids(second.text))
    assert 'rel="prev"' in second.text


def test_story_page_without_analysis_lists_its_articles(
    client: httpx.Client, corpus: Corpus
) -> None:
    page = client.get(f"/stories/{corpus.fire_story}")
    assert page.status_code == 200
    assert_inert(page.text)
    assert 'id="pending-note"' in page.text
    assert "report.css" not in page.text  # no comparison yet, no report assets
    assert len(re.findall(r'href="/articles/[0-9a-f]+"', page.text)) == 4
    for outlet in FIRE_OUTLETS:
        assert outlet in page.text
    assert "merge-form" not in page.text  # readers see no editing forms
    assert "Sign in</a> as an editor" in page.text


def test_unknown_pages_are_html_404s(client: httpx.Client) -> None:
    for path in ("/stories/nope", "/articles/nope", "/outlets/Nobody%20Here"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert 'id="error-message"' in page.text
        assert_inert(page.text)


def test_article_page_shows_metadata_text_and_story(client: httpx.Client, corpus: Corpus) -> None:
    story = client.get(f"/stories/{corpus.fire_story}").text
    article_id = re.findall(r'href="/articles/([0-9a-f]+)"', story)[0]
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200
    assert_inert(page.text)
    assert f'href="/stories/{corpus.fire_story}" id="story-link"' in page.text
    assert page.text.count('<div class="article-body"') == 1
    assert len(re.findall(r"<p>", page.text.split('class="article-body"')[1])) >= 3
    assert "UTC" in page.text
    assert "Quotes in this article" in page.text


def test_hostile_article_renders_inert_everywhere(client: httpx.Client, corpus: Corpus) -> None:
    """Title, body, outlet and URL carrying markup come back as text on every page."""
    pages = {
        "list": client.get("/"),
        "story": client.get(f"/stories/{corpus.hostile_story}"),
        "article": client.get(f"/articles/{corpus.hostile_article}"),
        "outlets": client.get("/outlets"),
        "outlet": client.get("/outlets/" + quote(HOSTILE_OUTLET, safe="")),
        "search": client.get("/search", params={"q": "council harbour"}),
        "filtered": client.get("/", params={"outlet": HOSTILE_OUTLET}),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_inert(page.text)
        assert "<script>window.__pwned" not in page.text, name
        assert "<script>alert" not in page.text, name
    article = pages["article"].text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in article
    assert "&lt;img src=x onerror=" in article
    assert (
        "Bad&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;alert(1) Outlet" in article
    )
    assert "javascript:alert(1) (not a web address: not linked)" in article
    assert 'href="javascript' not in article
    assert story_ids(pages["filtered"].text) == [corpus.hostile_story]
    assert "Evil &#34;&gt;&lt;script&gt;" in pages["outlet"].text
    assert "Evil &#34;&gt;&lt;script&gt;" in pages["search"].text


def test_outlet_pages(client: httpx.Client, corpus: Corpus) -> None:
    listing = client.get("/outlets")
    assert listing.status_code == 200
    assert 'href="/outlets/Meridian%20Press%20Agency"' in listing.text
    page = client.get("/outlets/Meridian%20Press%20Agency")
    assert page.status_code == 200
    assert_inert(page.text)
    assert corpus.fire_story in story_ids(page.text)
    assert "What it tends to add or leave out" in page.text
    assert "None of its stories has been compared yet." in page.text


def test_search_highlights_the_query_words(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "Korvhaven fire"})
    assert page.status_code == 200
    assert_inert(page.text)
    marks = re.findall(r"<mark>([^<]*)</mark>", page.text)
    assert marks and {m.casefold() for m in marks} <= {"korvhaven", "fire"}
    assert int(re.search(r'id="hit-count">(\d+)', page.text).group(1)) >= 3  # type: ignore[union-attr]

    hostile = client.get("/search", params={"q": '<script>alert(1)</script> "NEAR(', "kind": "x"})
    assert hostile.status_code == 200
    assert_inert(hostile.text)
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt; &#34;NEAR("' in hostile.text
    assert 'value="articles" checked' in hostile.text

    quotes = client.get("/search", params={"q": "rebuild", "kind": "quotes"})
    assert quotes.status_code == 200 and "0 results" in quotes.text


def test_highlight_cuts_runs_without_markup() -> None:
    runs = highlight("NATO's summit; nato <b>allies</b> met in Zürich", "nato ZURICH")
    assert [r.text for r in runs if r.mark] == ["NATO", "nato", "Zürich"]
    assert "".join(r.text for r in runs) == "NATO's summit; nato <b>allies</b> met in Zürich"
    assert highlight("fireworks and fire", "fire") == [
        Run("fireworks and "),
        Run("fire", True),
    ]
    assert [r.text for r in highlight("fireworks and fire", "fire*") if r.mark] == [
        "fireworks",
        "fire",
    ]
    assert highlight("plain", "") == [Run("plain")]
    assert highlight("a\u202eb", "zz") == [Run("ab")]  # bidi override dropped


def test_static_assets_are_served(client: httpx.Client) -> None:
    for path, kind in (
        ("/static/app.css", "text/css"),
        ("/static/app.js", "javascript"),
        ("/static-report/report.css", "text/css"),
        ("/static-report/report.js", "javascript"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"], path
    script = client.get("/static/app.js").text
    assert not re.search(
        r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", script
    )


def test_a_bad_bearer_token_is_refused_on_pages(client: httpx.Client) -> None:
    page = client.get("/", headers={"Authorization": "Bearer slk_not-a-token"})
    assert page.status_code == 401
    assert page.headers["content-type"].startswith("text/html")


# ----------------------------------------------------------------------------- stored comparison


def _store_analysis(db: Path, story_id: str, key: str | None = None) -> str:
    """Store a comparison for the story (the report tests' hostile one: three outlets,
    markup in every field), a quote of its first member and Meridian's counts; returns
    the first member's id."""
    from tests.test_report_html import hostile_comparison

    with SQLiteStore(db) as store:
        members = store.stories.members(story_id)
        quote = QuoteRow(
            members[0], "Mayor <b>Ola</b> Berg", "We <script>x()</script> rebuild", 0, 9
        )
        store.analyses.put(
            StoredAnalysis(
                story_id=story_id,
                members_key=key or members_key(members),
                computed_at="2026-03-03T10:00:00Z",
                version="test",
                report_json="{}",
                report_html=comparison_fragment(hostile_comparison()),
            ),
            [quote],
            [],
            [OutletStats("Meridian Press Agency", 12, 3, 2), OutletStats(HOSTILE_OUTLET, 1, 1, 0)],
        )
    return members[0]


def test_story_page_embeds_the_stored_comparison(fresh: tuple[str, Path], corpus: Corpus) -> None:
    base_url, db = fresh
    quoted = _store_analysis(db, corpus.fire_story)
    with httpx.Client(base_url=base_url) as client:
        page = client.get(f"/stories/{corpus.fire_story}")
        assert page.status_code == 200
        assert_inert(page.text)
        html = page.text
        assert '<link rel="stylesheet" href="/static-report/report.css">' in html
        assert '<script src="/static-report/report.js" defer></script>' in html
        assert html.count('class="sl-report"') == 1
        assert len(re.findall(r'<article class="col"', html)) == 3  # the stored report's columns
        assert 'id="quotes"' in html and 'class="card' in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
        assert "stale-note" not in html and "pending-note" not in html
        assert html.index('class="sl-report"') < html.index('id="members"')
        assert html.count("<main") == 1  # the report's own; the page adds none around it
        assert "analysed" in client.get("/").text

        article = client.get(f"/articles/{quoted}").text
        assert_inert(article)
        assert "We &lt;script&gt;x()&lt;/script&gt; rebuild" in article
        assert "Mayor &lt;b&gt;Ola&lt;/b&gt; Berg" in article
        outlet = client.get("/outlets/Meridian%20Press%20Agency").text
        assert "<strong>3</strong> facts no other outlet reported (25% of what it states)" in outlet
        assert "<strong>2</strong> facts that most other outlets reported" in outlet

        _store_analysis(db, corpus.fire_story, key="0" * 64)  # members changed since
        stale = client.get(f"/stories/{corpus.fire_story}").text
        assert 'id="stale-note"' in stale and 'class="sl-report"' in stale


# ----------------------------------------------------------------------------- writing


def test_sign_in_needs_the_pages_csrf_token_and_a_valid_token(fresh: tuple[str, Path]) -> None:
    base_url, _ = fresh
    with httpx.Client(base_url=base_url) as client:
        # No CSRF token (no session yet): refused before the token is even looked at.
        refused = client.post("/login", data={"token": "slk_x"})
        assert refused.status_code == 403
        assert "CSRF" in refused.text
        login = client.get("/login")
        assert "set-cookie" in login.headers
        token = csrf_of(login.text)
        wrong = client.post("/login", data={"token": "slk_nope", "csrf_token": token})
        assert wrong.status_code == 401
        assert "not valid" in wrong.text
        assert 'type="password" name="token"' in wrong.text
        other = client.post("/login", data={"token": "x", "csrf_token": token + "x"})
        assert other.status_code == 403


def test_editor_signs_in_merges_splits_moves_and_signs_out(
    fresh: tuple[str, Path], corpus: Corpus
) -> None:
    base_url, db = fresh
    a, b = corpus.single_stories[:2]
    with httpx.Client(base_url=base_url) as client:
        signed = sign_in(client, corpus.editor_token, next_path="//evil.example/")
        assert signed.status_code == 303
        assert signed.headers["location"] == "/ingest"  # off-site `next` ignored
        listing = client.get("/")
        assert "Edna Editor" in listing.text and "Sign out" in listing.text
        assert 'href="/ingest"' in listing.text

        story = client.get(f"/stories/{a}")
        for form in ("merge-form", "split-form", "move-form"):
            assert f'id="{form}"' in story.text
        token = csrf_of(story.text)

        # Without the CSRF token, and with another session's, a write is refused.
        assert client.post(f"/stories/{a}/merge", data={"other": b}).status_code == 403
        bad = client.post(f"/stories/{a}/merge", data={"other": b, "csrf_token": "forged"})
        assert bad.status_code == 403
        refused = client.post(f"/stories/{a}/merge", data={"other": a, "csrf_token": token})
        assert refused.status_code == 400
        assert "cannot be merged with itself" in refused.text
        unknown = client.post(
            f"/stories/{a}/merge", data={"other": "<script>x</script>", "csrf_token": token}
        )
        assert unknown.status_code == 400
        assert_inert(unknown.text)

        merged = client.post(f"/stories/{a}/merge", data={"other": b, "csrf_token": token})
        assert merged.status_code == 303
        survivor = merged.headers["location"].rsplit("/", 1)[1]
        assert survivor in (a, b)
        gone = b if survivor == a else a
        after = client.get(f"/stories/{survivor}")
        assert "Merged: story" in after.text  # the flash, once
        assert "Merged: story" not in client.get(f"/stories/{survivor}").text
        members = re.findall(r'name="article" value="([^"]+)"', after.text)
        assert len(members) == 2
        # The absorbed story's page leads to the survivor.
        redirect = client.get(f"/stories/{gone}")
        assert (
            redirect.status_code == 303 and redirect.headers["location"] == f"/stories/{survivor}"
        )

        assert (
            client.post(f"/stories/{survivor}/split", data={"csrf_token": token}).status_code == 400
        )  # nothing chosen
        split = client.post(
            f"/stories/{survivor}/split", data={"article": members[1], "csrf_token": token}
        )
        assert split.status_code == 303
        new_story = split.headers["location"].rsplit("/", 1)[1]
        assert new_story not in (a, b)

        moved = client.post(
            f"/stories/{new_story}/move",
            data={"article": members[1], "target": survivor, "csrf_token": token},
        )
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/stories/{survivor}"  # the old story is empty

        out = client.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert "Sign out" not in client.get("/").text
        again = client.post(f"/stories/{survivor}/merge", data={"other": b, "csrf_token": token})
        assert again.status_code == 401
    with SQLiteStore(db) as store:
        assert sorted(store.stories.members(survivor)) == sorted(members)
        assert [o.kind for o in store.stories.overrides()] == ["merge", "split", "move"]
        jobs = store.jobs.recent(20, 0).items
        assert {j.kind for j in jobs} == {"analyse_story"}


def test_writes_need_an_editor(fresh: tuple[str, Path], corpus: Corpus) -> None:
    base_url, db = fresh
    a, b = corpus.single_stories[:2]
    with httpx.Client(base_url=base_url) as anonymous:
        for path, data in (
            (f"/stories/{a}/merge", {"other": b}),
            (f"/stories/{a}/split", {"article": "x"}),
            (f"/stories/{a}/move", {"article": "x", "target": b}),
            ("/ingest/urls", {"urls": "https://example.org/a"}),
            ("/ingest/feeds", {"url": "https://example.org/feed"}),
        ):
            response = anonymous.post(path, data=data)
            assert response.status_code == 401, path
            assert response.headers["content-type"].startswith("text/html")
        assert anonymous.get("/ingest").headers["location"] == "/login?next=%2Fingest"

    with httpx.Client(base_url=base_url) as reader:
        assert sign_in(reader, corpus.reader_token).headers["location"] == "/"
        page = reader.get(f"/stories/{a}")
        assert "Rita Reader" in page.text
        assert "merge-form" not in page.text
        token = csrf_of(page.text)  # the sign-out form's token
        refused = reader.post(f"/stories/{a}/merge", data={"other": b, "csrf_token": token})
        assert refused.status_code == 403
        assert "may only read" in refused.text
        assert reader.get("/ingest").status_code == 403
    with SQLiteStore(db) as store:
        assert store.stories.overrides() == []
        assert store.jobs.recent(10, 0).total == 0


def test_ingest_page_queues_uploads_and_refuses_private_urls(
    fresh: tuple[str, Path], corpus: Corpus
) -> None:
    base_url, db = fresh
    with httpx.Client(base_url=base_url) as client:
        sign_in(client, corpus.editor_token)
        page = client.get("/ingest")
        assert page.status_code == 200
        for form in ("upload-form", "urls-form", "feeds-form"):
            assert f'id="{form}"' in page.text
        token = csrf_of(page.text)

        private = client.post(
            "/ingest/urls",
            data={"urls": "http://127.0.0.1/x\n\nhttp://10.0.0.1/y", "csrf_token": token},
        )
        assert private.status_code == 400
        assert "127.0.0.1" in private.text and "10.0.0.1" in private.text
        feed = client.post(
            "/ingest/feeds", data={"url": "http://10.0.0.1/feed", "csrf_token": token}
        )
        assert feed.status_code == 400
        no_csrf = client.post("/ingest/urls", data={"urls": "http://127.0.0.1/x"})
        assert no_csrf.status_code == 403

        upload = client.post(
            "/ingest/upload",
            data={"csrf_token": token},
            files={"files": ("note <b>.txt", b"A title\n\nSome text of an article.", "text/plain")},
        )
        assert upload.status_code == 303 and upload.headers["location"] == "/ingest"
        after = client.get("/ingest")
        assert "Queued 1 job" in after.text
        assert_inert(after.text)
        assert re.search(r'<tr data-job="\d+">', after.text)
        assert "note &lt;b&gt;.txt" in after.text
        assert 'data-poll="/api/v1/jobs?limit=25"' in after.text  # queued: the page follows it
        empty = client.post(
            "/ingest/upload",
            data={"csrf_token": token},
            files={"files": ("e.txt", b"", "text/plain")},
        )
        assert empty.status_code == 400 and "empty file" in empty.text
    with SQLiteStore(db) as store:
        (job,) = store.jobs.recent(10, 0).items
        assert job.kind == "ingest_upload" and job.status == "queued"
        assert job.submitted_by == "Edna Editor"


def test_read_token_required_keeps_pages_closed_but_sign_in_open(corpus: Corpus) -> None:
    settings = _settings(corpus.db, read_token_required=True)
    with running_server(settings) as base_url, httpx.Client(base_url=base_url) as client:
        closed = client.get("/", params={"q": "fire"})
        assert closed.status_code == 401
        assert 'href="/login?next=/%3Fq%3Dfire"' in closed.text
        assert client.get("/static/app.css").status_code == 200
        assert client.get("/login").status_code == 200
        signed = sign_in(client, corpus.reader_token, next_path="/?q=fire")
        assert signed.headers["location"] == "/?q=fire"
        assert client.get("/?q=fire").status_code == 200
        bearer = httpx.get(
            f"{base_url}/outlets", headers={"Authorization": f"Bearer {corpus.reader_token}"}
        )
        assert bearer.status_code == 200
