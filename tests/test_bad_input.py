"""Bad and hostile inputs through `ingest` and the `storylens ingest` command.

Each input must end as a one-line failure naming it and saying why, or as a correct
article; the batch goes on past it, what was stored stays stored, and the command exits
nonzero when anything failed. The inputs are generated here (nothing large is committed).
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storylens.ingest import IngestEvent, IngestReport, ingest
from storylens.readers.base import MAX_DOCUMENT_BYTES
from storylens.store.sqlite import SQLiteStore
from tests.test_warc import STORY, page_html, story_records, warc_bytes

PARA_EN = (
    "The council voted on Tuesday to extend the night bus service to the northern "
    "suburbs, a decision that residents had demanded for years. "
)
PARA_FR = (
    "Le conseil municipal a vot\u00e9 mardi la prolongation du service de bus de nuit vers "
    "les quartiers nord, une d\u00e9cision que les r\u00e9sidents r\u00e9clamaient depuis "
    "des ann\u00e9es. "
)
PARA_RU = (
    "Городской совет во вторник проголосовал за продление ночного автобусного маршрута "
    "в северные районы, решение, которого жители добивались годами. "
)


def _noise(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def _truncated_gzip() -> bytes:
    words = random.Random(2).choices(PARA_EN.split(), k=20000)
    data = gzip.compress(" ".join(words).encode())
    return data[: len(data) // 2]


def _malformed_html() -> bytes:
    return (
        "<html><head><title>Night bus extended</title>\n<body class=main>"
        "<div id=content><article><h1>Night bus extended</h1>"
        f"<p>{PARA_EN}<p>{PARA_EN}<b><i>{PARA_EN}</b></i></span></table>"
        f"<p>{PARA_EN}</div></div></li><p>{PARA_EN}"
        "<script>var x = '</p>'; if (a < b) {}</script>"
    ).encode()


def _nested(tag: str, depth: int, closed: bool) -> bytes:
    inner = f"<p>{PARA_EN * 3}</p>"
    tail = f"</{tag}>" * depth if closed else ""
    return f"<html><body>{f'<{tag}>' * depth}{inner}{tail}</body></html>".encode()


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    expect: str  # "fail", "article", or "either"
    reason: str = ""  # a word the failure reason must contain
    text: str = ""  # a phrase the article text must contain


CASES = [
    Case("binary.bin", lambda: _noise(50_000), "fail"),
    Case("empty.txt", lambda: b"", "fail", "empty"),
    Case("empty.html", lambda: b"", "fail", "empty"),
    Case("empty.jsonl", lambda: b"", "fail", "empty"),
    Case("empty.csv", lambda: b"", "fail", "empty"),
    Case("empty.warc.gz", lambda: b"", "fail", "empty"),
    Case("whitespace.txt", lambda: b" \n\t\r\n ", "fail", "empty"),
    Case("truncated.txt.gz", _truncated_gzip, "fail", "gzip"),
    Case("garbage.gz", lambda: b"\x1f\x8b\x08\x00" + _noise(2000, 3), "fail"),
    Case(
        "latin1.txt", lambda: (PARA_FR * 4).encode("latin-1"), "article", text="d\u00e9cision que"
    ),
    Case("cp1251.txt", lambda: (PARA_RU * 4).encode("cp1251"), "article", text="Городской совет"),
    Case(
        "cp1251.html",
        lambda: (
            "<html><head><title>Ночной автобус</title></head><body><article>"
            + f"<h1>Ночной автобус</h1><p>{PARA_RU}</p><p>{PARA_RU}</p><p>{PARA_RU}</p>"
            + "</article></body></html>"
        ).encode("cp1251"),
        "article",
        text="проголосовал за продление",
    ),
    Case("malformed.html", _malformed_html, "either", text="night bus service"),
    Case("title-never-closed.html", lambda: b"<html><title>x" + PARA_EN.encode() * 5, "either"),
    Case("huge-line.txt", lambda: (PARA_EN * 7000).encode(), "either", text="night bus"),
    Case("nested-divs.html", lambda: _nested("div", 10_000, True), "either", text="night bus"),
    Case("nested-unclosed.html", lambda: _nested("b", 10_000, False), "either", text="night bus"),
    Case("nested-tables.html", lambda: _nested("table", 3000, True), "either", text="night bus"),
    Case(
        "rare-nul.txt",
        lambda: (PARA_EN * 6).replace("night", "ni\x00ght", 1).encode(),
        "article",
        text="voted on Tuesday",
    ),
    Case("many-nul.txt", lambda: b"\x00".join([PARA_EN.encode()] * 3) + b"\x00" * 200, "either"),
    Case(
        "rtl-overrides.txt",
        lambda: ("\u202eevil\u202c \u2067isolate\u2069 \u200f" + PARA_EN * 4).encode(),
        "article",
        text="extend the night bus",
    ),
    Case("deep.json", lambda: b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "fail"),
    Case("deep.jsonl", lambda: b"[" * 100_000 + b"\n", "fail", "JSON"),
    Case("bad-row.csv", lambda: b"id,text\n1,one,extra\n", "fail", "fields"),
    Case("truncated.warc.gz", lambda: warc_bytes(story_records())[:-300], "either"),
    Case("not-a-warc.warc", lambda: b"hello\nworld\n", "fail"),
]


@dataclass
class Outcome:
    report: IngestReport
    events: list[IngestEvent]
    store: SQLiteStore


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "inputs"
    folder.mkdir()
    for case in CASES:
        (folder / case.name).write_bytes(case.make())
    big = folder / "oversized.html"
    with big.open("wb") as out:  # just over the limit, written in pieces
        block = b"<p>" + b"filler text " * 1000 + b"</p>\n"
        while out.tell() <= MAX_DOCUMENT_BYTES:
            out.write(block)
    # a good input that sorts last: the batch must reach it
    (folder / "zz-good.txt").write_text(PARA_EN * 4, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def outcome(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    store = SQLiteStore(tmp_path_factory.mktemp("db") / "store.db")
    events: list[IngestEvent] = []
    report = ingest([str(inputs)], store, on_event=events.append)
    yield Outcome(report, events, store)
    store.close()


def _owned(event_source: str, path: Path) -> bool:
    return event_source == str(path) or event_source.startswith(f"{path}#")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_input_fails_in_one_line_or_gives_a_correct_article(
    case: Case, inputs: Path, outcome: Outcome
) -> None:
    path = inputs / case.name
    failed = [f for f in outcome.report.failures if _owned(f.split(": ", 1)[0], path)]
    stored = [
        e for e in outcome.events if e.kind in ("stored", "present") and _owned(e.source, path)
    ]
    assert failed or stored, f"{case.name}: neither stored nor reported"
    for line in failed:
        assert "\n" not in line and line.startswith(str(path))
        reason = line.split(": ", 1)[1]
        assert reason.strip() and len(reason) < 500
        assert case.reason.lower() in reason.lower()
    if case.expect == "fail":
        assert failed and not stored
    if case.expect == "article":
        assert stored and not failed, failed
    for event in stored:
        assert event.article_id
        article = outcome.store.get(event.article_id)
        assert article is not None and article.text.strip()
        assert "\x00" not in article.text
        if case.text and case.name != "truncated.warc.gz":
            assert case.text in article.text


def test_oversized_file_is_refused_without_reading_it_all(inputs: Path, outcome: Outcome) -> None:
    path = inputs / "oversized.html"
    [line] = [f for f in outcome.report.failures if f.startswith(str(path))]
    assert "limit" in line


def test_batch_reaches_the_last_input(inputs: Path, outcome: Outcome) -> None:
    good = [e for e in outcome.events if e.source == str(inputs / "zz-good.txt")]
    assert [e.kind for e in good] == ["stored"]


def test_truncated_warc_keeps_the_records_before_the_cut(inputs: Path, outcome: Outcome) -> None:
    path = inputs / "truncated.warc.gz"
    ids = [
        e.article_id
        for e in outcome.events
        if e.kind == "stored" and e.article_id and _owned(e.source, path)
    ]
    urls = {article.url for article in map(outcome.store.get, ids) if article is not None}
    assert urls == {STORY[0][0], STORY[1][0]}
    assert any(f.startswith(f"{path}#") for f in outcome.report.failures)


def test_failures_are_recorded_in_the_store(outcome: Outcome) -> None:
    rows = outcome.store.conn.execute("SELECT source, reason FROM ingest_failures").fetchall()
    assert len(rows) == outcome.report.failed


def test_stored_articles_survive_an_interrupted_batch(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.txt").write_text(f"Article number {n}. " + PARA_EN * 3, encoding="utf-8")
    db = tmp_path / "s.db"
    stored: list[str] = []

    def stop_after_two(event: IngestEvent) -> None:
        stored.append(event.source)
        if len(stored) == 2:
            raise KeyboardInterrupt

    with SQLiteStore(db) as store, pytest.raises(KeyboardInterrupt):
        ingest([str(folder)], store, on_event=stop_after_two)
    with SQLiteStore(db) as store:
        assert store.count() == 2
        report = ingest([str(folder)], store)
        assert (report.stored, report.present) == (2, 2)


def test_a_bug_in_extraction_fails_one_input_not_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storylens.extract import ExtractOptions, extract
    from storylens.model import Article
    from storylens.readers.base import RawDocument

    def flaky(raw: RawDocument, options: ExtractOptions | None = None) -> Article:
        if raw.source.endswith("1.txt"):
            raise RuntimeError("boom")
        return extract(raw, options)

    monkeypatch.setattr("storylens.ingest.extract", flaky)
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text(f"Story {n}. " + PARA_EN * 3, encoding="utf-8")
    with SQLiteStore(tmp_path / "s.db") as store:
        report = ingest([str(tmp_path / f"{n}.txt") for n in range(3)], store)
    assert report.stored == 2
    [line] = report.failures
    assert "1.txt" in line and "RuntimeError: boom" in line and "\n" not in line


# ---------------------------------------------------------------------------- the command


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storylens", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.timeout(300)
def test_cli_reports_each_failure_in_one_line_and_exits_nonzero(
    inputs: Path, outcome: Outcome, tmp_path: Path
) -> None:
    db = tmp_path / "cli.db"
    first = _cli("ingest", str(inputs), "--db", str(db))
    assert first.returncode == 1, first.stderr
    errors = [line for line in first.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == outcome.report.failed
    for line in errors:
        assert line.removeprefix("error: ").startswith(str(inputs))
    assert f"stored {outcome.report.stored}" in first.stdout
    assert "Traceback" not in first.stderr

    again = _cli("ingest", str(inputs), "--db", str(db), "--quiet")
    assert again.returncode == 1
    assert "stored 0" in again.stdout and f"already present {outcome.report.stored}" in again.stdout


def test_cli_exits_zero_when_nothing_failed(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(
        json.dumps({"id": "ok-1", "title": "Night bus", "text": PARA_EN * 2}) + "\n",
        encoding="utf-8",
    )
    done = _cli("ingest", str(path), "--db", str(tmp_path / "ok.db"))
    assert done.returncode == 0, done.stderr
    assert "stored 1" in done.stdout


def test_cli_reads_a_truncated_warc_from_stdin(tmp_path: Path) -> None:
    data = warc_bytes(story_records(), gz=False)[:-200]
    done = subprocess.run(
        [sys.executable, "-m", "storylens", "ingest", "-", "--db", str(tmp_path / "s.db")],
        input=data,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert b"stored 2" in done.stdout
    assert b"error: <stdin>#" in done.stderr


def test_cli_page_html_fixture_round_trip(tmp_path: Path) -> None:
    """A sanity check that the good path of the same command works on an HTML page."""
    page = tmp_path / "page.html"
    page.write_text(page_html(STORY[0][1], STORY[0][2]), encoding="utf-8")
    done = _cli("ingest", str(page), "--db", str(tmp_path / "p.db"))
    assert done.returncode == 0, done.stderr
