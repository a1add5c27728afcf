"""The ASGI application: REST API, web pages, static assets, health, background worker."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import compile_path

from storylens import __version__
from storylens.store.sqlite import SQLiteStore
from storylens.web import api, pages
from storylens.web.deps import get_store
from storylens.web.logs import AccessLogMiddleware, configure_logging
from storylens.web.pool import StorePool, StoreReleaseMiddleware
from storylens.web.ratelimit import RateLimitMiddleware
from storylens.web.security import SecurityHeadersMiddleware
from storylens.web.settings import ServeSettings

log = logging.getLogger("storylens.serve")
SESSION_COOKIE = "storylens_session"
_REPORT_ASSETS = {"report.css": "text/css", "report.js": "text/javascript"}


def session_secret(store: SQLiteStore) -> str:
    """The key that signs session cookies: made once, kept in the store, so sessions
    survive a restart and every worker process of one server agrees on it."""
    row = store.conn.execute(
        "SELECT value FROM server_settings WHERE key = 'session_secret'"
    ).fetchone()
    if row:
        return str(row[0])
    store.conn.execute(
        "INSERT OR IGNORE INTO server_settings (key, value) VALUES ('session_secret', ?)",
        (secrets.token_urlsafe(48),),
    )
    row = store.conn.execute(
        "SELECT value FROM server_settings WHERE key = 'session_secret'"
    ).fetchone()
    return str(row[0])


async def _with_every_allowed_method(request: Request, exc: Exception) -> Response:
    """FastAPI's own handling, except that a 405 lists every method the path allows:
    Starlette names only the first route that matched the path. The methods come from
    the OpenAPI document, so `Allow` and the document cannot disagree."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        methods = _documented_methods(request.app, request.url.path)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, exc)


def _documented_methods(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern, _, _ = compile_path(template)
        if pattern.match(path):
            methods |= {m.upper() for m in operations if m != "parameters"}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def create_app(settings: ServeSettings) -> FastAPI:
    """Build the app for one store. The worker starts and stops with the app's lifespan."""
    with SQLiteStore(settings.db) as store:  # creates/migrates the store before serving
        secret = session_secret(store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.worker:
            from storylens.web.worker import Worker

            worker = Worker(settings)
            worker.start()
        app.state.worker = worker
        log.info("serving", extra={"db": str(settings.db), "worker": settings.worker})
        try:
            yield
        finally:
            if worker is not None:
                worker.stop(timeout=10.0)
            pool.close()
            log.info("stopped", extra={"db": str(settings.db)})

    app = FastAPI(
        title="storylens",
        version=__version__,
        summary="Compare how news outlets report the same story.",
        docs_url=None,  # Swagger UI would load script from a CDN: offline and CSP forbid it
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.worker = None
    pool = StorePool(settings.db)
    app.state.store_pool = pool
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("storylens.web", "static")]), name="static")

    @app.get("/static-report/{name}", include_in_schema=False)
    def report_asset(name: str) -> Response:
        if name not in _REPORT_ASSETS:
            return Response(status_code=404)
        text = files("storylens.present").joinpath("templates/report", name).read_text("utf-8")
        return Response(
            text,
            media_type=_REPORT_ASSETS[name],
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @app.get("/health", tags=["operations"], summary="Liveness and queue state")
    def health(request: Request) -> JSONResponse:
        store = get_store(request)
        worker = request.app.state.worker
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "articles": store.count(),
                "stories": store.stories.count(),
                "jobs": store.jobs.counts(),
                "worker_in_this_process": None if worker is None else worker.alive,
                "worker_seen": store.jobs.worker_seen(),
            },
            headers={"Cache-Control": "no-store"},
        )

    app.add_exception_handler(StarletteHTTPException, _with_every_allowed_method)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=14 * 24 * 3600,
    )
    app.add_middleware(
        RateLimitMiddleware,
        reads_per_minute=settings.rate_limit_per_minute,
        writes_per_minute=settings.write_rate_limit_per_minute,
        trust_forwarded=settings.trust_forwarded,
    )
    app.add_middleware(StoreReleaseMiddleware, pool=pool)
    if settings.access_log:
        app.add_middleware(AccessLogMiddleware)
    return app


def app_from_environment() -> FastAPI:
    """The app for a `storylens serve` web process: settings come from the parent process
    (uvicorn starts each worker process by import string, so they travel in the
    environment), and so does nothing else: a spawned process sets up its own logging."""
    import json
    import os
    from pathlib import Path

    from storylens.cli_serve import SETTINGS_ENV

    configure_logging()
    data = json.loads(os.environ[SETTINGS_ENV])
    data["db"] = Path(data["db"])
    return create_app(ServeSettings(**data))
