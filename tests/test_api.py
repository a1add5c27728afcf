"""The REST API against a real uvicorn server on 127.0.0.1 over a real SQLite store."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import jsonschema
import pytest

from storylens.present.report_json import json_schema
from storylens.store.sqlite import SQLiteStore
from storylens.web.api import StoryOut
from storylens.web.settings import ServeSettings
from tests.serve_fixtures import running_server
from tests.serve_stores import analysed_examples_store

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples corpus ingested, grouped, its story analysed (made once: slow)."""
    return analysed_examples_store(tmp_path_factory.mktemp("api") / "store.db")


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built store, so a test's writes never leak into another's."""
    copy = tmp_path / "store.db"
    shutil.copy(built, copy)
    return copy


@pytest.fixture
def tokens(db: Path) -> dict[str, str]:
    with SQLiteStore(db) as store:
        _, editor = store.tokens.create("ed", "editor")
        _, reader = store.tokens.create("reader", "reader")
    return {"editor": editor, "reader": reader}


@pytest.fixture
def server(db: Path, tokens: dict[str, str]) -> Iterator[str]:
    settings = ServeSettings(db=db, worker=False, rate_limit_per_minute=0)
    with running_server(settings) as base:
        yield base


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _main_story(base: str) -> dict:
    stories = httpx.get(f"{base}/api/v1/stories", params={"min_articles": 2}).json()["items"]
    return max(stories, key=lambda s: s["article_count"])


def test_story_list_pages_filters_and_etags(server: str) -> None:
    first = httpx.get(f"{server}/api/v1/stories", params={"limit": 1})
    assert first.status_code == 200
    body = first.json()
    assert body["total"] >= 2 and len(body["items"]) == 1
    assert body["next"] and "offset=1" in body["next"]
    second = httpx.get(body["next"]).json()
    assert second["items"][0]["id"] != body["items"][0]["id"]
    etag = first.headers["etag"]
    again = httpx.get(
        f"{server}/api/v1/stories", params={"limit": 1}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    every = httpx.get(f"{server}/api/v1/stories").json()["items"]
    assert every and all(StoryOut.model_validate(s).model_dump() == s for s in every)
    story = _main_story(server)
    assert story["article_count"] == 4 and story["analysed"]
    by_outlet = httpx.get(f"{server}/api/v1/stories", params={"outlet": story["outlets"][0]}).json()
    assert story["id"] in {s["id"] for s in by_outlet["items"]}
    nothing = httpx.get(f"{server}/api/v1/stories", params={"since": "2999-01-01"}).json()
    assert nothing["total"] == 0 and nothing["items"] == []
    bad = httpx.get(f"{server}/api/v1/stories", params={"limit": 0})
    assert bad.status_code == 422


def test_story_report_facts_and_quotes_follow_the_published_schema(server: str) -> None:
    story = _main_story(server)
    detail = httpx.get(f"{server}/api/v1/stories/{story['id']}").json()
    assert len(detail["articles"]) == 4
    assert detail["analysis"]["fresh"] is True
    report = httpx.get(f"{server}/api/v1/stories/{story['id']}/report")
    assert report.status_code == 200
    jsonschema.validate(report.json(), json_schema())
    assert report.json()["story_id"] == story["id"]
    assert (
        httpx.get(
            f"{server}/api/v1/stories/{story['id']}/report",
            headers={"If-None-Match": report.headers["etag"]},
        ).status_code
        == 304
    )
    facts = httpx.get(f"{server}/api/v1/stories/{story['id']}/facts").json()
    assert facts["facts"] and facts["matrix"]
    quotes = httpx.get(f"{server}/api/v1/stories/{story['id']}/quotes").json()
    assert quotes["quotes"], "the examples quote officials in every outlet"
    missing = httpx.get(f"{server}/api/v1/stories/nope/report")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_articles_and_search(server: str) -> None:
    story = _main_story(server)
    article_id = httpx.get(f"{server}/api/v1/stories/{story['id']}").json()["articles"][0]["id"]
    article = httpx.get(f"{server}/api/v1/articles/{article_id}")
    assert article.status_code == 200 and article.json()["text"]
    assert article.json()["story_id"] == story["id"]
    assert httpx.get(f"{server}/api/v1/articles/missing").status_code == 404
    listed = httpx.get(f"{server}/api/v1/articles", params={"story_id": story["id"]}).json()
    assert {a["id"] for a in listed["items"]} == {
        a["id"] for a in httpx.get(f"{server}/api/v1/stories/{story['id']}").json()["articles"]
    }
    found = httpx.get(f"{server}/api/v1/search", params={"q": "evacuated"}).json()
    assert found["total"] >= 1 and all(h["kind"] == "articles" for h in found["items"])
    quotes = httpx.get(f"{server}/api/v1/quotes", params={"q": "evacuated"}).json()
    assert all(h["kind"] == "quotes" for h in quotes["items"])
    hostile = httpx.get(f"{server}/api/v1/search", params={"q": '"NEAR( *) OR'})
    assert hostile.status_code == 200


def test_writes_need_an_editor_token(server: str, tokens: dict[str, str]) -> None:
    stories = httpx.get(f"{server}/api/v1/stories").json()["items"]
    a, b = stories[0]["id"], stories[1]["id"]
    url = f"{server}/api/v1/stories/{a}/merge"
    assert httpx.post(url, json={"other": b}).status_code == 401
    assert httpx.post(url, json={"other": b}, headers=_bearer("slk_forged")).status_code == 401
    assert httpx.post(url, json={"other": b}, headers=_bearer(tokens["reader"])).status_code == 403
    for path, body in [
        ("/api/v1/ingest/urls", {"urls": ["https://example.com/a"]}),
        ("/api/v1/feeds", {"url": "https://example.com/feed.xml"}),
    ]:
        assert httpx.post(f"{server}{path}", json=body).status_code == 401
    upload = httpx.post(f"{server}/api/v1/ingest/files", files={"files": ("a.html", b"<p>x</p>")})
    assert upload.status_code == 401
    merged = httpx.post(url, json={"other": b}, headers=_bearer(tokens["editor"]))
    assert merged.status_code == 200
    survivor = merged.json()["story_id"]
    assert survivor in {a, b}
    after = httpx.get(f"{server}/api/v1/stories/{survivor}").json()
    assert after["article_count"] == stories[0]["article_count"] + stories[1]["article_count"]
    overrides = httpx.get(f"{server}/api/v1/overrides").json()
    assert overrides[-1]["kind"] == "merge"
    jobs = httpx.get(f"{server}/api/v1/jobs").json()["items"]
    assert any(j["kind"] == "analyse_story" and j["payload"]["story_id"] == survivor for j in jobs)


def test_split_and_move(server: str, tokens: dict[str, str]) -> None:
    editor = _bearer(tokens["editor"])
    story = _main_story(server)
    members = [
        a["id"] for a in httpx.get(f"{server}/api/v1/stories/{story['id']}").json()["articles"]
    ]
    split = httpx.post(
        f"{server}/api/v1/stories/{story['id']}/split",
        json={"article_ids": members[:1]},
        headers=editor,
    )
    assert split.status_code == 200
    new_id = split.json()["story_id"]
    assert [
        a["id"] for a in httpx.get(f"{server}/api/v1/stories/{new_id}").json()["articles"]
    ] == members[:1]
    moved = httpx.post(
        f"{server}/api/v1/articles/{members[0]}/move", json={"story": story["id"]}, headers=editor
    )
    assert moved.status_code == 200 and moved.json()["story_id"] == story["id"]
    everyone = httpx.post(
        f"{server}/api/v1/stories/{story['id']}/split",
        json={"article_ids": members},
        headers=editor,
    )
    assert everyone.status_code == 409 and "at least one" in everyone.json()["detail"]
    unknown = httpx.post(
        f"{server}/api/v1/articles/{members[0]}/move", json={"story": "nope"}, headers=editor
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://localhost:8080/x",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
def test_private_and_odd_urls_are_refused(server: str, tokens: dict[str, str], url: str) -> None:
    response = httpx.post(
        f"{server}/api/v1/ingest/urls", json={"urls": [url]}, headers=_bearer(tokens["editor"])
    )
    if url.startswith("http"):
        assert response.status_code == 400
        assert url in response.json()["detail"]
    else:  # not even an http(s) URL: the request does not match the schema
        assert response.status_code == 422
    feed = httpx.post(
        f"{server}/api/v1/feeds", json={"url": url}, headers=_bearer(tokens["editor"])
    )
    assert feed.status_code in {400, 422}
    jobs = httpx.get(f"{server}/api/v1/jobs").json()["items"]
    assert not [j for j in jobs if j["kind"] in {"fetch_url", "poll_feed"}]


def test_uploads_are_limited_and_queued(db: Path, tokens: dict[str, str]) -> None:
    settings = ServeSettings(db=db, worker=False, rate_limit_per_minute=0, max_upload_bytes=1000)
    editor = _bearer(tokens["editor"])
    with running_server(settings) as base:
        big = httpx.post(
            f"{base}/api/v1/ingest/files",
            files={"files": ("big.html", b"x" * 5000)},
            headers=editor,
        )
        assert big.status_code == 413 and "1000 bytes" in big.json()["detail"]
        ok = httpx.post(
            f"{base}/api/v1/ingest/files",
            files=[("files", ("a.html", b"<html><p>one</p></html>")), ("files", ("e.txt", b""))],
            headers=editor,
        )
        assert ok.status_code == 202
        results = ok.json()
        assert [j["input"] for j in results["jobs"]] == ["a.html"]
        assert [r["input"] for r in results["refused"]] == ["e.txt"]
        assert "empty" in results["refused"][0]["reason"]
        job = httpx.get(f"{base}/api/v1/jobs/{results['jobs'][0]['job_id']}").json()
        assert job["status"] == "queued" and job["submitted_by"] == "ed"


def test_read_token_required_by_configuration(db: Path, tokens: dict[str, str]) -> None:
    settings = ServeSettings(db=db, worker=False, read_token_required=True)
    with running_server(settings) as base:
        assert httpx.get(f"{base}/api/v1/stories").status_code == 401
        assert (
            httpx.get(f"{base}/api/v1/stories", headers=_bearer(tokens["reader"])).status_code
            == 200
        )
        assert httpx.get(f"{base}/health").status_code == 200


def test_rate_limit_answers_429(db: Path) -> None:
    settings = ServeSettings(db=db, worker=False, rate_limit_per_minute=5)
    with running_server(settings) as base:
        codes = [httpx.get(f"{base}/api/v1/stories").status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_openapi_document_and_health(server: str) -> None:
    spec = httpx.get(f"{server}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in [
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/search",
        "/api/v1/ingest/files",
    ]:
        assert path in spec["paths"]
    assert "APIToken" in spec["components"]["securitySchemes"]
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and health["articles"] >= 4
    headers = httpx.get(f"{server}/api/v1/stories").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_worker_ingests_an_upload_end_to_end(db: Path, tokens: dict[str, str]) -> None:
    """With the worker on, an uploaded JSONL file becomes stored, grouped articles."""
    settings = replace(ServeSettings(db=db, rate_limit_per_minute=0), poll_interval_s=0.1)
    lines = [
        {
            "title": f"Harbour bridge reopens after repairs {i}",
            "outlet": f"Outlet {i}",
            "url": f"https://outlet{i}.example/bridge",
            "date": "2024-05-02T10:00:00Z",
            "text": "The harbour bridge reopened on Thursday after six weeks of repairs, "
            "the city said. Officials said traffic would be limited to two lanes until June.",
        }
        for i in range(2)
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    with running_server(settings) as base:
        before = httpx.get(f"{base}/health").json()["articles"]
        sent = httpx.post(
            f"{base}/api/v1/ingest/files",
            files={"files": ("bridge.jsonl", data)},
            headers=_bearer(tokens["editor"]),
        ).json()
        job_id = sent["jobs"][0]["job_id"]
        import time

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = httpx.get(f"{base}/api/v1/jobs/{job_id}").json()
            if job["status"] in {"done", "failed"}:
                break
            time.sleep(0.2)
        assert job["status"] == "done", job
        assert httpx.get(f"{base}/health").json()["articles"] == before + 2
        found = httpx.get(f"{base}/api/v1/search", params={"q": "harbour bridge"}).json()
        assert found["total"] == 2


def test_concurrent_reads_all_succeed(server: str) -> None:
    """Many requests at once: each gets a connection of its own, whatever thread runs it."""
    from concurrent.futures import ThreadPoolExecutor

    story = _main_story(server)
    paths = [
        f"/stories/{story['id']}",
        f"/api/v1/stories/{story['id']}",
        "/api/v1/stories?limit=50",
        f"/api/v1/stories/{story['id']}/report",
        "/",
    ] * 16
    with httpx.Client(base_url=server, timeout=60) as client, ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(lambda path: client.get(path).status_code, paths))
    assert codes == [200] * len(paths)
