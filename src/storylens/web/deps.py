"""Request dependencies: the store of this thread, who is asking, and CSRF checks."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from storylens.store.sqlite import SQLiteStore
from storylens.web.pool import SCOPE_KEY, StorePool
from storylens.web.settings import ServeSettings

Role = Literal["reader", "editor"]
# Declares the bearer scheme in the OpenAPI document for the operations that need it.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    description="`storylens token create NAME --role editor` prints one; sent as a bearer token.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request: a named API token, or an editor signed in with one."""

    name: str
    role: Role
    via: Literal["token", "session"]
    token_id: int

    @property
    def can_write(self) -> bool:
        return self.role == "editor"


def settings_of(request: Request) -> ServeSettings:
    settings: ServeSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> SQLiteStore:
    """This request's store, checked out of the app's pool on first use (see `web.pool`)."""
    store: SQLiteStore | None = request.scope.get(SCOPE_KEY)
    if store is None:
        pool: StorePool = request.app.state.store_pool
        store = pool.acquire()
        request.scope[SCOPE_KEY] = store
    return store


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_user(request: Request) -> Principal | None:
    """The principal behind a bearer token or a signed-in session; None when anonymous.

    A bad token is an error (401), not anonymity: a client that sends one should hear so.
    A session whose token was revoked since sign-in counts as signed out.
    """
    cached = request.scope.get("storylens.principal", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    store = get_store(request)
    principal: Principal | None = None
    token = _bearer(request)
    if token is not None:
        info = store.tokens.verify(token)
        if info is None:
            raise HTTPException(401, "invalid or revoked API token", {"WWW-Authenticate": "Bearer"})
        principal = Principal(info.name, info.role, "token", info.id)
    elif "session" in request.scope:
        signed = request.session.get("user")
        if isinstance(signed, dict):
            info = store.tokens.active(int(signed.get("token_id", -1)))
            if info is not None:
                principal = Principal(info.name, info.role, "session", info.id)
            else:
                request.session.pop("user", None)
    request.scope["storylens.principal"] = principal
    return principal


def require_reader(request: Request) -> Principal | None:
    """Reads are open unless the server requires a token for them."""
    principal = current_user(request)
    if principal is None and settings_of(request).read_token_required:
        raise HTTPException(
            401, "this server requires an API token to read", {"WWW-Authenticate": "Bearer"}
        )
    return principal


def require_editor(
    request: Request,
    _: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
) -> Principal:
    """Every write needs an editor: a bearer token, or a signed-in session (plus CSRF)."""
    principal = current_user(request)
    if principal is None:
        raise HTTPException(
            401, "writing needs an editor's API token", {"WWW-Authenticate": "Bearer"}
        )
    if not principal.can_write:
        raise HTTPException(403, f"token {principal.name!r} may only read")
    return principal


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; forms carry it in `csrf_token`."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post whose CSRF token is missing or not this session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted:
        raise HTTPException(403, "missing CSRF token: reload the page and try again")
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise HTTPException(403, "CSRF token does not match this session: reload the page")


def require_api_editor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
) -> Principal:
    """An editor for an API write. A signed-in browser session must also send its CSRF
    token in `X-CSRF-Token`: a cookie alone could be another site's forged request."""
    principal = require_editor(request, credentials)
    if principal.via == "session":
        check_csrf(request, request.headers.get("x-csrf-token"))
    return principal


def wake_worker(request: Request) -> None:
    """Tell this process's worker (if it runs one) that work was queued, so it starts now."""
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()


def surviving_story(store: SQLiteStore, story_id: str) -> str:
    """The story's id after merges; 404 when no such story was ever made."""
    if not store.stories.exists(story_id):
        raise HTTPException(404, f"no story {story_id!r}")
    return store.stories.survivor(story_id)
