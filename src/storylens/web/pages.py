"""The web app's pages: server-rendered HTML over the same store and actions as the API.

Everything works without JavaScript (plain links and form posts; every post answers
303 to a page). Article text is untrusted: templates autoescape it, links are built here
from quoted ids, only http(s) URLs become links, and search hits are highlighted by
splitting the plain snippet into runs that the template wraps in `<mark>`, never by
building markup from strings. The one string shown unescaped is a stored analysis's
`report_html`, which our own autoescaping report templates rendered.

Reads take `require_reader`; every post takes an editor (`require_editor`) and this
session's CSRF token, except signing in, which needs only the CSRF token the sign-in page
put in the session.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, cast
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from storylens.present.articles import time_label
from storylens.present.report_html import clean_text, safe_url
from storylens.store.analyses import QuoteRow
from storylens.store.catalog import StoryFilter
from storylens.store.sqlite import SQLiteStore
from storylens.web import actions
from storylens.web.deps import (
    Principal,
    check_csrf,
    csrf_token,
    current_user,
    get_store,
    require_editor,
    require_reader,
    settings_of,
    surviving_story,
    wake_worker,
)
from storylens.web.templates import templates

__all__ = ["Run", "highlight", "router"]

PAGE_SIZE = 50
MAX_PAGE = 200
MAX_MEMBERS = 500  # articles listed on one story page
SEARCH_KINDS = ("articles", "quotes", "entities")
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_WORD = re.compile(r"[^\W_]+")  # a word as the FTS5 tokenizer cuts one
_QUERY_WORD = re.compile(r"[^\W_]+(\*)?")
_REFRESH_STATUSES = ("queued", "running")


# --------------------------------------------------------------------------- errors as pages


class _PageRoute(APIRoute):
    """A route whose refusals (401, 403, 404, 400 ...) are HTML pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:  # FastAPI's HTTPException included
                return error_page(request, exc.status_code, str(exc.detail), exc.headers)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
                    for e in exc.errors()
                )
                return error_page(request, 400, problems or "the request is not valid")

        return route


router = APIRouter(route_class=_PageRoute, include_in_schema=False)

Reader = Annotated[Principal | None, Depends(require_reader)]
Editor = Annotated[Principal, Depends(require_editor)]
Store = Annotated[SQLiteStore, Depends(get_store)]
CsrfField = Annotated[str | None, Form(alias="csrf_token")]


# --------------------------------------------------------------------------- helpers


def story_href(story_id: str) -> str:
    return "/stories/" + quote(story_id, safe="")


def article_href(article_id: str) -> str:
    return "/articles/" + quote(article_id, safe="")


def outlet_href(name: str) -> str:
    return "/outlets/" + quote(name, safe="")


class Links:
    """Paths to our own pages, built from quoted ids (templates call these)."""

    story = staticmethod(story_href)
    article = staticmethod(article_href)
    outlet = staticmethod(outlet_href)

    @staticmethod
    def search(q: str, kind: str = "articles") -> str:
        return "/search?" + urlencode({"q": q, "kind": kind})


def utc_label(iso: str | None) -> str:
    """An ISO 8601 instant as `YYYY-MM-DD HH:MM UTC` (the raw value if it will not parse)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return clean_text(iso)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def language_tag(tag: str | None) -> str | None:
    """A BCP 47-looking tag fit for a `lang` attribute, else None."""
    return tag if tag and _LANG_TAG.fullmatch(tag) else None


def source_name(source: str) -> str:
    """Where an article was read from, as readers may see it: a URL whole, a local file
    by its name only (the server's folders are nobody's business), as the report does."""
    if "://" in source.split("#", 1)[0]:
        return source
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def paragraphs(text: str) -> list[str]:
    """Article text as paragraphs (blank lines separate them in the store)."""
    return [p.strip() for p in clean_text(text).split("\n\n") if p.strip()]


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of a search snippet: plain text, marked when it matches a query term."""

    text: str
    mark: bool = False


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def highlight(snippet: str, query: str) -> list[Run]:
    """Split `snippet` into runs, marking the words the query asked for.

    Matching follows the full-text index (`catalog.fts_query`): whole words compared
    without case or diacritics, a word typed with a trailing `*` matching as a prefix.
    """
    exact: set[str] = set()
    prefixes: set[str] = set()
    for match in _QUERY_WORD.finditer(query):
        (prefixes if match.group(1) else exact).add(_fold(match.group(0).rstrip("*")))
    runs: list[Run] = []
    pos = 0
    text = clean_text(snippet)
    for match in _WORD.finditer(text):
        word = _fold(match.group())
        if word not in exact and not any(word.startswith(p) for p in prefixes):
            continue
        if match.start() > pos:
            runs.append(Run(text[pos : match.start()]))
        runs.append(Run(match.group(), True))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:]))
    return runs


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return max(low, min(high, number))


