"""The `storylens` command, run as a real subprocess against real files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS, need

SEED_000 = SEEDS / "000_dfa6510828831f01.txt"
SEED_001 = SEEDS / "001_2675c64fa28e9cb7.txt"


def run(
    *args: str,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storylens", *args],
        cwd=cwd,
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture
def dumps(tmp_path: Path) -> Path:
    """Three small text dumps of our own, one a near copy of another."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    body = (
        "The regional water authority said on Monday that reservoir levels had fallen to "
        "their lowest point in two decades, and announced a ban on garden hoses from June 1. "
        "Officials said the ban would stay in place until autumn rains refill the reservoirs."
    )
    (folder / "a.txt").write_text(
        f"Water ban announced\n\nPublished June 1, 2022 at 09:00 CET\n\n{body}\n"
    )
    (folder / "b.txt").write_text(
        f"Hosepipe ban from June\n\nPublished June 1, 2022 at 10:30 CET\n\n{body} More to follow.\n"
    )
    (folder / "c.txt").write_text(
        "Local team wins cup\n\nThe town's football club won the regional cup on Saturday "
        "after a penalty shoot-out that lasted eleven rounds, the longest in the cup's history.\n"
    )
    return folder


def test_extract_seed_000_json() -> None:
    need(SEED_000)
    result = run("extract", str(SEED_000), "--format", "json")
    assert result.returncode == 0, result.stderr
    (article,) = json.loads(result.stdout)
    assert article["title"] == (
        "Russia cannot prevent Ukraine from joining NATO but can minimise consequences: Kremlin"
    )
    assert article["byline"] == ["Bhavya Sukheja"]
    assert article["published"]["local"] == "2021-10-24T21:14:00+05:30"
    assert article["published"]["utc"] == "2021-10-24T15:44:00Z"
    for furniture in (
        "Advertisement",
        "Image:",
        "Reported by",
        "Updated October",
        "Published October",
    ):
        assert furniture not in article["text"]
    assert "raw" not in article and "data" not in article


def test_extract_seed_001_zone_unknown_unless_tz_given() -> None:
    need(SEED_001)
    result = run("extract", str(SEED_001), "--format", "json")
    assert result.returncode == 0, result.stderr
    (article,) = json.loads(result.stdout)
    assert article["title"] == (
        "Moscow Says Cannot Prevent Ukraine from Joining NATO But Can Minimize Its Consequences"
    )
    published = article["published"]
    assert published["local"] == "2021-10-25T02:51:00"
    assert published["zone_known"] is False and published["utc"] is None
    assert published["earliest"] == "2021-10-24T12:51:00Z"
    assert published["latest"].startswith("2021-10-25T14:51")
    assert article["publisher_ids"] == ["960351"]
    assert "Story Code" not in article["text"] and "date 2021-10-25 0" not in article["text"]

    pinned = run("extract", str(SEED_001), "--format", "json", "--tz", "Asia/Tehran")
    (article,) = json.loads(pinned.stdout)
    assert article["published"]["utc"] == "2021-10-24T23:21:00Z"
    assert "Asia/Tehran" in article["provenance"]["published"]["detail"]


def test_extract_jsonl_and_text_formats(dumps: Path) -> None:
    result = run("extract", str(dumps), "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(a["source"]).name for a in lines] == ["a.txt", "b.txt", "c.txt"]
    text = run("extract", str(dumps / "a.txt"), "--format", "text").stdout
    assert "Water ban announced" in text and "reservoir levels" in text


def test_extract_reads_stdin() -> None:
    result = run(
        "extract",
        "-",
        "--format",
        "jsonl",
        stdin=b"A headline\n\nThe body of the article is long enough to read as one.\n",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "<stdin>"


def test_bad_tz_is_a_usage_error(dumps: Path) -> None:
    result = run("extract", str(dumps / "a.txt"), "--tz", "Mars/Olympus")
    assert result.returncode == 2
    assert "unknown time zone" in result.stderr


def test_failures_are_one_line_each_and_the_batch_goes_on(dumps: Path, tmp_path: Path) -> None:
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run(
        "extract",
        str(tmp_path / "binary.txt"),
        str(dumps / "a.txt"),
        str(tmp_path / "empty.txt"),
        str(tmp_path / "missing.txt"),
        "--format",
        "jsonl",
    )
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 3
    assert any("binary.txt" in e and "binary" in e for e in errors)
    assert any("empty.txt" in e and "empty" in e for e in errors)
    assert any("missing.txt" in e and "no such file" in e for e in errors)


def test_ingest_is_idempotent_and_links_copies(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    first = run("ingest", str(dumps), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "stored 3 (1 linked as copies), already present 0" in first.stdout
    second = run("ingest", str(dumps / "*.txt"), "--db", str(db))
    assert "stored 0, already present 3" in second.stdout

    rows = [
        json.loads(line)
        for line in run("articles", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    ]
    assert [r["title"] for r in rows] == [
        "Water ban announced",
        "Hosepipe ban from June",
        "Local team wins cup",
    ]
    assert rows[1]["duplicate_of"] == rows[0]["id"]
    assert rows[0]["published"] == "2022-06-01T08:00:00Z"  # CET is UTC+1


def test_ingest_uses_env_db_and_reports_failures(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    (dumps / "zero.txt").write_bytes(b"")
    result = run("ingest", str(dumps), env={"STORYLENS_DB": str(db)})
    assert result.returncode == 1
    assert "stored 3" in result.stdout and "failed 1" in result.stdout
    assert "zero.txt: empty input" in result.stderr
    assert db.exists()


def test_articles_csv_and_parquet(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    run("ingest", str(dumps), "--db", str(db))
    rows = list(
        csv.DictReader(io.StringIO(run("articles", "--db", str(db), "--format", "csv").stdout))
    )
    assert len(rows) == 3 and rows[2]["title"] == "Local team wins cup"

    out = tmp_path / "articles.parquet"
    assert run("articles", "--db", str(db), "--format", "parquet", "-o", str(out)).returncode == 0
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == 3
    assert table.column("title").to_pylist()[0] == "Water ban announced"
    assert run("articles", "--db", str(db), "--format", "parquet").returncode == 2


def test_show_by_prefix_with_provenance(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    run("ingest", str(dumps), "--db", str(db))
    first = json.loads(run("articles", "--db", str(db), "--format", "jsonl").stdout.splitlines()[0])
    shown = run("show", first["id"][:8], "--db", str(db), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["id"] == first["id"]
    assert data["provenance"]["published"]["source"] == "text"
    assert len(data["copies"]) == 1 and "text" not in data
    table = run("show", first["id"], "--db", str(db), "--text").stdout
    assert "published" in table and "reservoir levels" in table
    assert run("show", "nothing-like-this", "--db", str(db)).returncode == 2


def test_commands_on_a_missing_store_say_so(tmp_path: Path) -> None:
    result = run("articles", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2 and "no store" in result.stderr
