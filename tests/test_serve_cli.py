"""`storylens serve` and `storylens token` as a user runs them: real processes, real signals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from storylens.store.sqlite import SQLiteStore
from tests.conftest import REPO
from tests.serve_stores import examples_store

pytestmark = pytest.mark.timeout(600)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storylens", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(db: Path, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "storylens", "serve", "--db", str(db), "--port", str(port), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {process.communicate()[1][-2000:]}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _json_lines(text: str) -> list[dict[str, object]]:
    """The JSON log lines of a server's stderr."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=90)
    return process.returncode, err


def test_token_commands(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    made = _cli("token", "create", "alice", "--role", "reader", "--db", str(db))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("slk_") and "reader" in made.stderr
    with SQLiteStore(db) as store:
        assert store.tokens.verify(token) is not None
        wal = db.with_name("store.db-wal")
        raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert token.encode() not in raw, "tokens are stored hashed"
    listed = _cli("token", "list", "--db", str(db))
    assert "alice\treader" in listed.stdout
    token_id = listed.stdout.split("\t")[0]
    assert _cli("token", "revoke", token_id, "--db", str(db)).returncode == 0
    assert "revoked" in _cli("token", "list", "--db", str(db)).stdout
    again = _cli("token", "revoke", token_id, "--db", str(db))
    assert again.returncode != 0 and "no active token" in again.stderr


def test_serve_stops_gracefully_and_keeps_queued_ingests(tmp_path: Path) -> None:
    db = examples_store(tmp_path / "store.db")
    token = _cli("token", "create", "ed", "--db", str(db)).stdout.strip()
    pages = [
        (
            f"page{i}.html",
            f"<html><head><title>Ferry timetable change {i}</title></head><body><article>"
            f"<p>The ferry company changed its winter timetable on route {i}, adding two "
            "sailings a day from 3 December, the operator said.</p></article></body></html>",
        )
        for i in range(6)
    ]
    with _serving(db) as (base, process):
        sent = httpx.post(
            f"{base}/api/v1/ingest/files",
            files=[("files", (name, body.encode())) for name, body in pages],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 202
        job_ids = [j["job_id"] for j in sent.json()["jobs"]]
        assert len(job_ids) == 6
        code, err = _stop(process)
    assert code == 0, err[-2000:]
    logs = _json_lines(err)
    assert any(entry.get("message") == "stopped" for entry in logs), err[-2000:]
    assert any(entry.get("path") == "/api/v1/ingest/files" for entry in logs)
    with SQLiteStore(db) as store:
        states = {job_id: store.jobs.get(job_id) for job_id in job_ids}
    assert all(job is not None for job in states.values()), "no submitted job is lost"
    assert {job.status for job in states.values() if job} <= {"queued", "done"}

    with _serving(db) as (base, process):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            jobs = [httpx.get(f"{base}/api/v1/jobs/{i}").json() for i in job_ids]
            if all(j["status"] in {"done", "failed"} for j in jobs):
                break
            time.sleep(0.5)
        assert [j["status"] for j in jobs] == ["done"] * 6, jobs
        found = httpx.get(f"{base}/api/v1/search", params={"q": "ferry timetable"}).json()
        assert found["total"] == 6
        assert httpx.get(f"{base}/health").json()["worker_seen"] is not None
        code, _ = _stop(process)
    assert code == 0


def test_serve_two_workers_share_one_store(tmp_path: Path) -> None:
    db = examples_store(tmp_path / "store.db")
    with _serving(db, "--workers", "2", "--no-worker") as (base, process):
        for _ in range(40):
            response = httpx.get(f"{base}/api/v1/stories", headers={"Connection": "close"})
            assert response.status_code == 200
        health = httpx.get(f"{base}/health").json()
        assert health["worker_in_this_process"] is None and health["articles"] == 6
        assert health["worker_seen"] is None, "--no-worker: no worker has run on this store"
        code, err = _stop(process)
    assert code == 0, err[-2000:]
    logs = _json_lines(err)
    started = {e["message"] for e in logs if e["message"].startswith("Started server process")}
    assert len(started) == 2, f"two web processes served: {started}"
    served = [e for e in logs if e.get("path") == "/api/v1/stories"]
    assert len(served) == 40, "every web process writes its access log"


def test_serve_refuses_a_bad_port(tmp_path: Path) -> None:
    bad = _cli("serve", "--db", str(tmp_path / "x.db"), "--port", "70000")
    assert bad.returncode == 2 and "70000" in bad.stderr