def _day(value: str | None, name: str, problems: list[str]) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        problems.append(f"{name}: {value!r} is not a date (YYYY-MM-DD); ignored")
        return None


def _local_path(target: str | None, default: str) -> str:
    """A redirect target on this site only (no scheme, no host, no `//`, no backslash)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x20 for ch in target)
    ):
        return default
    return target


def _user(request: Request) -> Principal | None:
    try:
        return current_user(request)
    except HTTPException:  # a bad bearer token: its refusal is shown on its own
        return None


def _flash(request: Request, text: str, kind: Literal["ok", "error"] = "ok") -> None:
    request.session["flash"] = {"kind": kind, "text": text}


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page with what every page shows: who is signed in, the CSRF token, a flash."""
    user = _user(request)
    flash = request.session.pop("flash", None) if request.session else None
    # Anonymous readers get no session cookie; the sign-in page makes its own token.
    token = csrf_token(request) if user is not None and user.via == "session" else ""
    full = {
        "request": request,
        "user": user,
        "csrf_token": token,
        "flash": flash if isinstance(flash, dict) else None,
        "links": Links,
        "utc": utc_label,
        "safe_url": safe_url,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates().TemplateResponse(
        request, name, full, status_code=status_code, headers=dict(headers or {})
    )
    if user is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def error_page(
    request: Request,
    status_code: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    reasons: Sequence[str] = (),
) -> HTMLResponse:
    """A refusal as a page: the status, one line saying why, and a way on."""
    titles = {
        400: "Not done",
        401: "Sign in needed",
        403: "Not allowed",
        404: "Not found",
        413: "Too large",
    }
    return render(
        request,
        "pages/error.html.j2",
        {
            "status": status_code,
            "heading": titles.get(status_code, "Something went wrong"),
            "message": message,
            "reasons": list(reasons),
            "login_next": _this_page(request),
        },
        status_code=status_code,
        headers=headers,
    )


def _this_page(request: Request) -> str:
    """Where to come back to after signing in: this page, when it is one (a GET)."""
    if request.method != "GET":
        return ""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _pager(
    path: str, params: dict[str, str], start: int, size: int, total: int
) -> dict[str, str | None]:
    """The previous and next page links of a paged list (None at either end)."""

    def link(at: int) -> str:
        return path + "?" + urlencode({**params, "limit": size, "offset": at})

    return {
        "prev": link(max(0, start - size)) if start > 0 else None,
        "next": link(start + size) if start + size < total else None,
    }


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --------------------------------------------------------------------------- stories


@router.get("/", response_class=HTMLResponse)
def story_list(
    request: Request,
    store: Store,
    _: Reader,
    q: str | None = None,
    since: str | None = None,
    until: str | None = None,
    outlet: str | None = None,
    language: str | None = None,
    min_origins: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> HTMLResponse:
    """Stories, newest first: full-text search and filters, a page at a time."""
    problems: list[str] = []
    size = _int(limit, PAGE_SIZE, 1, MAX_PAGE)
    start = _int(offset, 0, 0, 10_000_000)
    origins = _int(min_origins, 0, 0, 10_000) or None
    story_filter = StoryFilter(
        q=(q or "").strip()[:500] or None,
        outlet=outlet or None,
        language=language or None,
        since=_day(since, "since", problems),
        until=_day(until, "until", problems),
        min_origins=origins,
    )
    page = store.catalog.stories(story_filter, limit=size, offset=start)
    params = {
        "q": story_filter.q or "",
        "since": story_filter.since or "",
        "until": story_filter.until or "",
        "outlet": story_filter.outlet or "",
        "language": story_filter.language or "",
        "min_origins": str(origins or ""),
    }
    kept = {k: v for k, v in params.items() if v}
    return render(
        request,
        "pages/stories.html.j2",
        {
            "page": page,
            "filters": params,
            "filtered": bool(kept),
            "problems": problems,
            "outlets": store.catalog.outlet_names(),
            "languages": store.catalog.languages(),
            **_pager("/", kept, start, size, page.total),
        },
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: str, store: Store, _: Reader) -> Response:
    """One story: the stored comparison when there is one, its articles, editors' tools."""
    survivor = surviving_story(store, story_id)
    if survivor != story_id:
        return _see_other(story_href(survivor))
    item = store.catalog.story(story_id)
    if item is None:
        raise HTTPException(404, f"story {story_id!r} has no articles")
    members = store.catalog.articles(story_id=story_id, limit=MAX_MEMBERS).items
    stored = store.analyses.fragment(story_id)
    analysis, report_html = stored if stored else (None, None)
    stale = analysis is not None and not analysis.fresh_for(store.stories.members(story_id))
    return render(
        request,
        "pages/story.html.j2",
        {
            "story": item,
            "members": members,
            "more_members": max(0, item.article_count - len(members)),
            "analysis": analysis,
            "report_html": report_html,
            "stale": stale,
            "report_assets": analysis is not None,
        },
    )


@router.post("/stories/{story_id}/merge")
def merge_post(
    request: Request,
    story_id: str,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    other: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Merge another story with this one; the older id survives."""
    check_csrf(request, csrf)
    try:
        survivor = actions.merge_stories(store, story_id, other.strip(), editor.name)
    except actions.ActionRefused as exc:
        return error_page(request, 400, str(exc))
    wake_worker(request)
    _flash(request, f"Merged: story {survivor} now holds both stories' articles.")
    return _see_other(story_href(survivor))


@router.post("/stories/{story_id}/split")
def split_post(
    request: Request,
    story_id: str,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    article: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    """Split the chosen articles off into a new story."""
    check_csrf(request, csrf)
    try:
        new_id = actions.split_story(store, story_id, article or [], editor.name)
    except actions.ActionRefused as exc:
        return error_page(request, 400, str(exc))
    wake_worker(request)
    chosen = len(set(article or []))
    _flash(request, f"Split: {chosen} article{'s' if chosen != 1 else ''} now form story {new_id}.")
    return _see_other(story_href(new_id))


@router.post("/stories/{story_id}/move")
def move_post(
    request: Request,
    story_id: str,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    article: Annotated[str, Form(max_length=200)] = "",
    target: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Move one of this story's articles into another story."""
    check_csrf(request, csrf)
    if not article:
        return error_page(request, 400, "choose the article to move")
    if store.stories.story_of(article) != surviving_story(store, story_id):
        return error_page(request, 400, f"article {article!r} is not in story {story_id!r}")
    try:
        after = actions.move_article(store, article, target.strip(), editor.name)
    except actions.ActionRefused as exc:
        return error_page(request, 400, str(exc))
    wake_worker(request)
    _flash(request, f"Moved article {article} into story {after}.")
    if store.stories.members(story_id):
        return _see_other(story_href(story_id))
    return _see_other(story_href(after))


# --------------------------------------------------------------------------- articles


def _quotes_of(store: SQLiteStore, article_id: str) -> list[QuoteRow]:
    """The quotes the analysis of the article's story indexed, in text order."""
    rows = store.conn.execute(
        "SELECT article_id, speaker, text, start, end FROM quote_index "
        "WHERE article_id = ? ORDER BY start, id",
        (article_id,),
    )
    return [QuoteRow(*row) for row in rows]


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str, store: Store, _: Reader) -> HTMLResponse:
    """One article: where and when it was published, its text, its story, its quotes."""
    article = store.get(article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id!r}")
    duplicate_of, similarity = store.duplicate_info(article_id)
    story_id = store.stories.story_of(article_id)
    story = store.catalog.story(story_id) if story_id else None
    return render(
        request,
        "pages/article.html.j2",
        {
            "article": article,
            "outlet": article.outlet.name if article.outlet else None,
            "url": safe_url(article.url),
            "lang": language_tag(article.language),
            "published": time_label(article.published),
            "original_time": article.published.original if article.published else None,
            "paragraphs": paragraphs(article.text),
            "source": source_name(article.source),
            "story_id": story_id,
            "indexed": story is not None and story.analysed,
            "quotes": _quotes_of(store, article_id),
            "duplicate_of": duplicate_of,
            "similarity": similarity,
        },
    )


# --------------------------------------------------------------------------- outlets


@router.get("/outlets", response_class=HTMLResponse)
def outlet_list(
    request: Request,
    store: Store,
    _: Reader,
    limit: str | None = None,
    offset: str | None = None,
) -> HTMLResponse:
    """Every outlet with its article and story counts."""
    size = _int(limit, 100, 1, 500)
    start = _int(offset, 0, 0, 10_000_000)
    page = store.catalog.outlets(limit=size, offset=start)
    return render(
        request,
        "pages/outlets.html.j2",
        {"page": page, **_pager("/outlets", {}, start, size, page.total)},
    )


@router.get("/outlets/{name:path}", response_class=HTMLResponse)
def outlet_page(
    request: Request,
    name: str,
    store: Store,
    _: Reader,
    limit: str | None = None,
    offset: str | None = None,
) -> HTMLResponse:
    """One outlet: its stories, and what it tends to add or leave out."""
    size = _int(limit, PAGE_SIZE, 1, MAX_PAGE)
    start = _int(offset, 0, 0, 10_000_000)
    profile = store.catalog.outlet(name, size, start)
    if profile is None:
        raise HTTPException(404, f"no outlet {name!r}")
    return render(
        request,
        "pages/outlet.html.j2",
        {"profile": profile, **_pager(outlet_href(name), {}, start, size, profile.stories.total)},
    )


# --------------------------------------------------------------------------- search


@dataclass(frozen=True, slots=True)
class HitView:
    """A search hit as the page shows it: the snippet cut into highlighted runs."""

    kind: str
    article_id: str
    story_id: str | None
    title: str | None
    speaker: str | None
    label: str | None
    count: int | None
    runs: tuple[Run, ...]


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    store: Store,
    _: Reader,
    q: str | None = None,
    kind: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> HTMLResponse:
    """Full-text search over articles, quotes or entities."""
    query = (q or "").strip()[:500]
    chosen = kind if kind in SEARCH_KINDS else "articles"
    size = _int(limit, 20, 1, 100)
    start = _int(offset, 0, 0, 10_000_000)
    hits: list[HitView] = []
    total = 0
    links: dict[str, str | None] = {"prev": None, "next": None}
    if query:
        page = store.catalog.search(
            query, cast(Literal["articles", "quotes", "entities"], chosen), size, start
        )
        total = page.total
        hits = [
            HitView(
                h.kind,
                h.article_id,
                h.story_id,
                h.title,
                h.speaker,
                h.label,
                h.count,
                tuple(highlight(h.snippet, query)),
            )
            for h in page.items
        ]
        links = _pager("/search", {"q": query, "kind": chosen}, start, size, total)
    return render(
        request,
        "pages/search.html.j2",
        {
            "q": query,
            "kind": chosen,
            "kinds": SEARCH_KINDS,
            "hits": hits,
            "total": total,
            "offset": start,
            **links,
        },
    )


# --------------------------------------------------------------------------- sign in


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form: an API token, exchanged for a session cookie."""
    csrf_token(request)  # the form posts it back; a fresh visitor gets a session here
    return _login_form(request, _local_path(next, ""))


def _login_form(
    request: Request, next_path: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "pages/login.html.j2",
        {"form_csrf": csrf_token(request), "next": next_path, "error": error},
        status_code=status_code,
    )


@router.post("/login")
def login_post(
    request: Request,
    store: Store,
    csrf: CsrfField = None,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Sign in with a token; the session then stands for it until sign-out or revocation."""
    check_csrf(request, csrf)
    info = store.tokens.verify(token.strip()) if token.strip() else None
    if info is None:
        return _login_form(
            request,
            _local_path(next, ""),
            "That token is not valid, or it has been revoked.",
            status_code=401,
        )
    request.session.clear()  # a new session: nothing carried over from before sign-in
    request.session["user"] = {"name": info.name, "token_id": info.id}
    request.scope.pop("storylens.principal", None)
    default = "/ingest" if info.role == "editor" else "/"
    _flash(request, f"Signed in as {info.name} ({info.role}).")
    return _see_other(_local_path(next, default))


@router.post("/logout")
def logout_post(request: Request, csrf: CsrfField = None) -> Response:
    """Sign out: the session is emptied."""
    check_csrf(request, csrf)
    request.session.clear()
    return _see_other("/")


# --------------------------------------------------------------------------- ingest


@router.get("/ingest", response_class=HTMLResponse)
def ingest_page(request: Request, store: Store) -> Response:
    """Editors' page: upload files, submit URLs and feeds, follow the background jobs."""
    if current_user(request) is None:
        return _see_other("/login?" + urlencode({"next": "/ingest"}))
    require_editor(request)
    jobs = store.jobs.recent(25, 0)
    return render(
        request,
        "pages/ingest.html.j2",
        {
            "jobs": jobs.items,
            "jobs_total": jobs.total,
            "feeds": store.jobs.feeds(),
            "polling": any(j.status in _REFRESH_STATUSES for j in jobs.items),
            "max_upload_mb": settings_of(request).max_upload_bytes / (1024 * 1024),
            "feed_interval_s": settings_of(request).feed_default_interval_s,
        },
    )


def _submission_result(request: Request, results: Sequence[actions.Submitted]) -> Response:
    queued = [s for s in results if s.job_id is not None]
    refused = [s.refused or s.input for s in results if s.refused]
    if not queued:
        return error_page(request, 400, "Nothing was queued.", reasons=refused)
    wake_worker(request)
    text = f"Queued {len(queued)} job{'s' if len(queued) != 1 else ''}"
    text += f" (#{', #'.join(str(s.job_id) for s in queued)})."
    if refused:
        text += " Refused: " + "; ".join(refused)
    _flash(request, text, "error" if refused else "ok")
    return _see_other("/ingest")


@router.post("/ingest/upload")
def upload_post(
    request: Request,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Queue uploaded files for ingest (pages, feeds, WARC, JSONL, CSV ...)."""
    check_csrf(request, csrf)
    settings = settings_of(request)
    uploads = [f for f in files or [] if f.filename or f.size]
    if not uploads:
        return error_page(request, 400, "choose at least one file to upload")
    results = []
    for upload in uploads:
        name = (upload.filename or "upload").replace("/", "_").replace("\\", "_")[:200]
        data = upload.file.read(settings.max_upload_bytes + 1)
        results.append(actions.submit_upload(store, settings, name or "upload", data, editor.name))
    return _submission_result(request, results)


@router.post("/ingest/urls")
def urls_post(
    request: Request,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    urls: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Queue article URLs for fetching, one a line."""
    check_csrf(request, csrf)
    lines = [line.strip() for line in urls.splitlines() if line.strip()]
    if not lines:
        return error_page(request, 400, "enter at least one URL, one a line")
    try:
        results = actions.submit_urls(store, settings_of(request), lines, editor.name)
    except actions.ActionRefused as exc:
        return error_page(request, 400, str(exc))
    return _submission_result(request, results)


@router.post("/ingest/feeds")
def feeds_post(
    request: Request,
    store: Store,
    editor: Editor,
    csrf: CsrfField = None,
    url: Annotated[str, Form(max_length=2048)] = "",
    interval_min: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Poll a feed on a schedule (and once now)."""
    check_csrf(request, csrf)
    if not url.strip():
        return error_page(request, 400, "enter the feed's URL")
    interval_s = None
    if interval_min.strip():
        try:
            interval_s = int(interval_min.strip()) * 60
        except ValueError:
            return error_page(
                request, 400, f"interval {interval_min!r} is not a whole number of minutes"
            )
    try:
        submitted = actions.add_feed(store, settings_of(request), url, interval_s, editor.name)
    except actions.ActionRefused as exc:
        return error_page(request, 400, str(exc))
    return _submission_result(request, [submitted])
