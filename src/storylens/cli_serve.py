"""`storylens serve` (web app + REST API) and `storylens token` (API tokens for it)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
from pathlib import Path

import click

from storylens.cli_common import db_option, existing_store

SETTINGS_ENV = "STORYLENS_SERVE_SETTINGS"


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Web processes (the background worker runs once, in this process).",
)
@click.option("--read-token-required", is_flag=True, help="Reads need an API token too.")
@click.option(
    "--allow-private-urls",
    is_flag=True,
    help="Let submitted URLs and feeds reach loopback and private networks.",
)
@click.option("--max-upload-mb", type=click.FloatRange(0.001), default=20.0, show_default=True)
@click.option(
    "--rate-limit",
    type=click.IntRange(0),
    default=600,
    show_default=True,
    help="Reads a minute per client (0 = no limit).",
)
@click.option(
    "--write-rate-limit",
    type=click.IntRange(0),
    default=60,
    show_default=True,
    help="Writes a minute per client (0 = no limit).",
)
@click.option("--no-worker", is_flag=True, help="Serve only: no ingest, feeds or analyses.")
@click.option("--tz", "zone", default="UTC", show_default=True, help="Zone reports show.")
@click.option("--trust-forwarded", is_flag=True, help="Behind a proxy: use X-Forwarded-For.")
@click.option("--secure-cookies", is_flag=True, help="Served over HTTPS: Secure cookies.")
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def serve_command(
    db: Path,
    host: str,
    port: int,
    workers: int,
    read_token_required: bool,
    allow_private_urls: bool,
    max_upload_mb: float,
    rate_limit: int,
    write_rate_limit: int,
    no_worker: bool,
    zone: str,
    trust_forwarded: bool,
    secure_cookies: bool,
    access_log: bool,
) -> None:
    """Serve the web app and REST API over the store at --db.

    Logs are JSON lines on stderr. Ctrl-C or SIGTERM stops gracefully: requests in
    flight finish, and queued ingests stay queued in the store for the next start.
    """
    import uvicorn

    from storylens.web.logs import configure_logging
    from storylens.web.settings import ServeSettings
    from storylens.web.worker import Worker

    configure_logging()
    settings = ServeSettings(
        db=db.resolve(),
        read_token_required=read_token_required,
        allow_private_urls=allow_private_urls,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        rate_limit_per_minute=rate_limit,
        write_rate_limit_per_minute=write_rate_limit,
        worker=False,  # the web processes only serve; the worker thread runs here, once
        zone=zone,
        trust_forwarded=trust_forwarded,
        secure_cookies=secure_cookies,
        access_log=access_log,
    )
    os.environ[SETTINGS_ENV] = settings_to_json(settings)
    # uvicorn stops on SIGINT/SIGTERM, then raises the signal again for the handler that
    # was there before it. Ours only notes it, so the worker below still hands back its
    # job and the process exits 0: a requested stop is a clean one.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _note_stop)
    worker = None if no_worker else Worker(settings)
    if worker is not None:
        worker.start()
    try:
        uvicorn.run(
            "storylens.web.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            proxy_headers=trust_forwarded,
            timeout_graceful_shutdown=30,
        )
    finally:
        if worker is not None:
            worker.stop(timeout=30.0)


def _note_stop(signum: int, frame: object) -> None:
    logging.getLogger("storylens.serve").info("stop requested", extra={"signal": signum})


def settings_to_json(settings: object) -> str:
    data = dataclasses.asdict(settings)  # type: ignore[call-overload]
    data["db"] = str(data["db"])
    return json.dumps(data)


@click.group("token")
def token_group() -> None:
    """API tokens for `storylens serve` (stored hashed; shown once)."""


@token_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["reader", "editor"]),
    default="editor",
    show_default=True,
    help="Editors may write (ingest, merge, split, move); readers only read.",
)
@db_option
def token_create(name: str, role: str, db: Path) -> None:
    """Make a token for NAME and print it (it cannot be shown again)."""
    from storylens.store import open_store

    with open_store(db) as store:
        token_id, plaintext = store.tokens.create(name, role)
    click.echo(plaintext)
    click.echo(f"token {token_id} for {name} ({role}); keep it secret", err=True)


@token_group.command("list")
@db_option
def token_list(db: Path) -> None:
    """The tokens: id, name, role, created, last used, revoked."""
    with existing_store(db) as store:
        for info in store.tokens.list():
            state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
            used = info.last_used_at or "never used"
            click.echo(f"{info.id}\t{info.name}\t{info.role}\t{info.created_at}\t{used}\t{state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int, db: Path) -> None:
    """Revoke a token by its id; sessions signed in with it end too."""
    with existing_store(db) as store:
        if not store.tokens.revoke(token_id):
            raise click.ClickException(f"no active token {token_id}")
    click.echo(f"revoked token {token_id}")


SERVE_COMMANDS = [serve_command, token_group]
