"""The REST API (`/api/v1`): stories, articles, quotes, facts, search, ingest, overrides.

JSON in and out, described by the OpenAPI document at `/api/v1/openapi.json`. Reads are
paginated (`limit`, `offset`, and a `next` link) and carry ETags; a client that sends
`If-None-Match` gets 304 when nothing changed. Every write needs an editor's token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from storylens.store.catalog import StoryFilter, StoryListItem
from storylens.store.sqlite import SQLiteStore
from storylens.web import actions
from storylens.web.deps import (
    Principal,
    get_store,
    require_api_editor,
    require_reader,
    settings_of,
    surviving_story,
    wake_worker,
)

router = APIRouter()


class Problem(BaseModel):
    """An error: `detail` says what went wrong in one line."""

    detail: str


_ERROR: dict[str, Any] = {"model": Problem}

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the client's copy (If-None-Match) is current"},
    401: {"description": "A token is required or the one sent is invalid", **_ERROR},
    429: {"description": "Too many requests from this client", **_ERROR},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such item", **_ERROR}}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request was refused; `detail` says why", **_ERROR},
    401: {"description": "Writing needs an editor's API token", **_ERROR},
    403: {"description": "The token may only read, or the form's CSRF token is wrong", **_ERROR},
    409: {"description": "The edit conflicts with the stories as they are", **_ERROR},
    413: {"description": "The upload is larger than the server accepts", **_ERROR},
    429: {"description": "Too many requests from this client", **_ERROR},
}
Reader = Annotated[Principal | None, Depends(require_reader)]
Editor = Annotated[Principal, Depends(require_api_editor)]
Store = Annotated[SQLiteStore, Depends(get_store)]
Day = Annotated[
    str | None,
    Query(
        max_length=10, description="A day, YYYY-MM-DD (UTC)", json_schema_extra={"format": "date"}
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items")]


# -- models ---------------------------------------------------------------------------


class StoryOut(BaseModel):
    id: str
    title: str
    article_count: int
    outlets: list[str]
    languages: list[str]
    origins: int | None = Field(description="Independent origins (wire copies count once)")
    first_published: str | None = Field(description="Earliest member publication, UTC ISO 8601")
    last_published: str | None
    analysed: bool = Field(description="A stored comparison exists (it may be stale)")


class ArticleOut(BaseModel):
    id: str
    title: str | None
    outlet: str | None
    language: str | None
    url: str | None
    published: str | None = Field(description="UTC ISO 8601; null when the zone is unknown")
    story_id: str | None


class StoryPage(BaseModel):
    items: list[StoryOut]
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page, if any")


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    total: int
    limit: int
    offset: int
    next: str | None


class AnalysisStatus(BaseModel):
    computed_at: str
    version: str
    fresh: bool = Field(description="False when the story's members changed since")


class StoryDetail(StoryOut):
    articles: list[ArticleOut]
    analysis: AnalysisStatus | None


class ArticleDetail(ArticleOut):
    source: str = Field(description="The input it was read from: a path, URL or path#record")
    byline: list[str]
    published_earliest: str | None
    published_latest: str | None
    text: str


class FactsOut(BaseModel):
    story_id: str
    facts: list[dict[str, Any]]
    matrix: dict[str, Any]
    units: list[dict[str, Any]]


class QuotesOut(BaseModel):
    story_id: str
    quotes: list[dict[str, Any]]


class SearchHitOut(BaseModel):
    kind: str
    article_id: str
    story_id: str | None
    title: str | None
    snippet: str
    speaker: str | None


class SearchPage(BaseModel):
    items: list[SearchHitOut]
    total: int
    limit: int
    offset: int
    next: str | None


class OutletOut(BaseModel):
    name: str
    articles: int
    stories: int


class OutletPage(BaseModel):
    items: list[OutletOut]
    total: int
    limit: int
    offset: int
    next: str | None


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    payload: dict[str, Any]
    progress: str | None
    result: dict[str, Any] | None
    error: str | None
    submitted_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    limit: int
    offset: int
    next: str | None


class QueuedJob(BaseModel):
    input: str = Field(description="The file name or URL as submitted")
    job_id: int = Field(description="Follow it at /api/v1/jobs/{job_id}")


class Refusal(BaseModel):
    input: str
    reason: str = Field(description="Why it was refused, in one line")


class Submission(BaseModel):
    jobs: list[QueuedJob]
    refused: list[Refusal]


HttpUrlText = Annotated[
    str, Field(min_length=8, max_length=2048, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://")
]


class UrlSubmission(BaseModel):
    urls: list[HttpUrlText] = Field(min_length=1, max_length=actions.MAX_URLS_PER_REQUEST)


class FeedSubmission(BaseModel):
    url: HttpUrlText
    interval_s: int | None = Field(default=None, ge=actions.MIN_FEED_INTERVAL_S, le=7 * 86400)


class FeedOut(BaseModel):
    url: str
    interval_s: int
    next_poll_at: str
    last_polled_at: str | None
    last_status: str | None


class MergeRequest(BaseModel):
    other: str = Field(min_length=1, max_length=200, description="The story to merge in")


class SplitRequest(BaseModel):
    article_ids: list[str] = Field(min_length=1, max_length=1000)


class MoveRequest(BaseModel):
    story: str = Field(min_length=1, max_length=200, description="The story to move into")


class EditResult(BaseModel):
    story_id: str = Field(description="The surviving, new or target story")


# -- helpers --------------------------------------------------------------------------


def _etag(*parts: object) -> str:
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _cached(request: Request, body: BaseModel | dict[str, Any], etag: str) -> Response:
    """The body with its ETag, or 304 when the client already has it."""
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _client_has(request, etag):
        return Response(status_code=304, headers=headers)
    content = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return JSONResponse(content, headers=headers)


def _cached_json(request: Request, body: dict[str, Any]) -> Response:
    """The body with an ETag of its JSON, or 304 when the client already has it.

    Serialised once, as JSONResponse would, for both the response and the ETag.
    """
    content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    data = content.encode("utf-8")
    etag = f'W/"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _client_has(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


def _client_has(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return etag in {t.strip() for t in sent.split(",")}


def _next(request: Request, total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.url.include_query_params(offset=offset + limit, limit=limit))


def _page(request: Request, page: Any, items: list[Any]) -> dict[str, Any]:
    return {
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next": _next(request, page.total, page.limit, page.offset),
    }


def _story_out(item: Any) -> StoryOut:
    return StoryOut.model_validate(item, from_attributes=True)


def _story_json(item: StoryListItem) -> dict[str, Any]:
    """`_story_out(item).model_dump()`, built directly: a list has many items, and the
    catalog's are already of the right types."""
    return {
        "id": item.id,
        "title": item.title,
        "article_count": item.article_count,
        "outlets": list(item.outlets),
        "languages": list(item.languages),
        "origins": item.origins,
        "first_published": item.first_published,
        "last_published": item.last_published,
        "analysed": item.analysed,
    }


