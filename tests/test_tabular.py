"""JSON Lines, JSON and CSV/TSV exports: field aliases, bad records, ingest into SQLite."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from storylens.ingest import ingest
from storylens.readers import ReadOptions, read_bytes, read_inputs
from storylens.readers import base as readers_base
from storylens.readers.base import RawDocument, ReadFailure
from storylens.readers.tabular import RecordMapper
from storylens.store.sqlite import SQLiteStore
from tests.conftest import DATA, need

RECORDS = Path(__file__).parent / "data" / "records"


def docs(results: list[Any]) -> list[RawDocument]:
    return [r for r in results if isinstance(r, RawDocument)]


def fails(results: list[Any]) -> list[ReadFailure]:
    return [r for r in results if isinstance(r, ReadFailure)]


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


# ---------------------------------------------------------------------------- real data


def test_allsides_export_reads_out_of_the_box(tmp_path: Path) -> None:
    source = need(DATA / "allsides" / "dev.jsonl")
    with source.open("rb") as handle:
        head = b"".join(handle.readline() for _ in range(30))
    rows = [json.loads(line) for line in head.splitlines()]
    path = tmp_path / "allsides.jsonl"
    path.write_bytes(head)

    results = list(read_inputs([str(path)]))
    assert not fails(results)
    found = docs(results)
    assert [d.hints["external_id"] for d in found] == [r["article_id"] for r in rows]
    assert [d.hints["outlet"] for d in found] == [r["outlet"] for r in rows]
    assert [d.hints["published"] for d in found] == [r["date"] for r in rows]
    assert [d.source for d in found] == [f"{path}#{n}" for n in range(1, 31)]

    with SQLiteStore(tmp_path / "s.db") as store:
        report = ingest([str(path)], store)
        assert report.stored == 30 and not report.failures
        assert ingest([str(path)], store).stored == 0
        stored = {a.external_id: a for a in store.iter_articles()}
    for row in rows:
        article = stored[row["article_id"]]
        assert article.outlet is not None and article.outlet.name == row["outlet"]
        assert article.published is not None
        assert article.published.local.date().isoformat() == row["date"]
        assert article.published.precision == "day" and not article.published.zone_known
        assert article.title == " ".join(row["title"].split())
        first = row["body"].split("\n")[0].strip()
        assert " ".join(first.split())[:80] in article.text
        assert article.url == row["url"]


# ---------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize(
    "name", ["articles.jsonl", "articles.csv", "articles.tsv", "articles.jsonl.gz"]
)
def test_fixture_exports_keep_external_ids(name: str, tmp_path: Path) -> None:
    path = RECORDS / name
    with SQLiteStore(tmp_path / "s.db") as store:
        report = ingest([str(path)], store)
        assert report.stored == 3 and not report.failures, report.failures
        assert ingest([str(path)], store).stored == 0
        articles = list(store.iter_articles())
    assert sorted(a.external_id or "" for a in articles) == ["bridge-0", "bridge-1", "bridge-2"]
    by_id = {a.external_id: a for a in articles}
    assert (
        by_id["bridge-0"].outlet is not None and by_id["bridge-0"].outlet.name == "Coastal Herald"
    )
    assert by_id["bridge-0"].published is not None and by_id["bridge-0"].published.zone_known
    assert by_id["bridge-1"].title == "City shuts bridge for six weeks, ferries to fill gap"
    assert "\n\n" in by_id["bridge-2"].text
    assert all(a.source.startswith(f"{path}#") for a in articles)


def test_newsplease_pretty_json_file() -> None:
    [doc] = docs(list(read_inputs([str(RECORDS / "newsplease.json")])))
    assert doc.source.endswith("newsplease.json#1")
    assert doc.hints["authors"] == ["Anna Berg", "Tom Ruiz"]
    assert doc.hints["published"] == "2021-10-24 09:15:00"  # date_publish, not date_download
    assert doc.hints["outlet_domain"] == "coastalherald.example"
    assert doc.hints["language"] == "en"
    assert doc.hints["summary"] and doc.hints["text"]


def test_json_array_file(tmp_path: Path) -> None:
    results = list(read_inputs([str(RECORDS / "array.json")]))
    assert [d.hints["external_id"] for d in docs(results)] == ["bridge-0", "bridge-1", "bridge-2"]
    assert [d.source.rsplit("#", 1)[1] for d in docs(results)] == ["1/0", "1/1", "1/2"]
    with SQLiteStore(tmp_path / "s.db") as store:
        assert ingest([str(RECORDS / "array.json")], store).stored == 3


def test_newsapi_wrapper_and_nested_values() -> None:
    payload = {
        "status": "ok",
        "totalResults": 1,
        "articles": [
            {
                "source": {"id": "bbc-news", "name": "BBC News"},
                "author": "Jo Bloggs",
                "title": "A title",
                "url": "https://www.bbc.co.uk/news/1",
                "publishedAt": "2021-10-24T10:00:00Z",
                "content": "The text [+1200 chars]",
            }
        ],
    }
    [doc] = docs(read_bytes(json.dumps(payload).encode(), "top.json"))
    assert doc.source == "top.json#1/articles/0"
    assert doc.hints["outlet"] == "BBC News"
    assert doc.hints["published"] == "2021-10-24T10:00:00Z"
    assert doc.url == "https://www.bbc.co.uk/news/1"


def test_fundus_style_body_and_html_objects() -> None:
    record = {
        "title": "Titel",
        "authors": [{"name": "A. Autor"}, "B. Autorin"],
        "publishing_date": "2024-05-03 10:00:00+02:00",
        "body": {
            "summary": ["Zusammenfassung."],
            "sections": [
                {"headline": [], "paragraphs": ["Erster Absatz.", "Zweiter Absatz."]},
                {"headline": ["Zwischentitel"], "paragraphs": ["Dritter Absatz."]},
            ],
        },
        "html": {"responded_url": "https://www.derstandard.at/story/1", "content": "<html></html>"},
    }
    [doc] = docs(read_bytes(jsonl(record), "fundus.jsonl"))
    assert doc.hints["text"] == (
        "Zusammenfassung.\n\nErster Absatz.\n\nZweiter Absatz.\n\nZwischentitel\n\nDritter Absatz."
    )
    assert doc.hints["authors"] == ["A. Autor", "B. Autorin"]
    assert doc.hints["published"] == "2024-05-03 10:00:00+02:00"
    assert doc.url == "https://www.derstandard.at/story/1"


# ---------------------------------------------------------------------------- fields


def test_aliases_match_without_case_or_punctuation() -> None:
    mapper = RecordMapper()
    record = {
        "Article_ID": 7,
        "Headline": "H",
        "MainText": "T",
        "Published At": "2021-01-01",
        "date_modify": "2021-01-02",
        "Site_Name": "Outlet",
        "Link": "https://x.example/a",
        "Lang": "de",
        "Byline": "A and B",
        "RAW_HTML": "<p>x</p>",
        "Description": "S",
    }
    assert mapper.hints(record) == {
        "external_id": "7",
        "title": "H",
        "text": "T",
        "published": "2021-01-01",
        "updated": "2021-01-02",
        "outlet": "Outlet",
        "url": "https://x.example/a",
        "language": "de",
        "authors": "A and B",
        "html": "<p>x</p>",
        "summary": "S",
    }


def test_specific_date_alias_wins_over_generic_date() -> None:
    hints = RecordMapper().hints({"date": "2021-01-01", "date_publish": "2021-02-02", "text": "x"})
    assert hints["published"] == "2021-02-02"


def test_epoch_times_become_utc_strings() -> None:
    mapper = RecordMapper()
    assert mapper.hints({"text": "x", "date": 1634976000})["published"] == "2021-10-23T08:00:00Z"
    assert mapper.hints({"text": "x", "date": 1634976000000})["published"] == "2021-10-23T08:00:00Z"
    assert mapper.hints({"text": "x", "date": "1634976000"})["published"] == "2021-10-23T08:00:00Z"
    assert "published" not in mapper.hints({"text": "x", "date": 12})


def test_column_mapping_overrides_defaults() -> None:
    data = jsonl({"id": "1", "text": "wrong", "abstract": "right", "ref": "R-1"})
    opts = ReadOptions(columns={"text": "Abstract", "id": "ref"})
    [doc] = docs(read_bytes(data, "a.jsonl", opts))
    assert doc.hints["text"] == "right" and doc.hints["external_id"] == "R-1"


def test_column_option_of_the_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "papers.csv"
    path.write_text(
        "ref,name,abstract\nP-1,A title,The abstract is the text here.\n", encoding="utf-8"
    )
    db = tmp_path / "s.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "storylens",
            "ingest",
            str(path),
            "--db",
            str(db),
            "--column",
            "text=abstract",
            "--column",
            "id=ref",
            "--column",
            "title=name",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with SQLiteStore(db) as store:
        [article] = list(store.iter_articles())
    assert (article.external_id, article.title) == ("P-1", "A title")
    assert article.text == "The abstract is the text here."


def test_bad_column_mapping_fails_the_file_once() -> None:
    [failure] = read_bytes(jsonl({"text": "x"}), "a.jsonl", ReadOptions(columns={"txt": "x"}))
    assert isinstance(failure, ReadFailure) and "unknown field 'txt'" in failure.reason
    csv_data = b"id,text\n1,x\n2,y\n"
    [failure] = read_bytes(csv_data, "a.csv", ReadOptions(columns={"text": "body"}))
    assert isinstance(failure, ReadFailure) and failure.source == "a.csv#1"
    assert "'body'" in failure.reason


# ---------------------------------------------------------------------------- bad records


def test_bad_json_lines_fail_one_by_one_and_the_file_goes_on() -> None:
    data = (
        jsonl({"id": "a", "text": "first"})
        + b"{not json\n"
        + b"[1, 2]\n"
        + b"\n"
        + jsonl({"id": "b", "title": "no body"})
        + b"\xff\xfe garbage \x00\n"
        + b"[" * 100_000
        + b"\n"
        + jsonl({"id": "c", "text": "last"})
    )
    results = read_bytes(data, "x.jsonl")
    assert [d.hints["external_id"] for d in docs(results)] == ["a", "c"]
    assert [f.source for f in fails(results)] == [
        "x.jsonl#2",
        "x.jsonl#3",
        "x.jsonl#5",
        "x.jsonl#6",
        "x.jsonl#7",
    ]
    assert "invalid JSON" in fails(results)[0].reason
    assert "not a JSON object" in fails(results)[1].reason
    assert "no text, html or summary" in fails(results)[2].reason


def test_csv_rows_with_wrong_field_count_fail_with_line_numbers() -> None:
    data = (
        b"ID,Title,Body\r\n"
        b'1,One,"a body\r\nover two lines"\r\n'
        b"2,Two\r\n"
        b"\r\n"
        b"3,Three,body three,extra\r\n"
        b"4,Four,body four\r\n"
    )
    results = read_bytes(data, "x.csv")
    assert [d.source for d in docs(results)] == ["x.csv#2", "x.csv#7"]
    assert docs(results)[0].hints["text"] == "a body\r\nover two lines"
    assert [(f.source, f.reason) for f in fails(results)] == [
        ("x.csv#4", "expected 3 fields, found 2"),
        ("x.csv#6", "expected 3 fields, found 4"),
    ]


def test_csv_without_a_text_column_fails_once() -> None:
    [failure] = read_bytes(b"id,title\n1,a\n2,b\n", "x.csv")
    assert isinstance(failure, ReadFailure) and "--column text=" in failure.reason


def test_delimiters_and_encodings() -> None:
    [doc] = docs(read_bytes(b"id;title;text\n1;t;body\n", "euro.csv"))
    assert doc.hints["text"] == "body"
    tsv = "id\ttitle\ttext\n1\tt\tcaf\u00e9 \u0436\n".encode("utf-16")
    [doc] = docs(read_bytes(tsv, "excel.tsv"))
    assert doc.hints["text"] == "caf\u00e9 \u0436"
    bom = b"\xef\xbb\xbfid,text\n1,x\n"
    [doc] = docs(read_bytes(bom, "bom.csv"))
    assert doc.hints["external_id"] == "1"


def test_legacy_encoded_lines_decode() -> None:
    text = "Правительство объявило о новых мерах поддержки малого бизнеса в регионах страны."
    data = json.dumps({"id": 1, "text": text}, ensure_ascii=False).encode("cp1251") + b"\n"
    [doc] = docs(read_bytes(data, "ru.jsonl"))
    assert doc.hints["text"] == text
    latin = "Les march\u00e9s fran\u00e7ais ont ouvert en hausse apr\u00e8s l'annonce."
    data = f"id,text\n1,{latin}\n".encode("latin-1")
    [doc] = docs(read_bytes(data, "fr.csv"))
    assert doc.hints["text"] == latin


def test_overlong_lines_fail_and_reading_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers_base, "MAX_DOCUMENT_BYTES", 1000)
    data = jsonl({"id": "a", "text": "x" * 2000}, {"id": "b", "text": "short"})
    results = read_bytes(data, "x.jsonl")
    assert [f.source for f in fails(results)] == ["x.jsonl#1"]
    assert "longer than" in fails(results)[0].reason
    assert [d.hints["external_id"] for d in docs(results)] == ["b"]
    csv_data = b"id,text\n1," + b"y" * 2000 + b"\n2,ok\n"
    results = read_bytes(csv_data, "x.csv")
    assert [f.source for f in fails(results)] == ["x.csv#2"]
    assert [d.hints["external_id"] for d in docs(results)] == ["2"]
    big = b"[\n" + b'{"text": "x"},\n' * 200 + b'{"text": "x"}\n]\n'
    [failure] = read_bytes(big, "x.json")
    assert isinstance(failure, ReadFailure) and "jq -c" in failure.reason


def test_empty_inputs_say_so() -> None:
    for name, data in (
        ("e.jsonl", b""),
        ("e.jsonl", b"\n\n"),
        ("e.csv", b""),
        ("h.csv", b"id,text\n"),
    ):
        [failure] = read_bytes(data, name)
        assert isinstance(failure, ReadFailure) and "empty input" in failure.reason


def test_ingest_keeps_external_ids_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        jsonl(
            {"doc_id": "X-1", "title": "One", "text": "The first article says one thing."},
            {"doc_id": "X-2", "title": "Two", "text": "The second article says another."},
        )
        + b"{broken\n"
    )
    with SQLiteStore(tmp_path / "s.db") as store:
        report = ingest([str(path)], store)
        assert report.stored == 2
        assert report.failures == [
            f"{path}#3: invalid JSON (Expecting property name enclosed in double quotes "
            "at column 2)"
        ]
        again = ingest([str(path)], store)
        assert again.stored == 0 and again.present == 2
        assert sorted(a.external_id or "" for a in store.iter_articles()) == ["X-1", "X-2"]
        assert store.resolve("X-2")


def test_memory_stays_flat_in_the_number_of_lines() -> None:
    line = json.dumps({"id": "n", "title": "t", "text": "word " * 400}).encode() + b"\n"
    data = line * 3000
    list(read_bytes_stream(line))  # imports and caches are not what is measured
    tracemalloc.start()
    try:
        count = sum(1 for item in read_bytes_stream(data) if isinstance(item, RawDocument))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert peak < len(data) / 4, (peak, len(data))


def read_bytes_stream(data: bytes) -> Any:
    from storylens.readers import read_stream

    return read_stream(io.BytesIO(data), "many.jsonl")
