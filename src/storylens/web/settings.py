"""What a `storylens serve` process is allowed to do, in one immutable object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Configuration of one server; the CLI builds it from flags, tests build it directly."""

    db: Path
    read_token_required: bool = False  # reads need a token (or an editor session) too
    allow_private_urls: bool = False  # submitted URLs may reach loopback/private hosts (tests)
    max_upload_bytes: int = 20 * 1024 * 1024
    rate_limit_per_minute: int = 600  # reads per client; 0 = off
    write_rate_limit_per_minute: int = 60  # writes per client; 0 = off
    worker: bool = True  # run the background worker (ingest, feeds, analyses) in this process
    feed_default_interval_s: int = 900
    poll_interval_s: float = 1.0  # how often an idle worker looks for work
    zone: str = "UTC"  # the zone reports show times in
    model: str | None = None  # spaCy model name; None = the packaged English model
    trust_forwarded: bool = False  # behind a reverse proxy: client address from X-Forwarded-For
    secure_cookies: bool = False  # set the session cookie's Secure flag (served over HTTPS)
    access_log: bool = True  # one JSON log line per request