def _article_out(item: Any) -> ArticleOut:
    return ArticleOut.model_validate(item, from_attributes=True)


def _day(text: str | None) -> str | None:
    """A YYYY-MM-DD day that exists, or 422."""
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "date", "loc": ("query",), "msg": f"no such day: {text}", "input": text}]
        ) from exc


def _utc(value: Any) -> str | None:
    moment = value.utc if value is not None else None
    return moment.isoformat() if moment is not None else None


def _live_story(store: SQLiteStore, story_id: str) -> str:
    """The story's id, following merges; 404 when it never existed or is empty."""
    survivor = surviving_story(store, story_id)
    if not store.stories.members(survivor):
        raise HTTPException(404, f"story {story_id!r} has no articles")
    return survivor


def _report(store: SQLiteStore, story_id: str) -> tuple[dict[str, Any], str]:
    analysis = store.analyses.get(story_id)
    if analysis is None:
        raise HTTPException(404, f"story {story_id!r} has not been analysed yet; it is queued")
    return json.loads(analysis.report_json), _etag(story_id, analysis.computed_at)


def _refused(exc: actions.ActionRefused) -> HTTPException:
    return HTTPException(exc.status, str(exc))


# -- stories --------------------------------------------------------------------------


@router.get("/stories", response_model=StoryPage, responses=READ_ERRORS, tags=["stories"])
def list_stories(
    request: Request,
    store: Store,
    _: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=500, description="Full-text search")] = None,
    outlet: Annotated[str | None, Query(max_length=500)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    since: Day = None,
    until: Day = None,
    min_origins: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    min_articles: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> Response:
    """Live stories, newest first, filtered."""
    story_filter = StoryFilter(
        q=q or None,
        outlet=outlet or None,
        language=language or None,
        since=_day(since),
        until=_day(until),
        min_origins=min_origins,
        min_articles=min_articles,
    )
    page = store.catalog.stories(story_filter, limit=limit, offset=offset)
    return _cached_json(request, _page(request, page, [_story_json(s) for s in page.items]))


@router.get(
    "/stories/{story_id}",
    response_model=StoryDetail,
    responses={**READ_ERRORS, **NOT_FOUND},
    tags=["stories"],
)
def get_story(request: Request, story_id: str, store: Store, _: Reader) -> Response:
    """One story: its members and the state of its stored comparison."""
    story_id = _live_story(store, story_id)
    item = store.catalog.story(story_id)
    if item is None:
        raise HTTPException(404, f"no story {story_id!r}")
    articles = store.catalog.articles(story_id=story_id, limit=500).items
    analysis = store.analyses.header(story_id)
    status = None
    if analysis is not None:
        status = AnalysisStatus(
            computed_at=analysis.computed_at,
            version=analysis.version,
            fresh=analysis.fresh_for(store.stories.members(story_id)),
        )
    detail = StoryDetail(
        **_story_out(item).model_dump(),
        articles=[_article_out(a) for a in articles],
        analysis=status,
    )
    return _cached(request, detail, _etag(detail.model_dump(mode="json")))


@router.get(
    "/stories/{story_id}/report",
    responses={
        200: {"description": "The comparison (JSON schema storylens.compare/1)"},
        **READ_ERRORS,
        **NOT_FOUND,
    },
    tags=["stories"],
)
def get_report(request: Request, story_id: str, store: Store, _: Reader) -> Response:
    """The story's stored comparison, as `storylens compare --format json` writes it."""
    report, etag = _report(store, _live_story(store, story_id))
    return _cached(request, report, etag)


@router.get(
    "/stories/{story_id}/facts",
    response_model=FactsOut,
    responses={**READ_ERRORS, **NOT_FOUND},
    tags=["stories"],
)
def get_facts(request: Request, story_id: str, store: Store, _: Reader) -> Response:
    """The story's facts, which outlets carry each, and the claim units they group."""
    story_id = _live_story(store, story_id)
    report, etag = _report(store, story_id)
    body = FactsOut(
        story_id=story_id, facts=report["facts"], matrix=report["matrix"], units=report["units"]
    )
    return _cached(request, body, etag)


@router.get(
    "/stories/{story_id}/quotes",
    response_model=QuotesOut,
    responses={**READ_ERRORS, **NOT_FOUND},
    tags=["stories", "quotes"],
)
def get_story_quotes(request: Request, story_id: str, store: Store, _: Reader) -> Response:
    """Every quote of the story, grouped across outlets with each outlet's rendering."""
    story_id = _live_story(store, story_id)
    report, etag = _report(store, story_id)
    return _cached(request, QuotesOut(story_id=story_id, quotes=report["quotes"]), etag)


# -- articles, outlets, search --------------------------------------------------------


@router.get("/articles", response_model=ArticlePage, responses=READ_ERRORS, tags=["articles"])
def list_articles(
    request: Request,
    store: Store,
    _: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
    story_id: Annotated[str | None, Query(max_length=200)] = None,
    outlet: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Stored articles, newest first, optionally of one story or one outlet."""
    page = store.catalog.articles(story_id=story_id, outlet=outlet, limit=limit, offset=offset)
    body = _page(request, page, [_article_out(a).model_dump() for a in page.items])
    return _cached(request, body, _etag(body))


@router.get(
    "/articles/{article_id}",
    response_model=ArticleDetail,
    responses={**READ_ERRORS, **NOT_FOUND},
    tags=["articles"],
)
def get_article(request: Request, article_id: str, store: Store, _: Reader) -> Response:
    """One article with its text (as extracted; untrusted: escape it when you show it)."""
    article = store.get(article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id!r}")
    story_id = store.stories.story_of(article_id)
    published = article.published
    detail = ArticleDetail(
        id=article.id,
        title=article.title,
        outlet=article.outlet.name if article.outlet else None,
        language=article.language,
        url=article.url,
        published=_utc(published),
        story_id=story_id,
        source=article.source,
        byline=list(article.byline),
        published_earliest=published.earliest.isoformat() if published else None,
        published_latest=published.latest.isoformat() if published else None,
        text=article.text,
    )
    return _cached(request, detail, _etag(article.content_hash, story_id))


@router.get("/outlets", response_model=OutletPage, responses=READ_ERRORS, tags=["outlets"])
def list_outlets(
    request: Request, store: Store, _: Reader, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """Outlets in the store with their article and story counts."""
    page = store.catalog.outlets(limit=limit, offset=offset)
    items = [OutletOut(name=o.name, articles=o.articles, stories=o.stories) for o in page.items]
    body = _page(request, page, [o.model_dump() for o in items])
    return _cached(request, body, _etag(body))


@router.get(
    "/search",
    response_model=SearchPage,
    responses=READ_ERRORS,
    tags=["search"],
)
def search(
    request: Request,
    store: Store,
    _: Reader,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words to find")],
    kind: Annotated[Literal["articles", "quotes", "entities"], Query()] = "articles",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """Full-text search over article titles and text, quotes (with speakers), or entities."""
    page = store.catalog.search(q, kind, limit=limit, offset=offset)
    items = [
        SearchHitOut(
            kind=h.kind,
            article_id=h.article_id,
            story_id=h.story_id,
            title=h.title,
            snippet=h.snippet,
            speaker=h.speaker,
        ).model_dump()
        for h in page.items
    ]
    body = _page(request, page, items)
    return _cached(request, body, _etag(body))


@router.get("/quotes", response_model=SearchPage, responses=READ_ERRORS, tags=["quotes"])
def search_quotes(
    request: Request,
    store: Store,
    reader: Reader,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words in the quote")],
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """Quotes in analysed stories whose words or speaker match `q`."""
    return search(request, store, reader, q, "quotes", limit, offset)


# -- ingest -----------------------------------------------------------------------------


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing (413) as soon as it passes the limit."""
    chunks, size = [], 0
    while chunk := await upload.read(1 << 16):
        size += len(chunk)
        if size > limit:
            name = upload.filename or "upload"
            raise HTTPException(413, f"{name}: larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/ingest/files",
    status_code=202,
    response_model=Submission,
    responses=WRITE_ERRORS,
    tags=["ingest"],
)
async def ingest_files(
    request: Request,
    files: Annotated[
        list[UploadFile], File(min_length=1, description="Pages, feeds, WARC, JSONL, CSV…")
    ],
    editor: Editor,
) -> Submission:
    """Queue uploaded files for ingest; each becomes a job (see `/jobs/{id}`).
    Empty files are refused and listed under `refused`."""
    settings = settings_of(request)
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes * max(len(files), 1):
        raise HTTPException(413, f"request larger than {settings.max_upload_bytes} bytes a file")
    store = get_store(request)
    results = []
    for upload in files:
        data = await _read_limited(upload, settings.max_upload_bytes)
        name = (upload.filename or "upload").replace("/", "_")[:200] or "upload"
        results.append(actions.submit_upload(store, settings, name, data, editor.name))
    wake_worker(request)
    return _submission(results)


def _submission(results: list[actions.Submitted]) -> Submission:
    return Submission(
        jobs=[QueuedJob(input=s.input, job_id=s.job_id) for s in results if s.job_id is not None],
        refused=[Refusal(input=s.input, reason=s.refused) for s in results if s.refused],
    )


@router.post(
    "/ingest/urls",
    status_code=202,
    response_model=Submission,
    responses=WRITE_ERRORS,
    tags=["ingest"],
)
def ingest_urls(request: Request, body: UrlSubmission, store: Store, editor: Editor) -> Response:
    """Queue article URLs for fetching. Loopback, private and link-local hosts are refused:
    400 when every URL is refused, otherwise each refusal is listed beside the jobs."""
    try:
        results = actions.submit_urls(store, settings_of(request), body.urls, editor.name)
    except actions.ActionRefused as exc:
        raise _refused(exc) from exc
    wake_worker(request)
    if all(s.refused for s in results):
        return JSONResponse({"detail": "; ".join(s.refused or "" for s in results)}, 400)
    return JSONResponse(_submission(results).model_dump(), status_code=202)


@router.get(
    "/feeds",
    response_model=list[FeedOut],
    responses={**READ_ERRORS, 403: WRITE_ERRORS[403]},
    tags=["ingest"],
)
def list_feeds(store: Store, _: Editor) -> list[FeedOut]:
    """The feeds this server polls (editors only: feed URLs can be private)."""
    return [
        FeedOut(
            url=f.url,
            interval_s=f.interval_s,
            next_poll_at=f.next_poll_at,
            last_polled_at=f.last_polled_at,
            last_status=f.last_status,
        )
        for f in store.jobs.feeds()
    ]


@router.post(
    "/feeds", status_code=202, response_model=QueuedJob, responses=WRITE_ERRORS, tags=["ingest"]
)
def add_feed(request: Request, body: FeedSubmission, store: Store, editor: Editor) -> QueuedJob:
    """Poll a feed on a schedule; the first poll is queued now."""
    try:
        submitted = actions.add_feed(
            store, settings_of(request), body.url, body.interval_s, editor.name
        )
    except actions.ActionRefused as exc:
        raise _refused(exc) from exc
    wake_worker(request)
    assert submitted.job_id is not None  # add_feed raises instead of refusing quietly
    return QueuedJob(input=submitted.input, job_id=submitted.job_id)


@router.delete(
    "/feeds",
    status_code=204,
    responses={**WRITE_ERRORS, **NOT_FOUND},
    tags=["ingest"],
)
def remove_feed(
    store: Store,
    _: Editor,
    url: Annotated[str, Query(min_length=1, max_length=2048)],
) -> Response:
    """Stop polling a feed (what it brought stays)."""
    if not store.jobs.remove_feed(url):
        raise HTTPException(404, f"no feed {url!r}")
    return Response(status_code=204)


def _job_out(job: Any) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


@router.get("/jobs", response_model=JobPage, responses=READ_ERRORS, tags=["ingest"])
def list_jobs(
    request: Request, store: Store, _: Reader, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """Background work, newest first, with progress."""
    page = store.jobs.recent(limit, offset)
    body = _page(request, page, [_job_out(j).model_dump() for j in page.items])
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**READ_ERRORS, **NOT_FOUND},
    tags=["ingest"],
)
def get_job(job_id: Annotated[int, Path(ge=1, le=2**62)], store: Store, _: Reader) -> JobOut:
    """One job's state and progress."""
    job = store.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return _job_out(job)


# -- overrides ------------------------------------------------------------------------


def _edit(request: Request, edit: Callable[[], str]) -> EditResult:
    """Run an edit; its refusal becomes the matching HTTP error; the worker re-analyses."""
    try:
        story_id = edit()
    except actions.ActionRefused as exc:
        raise _refused(exc) from exc
    wake_worker(request)
    return EditResult(story_id=story_id)


@router.post(
    "/stories/{story_id}/merge",
    response_model=EditResult,
    responses={**WRITE_ERRORS, **NOT_FOUND},
    tags=["overrides"],
)
def merge_story(
    request: Request, story_id: str, body: MergeRequest, store: Store, editor: Editor
) -> EditResult:
    """Merge another story into this one (the older id survives); kept across regroupings."""
    _live_story(store, story_id)
    return _edit(request, lambda: actions.merge_stories(store, story_id, body.other, editor.name))


@router.post(
    "/stories/{story_id}/split",
    response_model=EditResult,
    responses={**WRITE_ERRORS, **NOT_FOUND},
    tags=["overrides"],
)
def split_story(
    request: Request, story_id: str, body: SplitRequest, store: Store, editor: Editor
) -> EditResult:
    """Split the given articles off into a new story."""
    _live_story(store, story_id)
    return _edit(
        request, lambda: actions.split_story(store, story_id, body.article_ids, editor.name)
    )


@router.post(
    "/articles/{article_id}/move",
    response_model=EditResult,
    responses={**WRITE_ERRORS, **NOT_FOUND},
    tags=["overrides"],
)
def move_article(
    request: Request, article_id: str, body: MoveRequest, store: Store, editor: Editor
) -> EditResult:
    """Move an article into another story."""
    if not store.has(article_id):
        raise HTTPException(404, f"no article {article_id!r}")
    return _edit(request, lambda: actions.move_article(store, article_id, body.story, editor.name))


@router.get("/overrides", responses=READ_ERRORS, tags=["overrides"])
def list_overrides(store: Store, _: Reader) -> list[dict[str, Any]]:
    """People's decisions (merge, split, move), in order; replayed after every regrouping."""
    return [o.to_dict() for o in store.stories.overrides()]
