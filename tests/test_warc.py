"""WARC/ARC reading: CC-NEWS-style archives, damaged archives, and ingest into SQLite.

Archives are written here with warcio's own writer, so the tests need no downloaded
crawl; `tests/data/records/ccnews.warc.gz` is one of them, kept for the fuzz tests.
"""

from __future__ import annotations

import gzip
import io
import tracemalloc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storylens.ingest import ingest
from storylens.readers import ReadOptions, read_inputs, read_stream
from storylens.readers import warc as warc_reader
from storylens.readers.base import MAX_DOCUMENT_BYTES, RawDocument, ReadFailure, ReadSkip
from storylens.store.sqlite import SQLiteStore

RECORDS = Path(__file__).parent / "data" / "records"

# An invented story, told by three invented outlets: text we wrote, free to commit.
STORY = [
    (
        "https://coastalherald.example/2021/10/24/harbour-bridge-closure",
        "Harbour Bridge to close for six weeks of repairs",
        [
            "The Harbour Bridge will close to all traffic for six weeks from 1 November "
            "while engineers replace corroded cables, the city transport office said on "
            "Sunday.",
            "Officials said the repairs would cost 14 million euros and that ferries would "
            "run every ten minutes during the closure to carry commuters across the bay.",
            '"We cannot wait any longer," said the transport director, Maria Lenz. "The '
            'cables are older than the people who drive over them."',
            "Shop owners on the north shore warned that the closure would cut their trade "
            "in the weeks before the holidays.",
        ],
    ),
    (
        "https://dailyledger.example/news/bridge-shut-six-weeks",
        "City shuts bridge for six weeks, ferries to fill gap",
        [
            "Commuters face six weeks without the Harbour Bridge after the city decided to "
            "replace its cables, a project the transport office put at 15 million euros.",
            "Transport director Maria Lenz said the work could not be delayed. Ferries will "
            "sail every ten minutes, she said.",
            "The bridge carries about 40,000 vehicles a day, according to city figures.",
        ],
    ),
    (
        "https://metrowire.example/a/8812",
        "Bridge closure: what commuters need to know",
        [
            "The Harbour Bridge closes on 1 November. Here is what changes for the 40,000 "
            "drivers who cross it each day.",
            "Extra ferries will run every ten minutes from both shores, and buses will "
            "divert over the river road, adding about twenty minutes to most journeys.",
            "The city says the repairs will cost 14 million euros and end by mid-December.",
        ],
    ),
]


def page_html(title: str, paragraphs: Sequence[str], charset: str = "utf-8") -> str:
    """A plain news page: head metadata, some furniture, an article body."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="{charset}">'
        f"<title>{title} | Example News</title>"
        f'<meta property="og:title" content="{title}"></head>\n'
        '<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>\n'
        f"<article><h1>{title}</h1>\n{body}\n</article>\n"
        "<footer>Copyright Example News. All rights reserved.</footer></body></html>\n"
    )


@dataclass
class Rec:
    """One record to write: a response by default."""

    url: str
    payload: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: str = "200 OK"
    rec_type: str = "response"
    extra_http: list[tuple[str, str]] = field(default_factory=list)
    extra_warc: dict[str, str] = field(default_factory=dict)


def write_warc(
    out: io.BufferedIOBase | io.BytesIO, records: Iterable[Rec], gz: bool = True
) -> None:
    """Write records with warcio, with fixed ids and dates so the bytes are reproducible."""
    writer = WARCWriter(out, gzip=gz)
    info = writer.create_warcinfo_record(
        "test.warc.gz",
        {"software": "storylens tests", "description": "CC-NEWS style"},
    )
    info.rec_headers.replace_header("WARC-Date", "2021-10-24T12:00:00Z")
    info.rec_headers.replace_header(
        "WARC-Record-ID", "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    )
    writer.write_record(info)
    for number, rec in enumerate(records, start=1):
        headers = {
            "WARC-Date": "2021-10-24T12:00:00Z",
            "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
            **rec.extra_warc,
        }
        http = None
        if rec.rec_type in ("response", "request", "revisit"):
            pairs = [("Content-Type", rec.content_type)] if rec.content_type else []
            pairs += rec.extra_http
            if rec.rec_type == "request":
                http = StatusAndHeaders("GET / HTTP/1.1", pairs, is_http_request=True)
            else:
                http = StatusAndHeaders(rec.status, pairs, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            rec.url,
            rec.rec_type,
            payload=io.BytesIO(rec.payload),
            length=len(rec.payload) if http is None else None,
            http_headers=http,
            warc_headers_dict=headers,
        )
        if http is None:
            record.rec_headers.replace_header(
                "Content-Type", rec.content_type or "application/octet-stream"
            )
        writer.write_record(record)


def warc_bytes(records: Iterable[Rec], gz: bool = True) -> bytes:
    out = io.BytesIO()
    write_warc(out, records, gz)
    return out.getvalue()


def story_records() -> list[Rec]:
    return [Rec(url, page_html(title, paras).encode()) for url, title, paras in STORY]


def chunked(data: bytes, size: int = 100) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size])
        for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def ccnews_records(huge: bool = True) -> list[Rec]:
    """CC-NEWS style: only responses; HTML, an image, a 404, a windows-1252 page, a huge one."""
    first, second, third = story_records()
    cp1252 = page_html(
        "Caf\u00e9 owners \u2018relieved\u2019 as bridge plan changes",
        ["The caf\u00e9s on the quay \u2013 twelve of them \u2013 were \u2018relieved\u2019."] * 4,
        charset="windows-1252",
    ).encode("cp1252")
    records = [
        first,
        Rec(
            "https://coastalherald.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(300), "image/png"
        ),
        Rec(
            "https://coastalherald.example/missing",
            page_html("Not found", ["Gone."]).encode(),
            status="404 Not Found",
        ),
        Rec("https://cafe.example/quay", cp1252, "text/html; charset=windows-1252"),
    ]
    if huge:
        records.append(
            Rec("https://huge.example/page", b"<html><body>" + b"x" * (MAX_DOCUMENT_BYTES + 10))
        )
    records += [second, third]
    return records


def documents(results: Iterable[object]) -> list[RawDocument]:
    return [r for r in results if isinstance(r, RawDocument)]


def failures(results: Iterable[object]) -> list[ReadFailure]:
    return [r for r in results if isinstance(r, ReadFailure)]


# ---------------------------------------------------------------------------- reading


def test_ccnews_style_archive(tmp_path: Path) -> None:
    path = tmp_path / "CC-NEWS-20211024120000-00001.warc.gz"
    with path.open("wb") as out:
        write_warc(out, ccnews_records())
    results = list(read_inputs([str(path)]))
    docs = documents(results)
    assert [d.url for d in docs] == [
        STORY[0][0],
        "https://cafe.example/quay",
        STORY[1][0],
        STORY[2][0],
    ]
    assert all(d.media_type == "text/html" and d.hint_source == "warc" for d in docs)
    assert all(d.source.startswith(f"{path}#") for d in docs)
    assert docs[1].encoding == "windows-1252"
    assert "published" not in docs[0].hints  # WARC-Date is a crawl date
    [huge] = failures(results)
    assert huge.source.startswith(f"{path}#") and "limit" in huge.reason
    # offsets point at the records: reading from there gives the same record
    offset = int(docs[2].source.rsplit("#", 1)[1])
    with path.open("rb") as handle:
        handle.seek(offset)
        again = next(
            iter(warc_reader._records(warc_reader._Archive(handle), "x", warc_reader._Counter()))
        )
    assert isinstance(again, RawDocument) and again.url == STORY[1][0]


def test_plain_warc_and_ingest(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    path.write_bytes(warc_bytes(story_records(), gz=False))
    db = tmp_path / "store.db"
    with SQLiteStore(db) as store:
        report = ingest([str(path)], store)
        assert report.stored == 3 and not report.failures
        again = ingest([str(path)], store)
        assert again.stored == 0 and again.present == 3
        articles = {a.url: a for a in store.iter_articles()}
    for url, title, paragraphs in STORY:
        article = articles[url]
        assert article.title == title
        assert paragraphs[1][:60] in article.text
        # WARC-Date (2021-10-24T12:00:00Z) is a crawl date and must not become `published`:
        # only the first URL carries a date, which the URL itself states
        if "/2021/10/24/" in url:
            assert article.provenance["published"].source not in ("warc", "http")
        else:
            assert article.published is None
        assert article.source.startswith(f"{path}#")


def test_ingest_ccnews_gz_reports_huge_record(tmp_path: Path) -> None:
    path = tmp_path / "news.warc.gz"
    path.write_bytes(warc_bytes(ccnews_records()))
    with SQLiteStore(tmp_path / "s.db") as store:
        report = ingest([str(path)], store)
        assert report.stored == 4
        assert len(report.failures) == 1 and "limit" in report.failures[0]
        titles = {a.title for a in store.iter_articles()}
    assert "Caf\u00e9 owners \u2018relieved\u2019 as bridge plan changes" in titles


def test_non_article_records_are_skipped_silently() -> None:
    html = page_html("A page", ["Words enough to be an article."] * 3).encode()
    records = [
        Rec("https://a.example/", b"", rec_type="request"),
        Rec("urn:x", b'{"fetchTimeMs": 12}', "application/json", rec_type="metadata"),
        Rec("https://a.example/r", b"", status="200 OK", rec_type="revisit"),
        Rec("https://a.example/moved", html, status="301 Moved Permanently"),
        Rec("https://a.example/json", b"{}", "application/json"),
        Rec("https://a.example/x", html, "application/xhtml+xml"),
        Rec("https://a.example/nohttp", html, "text/html", rec_type="resource"),
    ]
    results = list(read_stream(io.BytesIO(warc_bytes(records)), "t.warc.gz"))
    assert [r.url for r in documents(results)] == ["https://a.example/x"]
    assert not failures(results)


def test_identified_payload_type_stands_in_for_a_missing_content_type() -> None:
    html = page_html("Untyped", ["A server that sent no Content-Type."] * 3).encode()
    records = [
        Rec(
            "https://a.example/untyped",
            html,
            content_type=None,
            extra_warc={"WARC-Identified-Payload-Type": "text/html"},
        ),
        Rec("https://a.example/unknown", html, content_type=None),
    ]
    docs = documents(read_stream(io.BytesIO(warc_bytes(records)), "t.warc.gz"))
    assert [d.url for d in docs] == ["https://a.example/untyped"]


def test_only_non_html_records_is_a_skip_and_empty_is_a_failure() -> None:
    png = Rec("https://a.example/i.png", b"\x89PNG", "image/png")
    [skip] = list(read_stream(io.BytesIO(warc_bytes([png])), "t.warc.gz"))
    assert isinstance(skip, ReadSkip) and "no HTML responses" in skip.reason
    [fail] = list(read_stream(io.BytesIO(b""), "t.warc"))
    assert isinstance(fail, ReadFailure) and "empty" in fail.reason


def test_chunked_and_gzip_content_encoding() -> None:
    html = page_html("Chunked page", ["Body text of the chunked page."] * 3).encode()
    records = [
        Rec("https://a.example/c", chunked(html), extra_http=[("Transfer-Encoding", "chunked")]),
        Rec("https://a.example/g", gzip.compress(html), extra_http=[("Content-Encoding", "gzip")]),
        Rec(
            "https://a.example/cg",
            chunked(gzip.compress(html), 50),
            extra_http=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
        ),
    ]
    docs = documents(read_stream(io.BytesIO(warc_bytes(records)), "t.warc.gz"))
    assert [d.data for d in docs] == [html, html, html]


def test_corrupt_content_encoding_fails_that_record_only() -> None:
    html = page_html("Page", ["Text."] * 3).encode()
    broken = gzip.compress(html * 50)
    broken = broken[:200] + bytes(200) + broken[400:]
    records = [
        Rec("https://a.example/bad", broken, extra_http=[("Content-Encoding", "gzip")]),
        Rec("https://a.example/good", html),
    ]
    results = list(read_stream(io.BytesIO(warc_bytes(records)), "t.warc.gz"))
    assert [r.url for r in documents(results)] == ["https://a.example/good"]
    [failure] = failures(results)
    assert "corrupt gzip" in failure.reason


ARC = (
    b"filedesc://sample.arc 0.0.0.0 20211024120000 text/plain 70\n"
    b"1 0 storylens\n"
    b"URL IP-address Archive-date Content-type Archive-length\n"
    b"\n"
)


def arc_record(url: str, payload: bytes, content_type: str = "text/html") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + payload
    head = f"{url} 192.0.2.1 20211024120000 {content_type} {len(http)}\n".encode()
    return head + http + b"\n"


def arc_bytes() -> bytes:
    first, second, _ = STORY
    return (
        ARC
        + arc_record(first[0], page_html(first[1], first[2]).encode())
        + arc_record("https://coastalherald.example/i.gif", b"GIF89a", "image/gif")
        + arc_record(second[0], page_html(second[1], second[2]).encode())
    )


def test_arc_files_plain_and_gzipped_per_record(tmp_path: Path) -> None:
    plain = arc_bytes()
    docs = documents(read_stream(io.BytesIO(plain), "sample.arc"))
    assert [d.url for d in docs] == [STORY[0][0], STORY[1][0]]
    members = [gzip.compress(ARC)] + [
        gzip.compress(arc_record(url, page_html(title, paras).encode()))
        for url, title, paras in STORY
    ]
    path = tmp_path / "sample.arc.gz"
    path.write_bytes(b"".join(members))
    docs = documents(read_inputs([str(path)]))
    assert [d.url for d in docs] == [url for url, _, _ in STORY]


def test_committed_fixture_reads() -> None:
    fixture = RECORDS / "ccnews.warc.gz"
    docs = documents(read_inputs([str(fixture)]))
    assert len(docs) == 4 and {d.encoding for d in docs} == {"utf-8", "windows-1252"}


# ---------------------------------------------------------------------------- damage


def read_bytes_as(name: str, data: bytes) -> list[object]:
    return list(read_stream(io.BytesIO(data), name))


def test_truncated_archives_keep_earlier_records() -> None:
    for gz in (True, False):
        data = warc_bytes(story_records(), gz=gz)
        for cut in (20, 200, 700):
            results = read_bytes_as("t.warc.gz" if gz else "t.warc", data[:-cut])
            assert [d.url for d in documents(results)] == [STORY[0][0], STORY[1][0]]
            [failure] = failures(results)
            assert failure.source.startswith("t.warc") and "#" in failure.source
            assert "truncated" in failure.reason


def test_corrupt_gzip_member_is_reported_and_reading_resumes() -> None:
    data = bytearray(warc_bytes(story_records()))
    second = _member_offsets(bytes(data))[2]  # warcinfo, story 1, story 2, story 3
    data[second + 40 : second + 90] = bytes(50)
    results = read_bytes_as("t.warc.gz", bytes(data))
    assert [d.url for d in documents(results)] == [STORY[0][0], STORY[2][0]]
    [failure] = failures(results)
    assert failure.source == f"t.warc.gz#{second}"


def test_garbage_between_plain_records_is_reported_and_reading_resumes() -> None:
    data = warc_bytes(story_records(), gz=False)
    at = data.index(b"WARC/1.0", data.index(STORY[1][0].encode()) + 1)
    damaged = data[:at] + b"some junk line\nand another\n\n" + data[at:]
    results = read_bytes_as("t.warc", damaged)
    assert [d.url for d in documents(results)] == [STORY[0][0], STORY[1][0], STORY[2][0]]
    assert len(failures(results)) == 1


def test_wrong_content_length_fails_the_record() -> None:
    data = warc_bytes(story_records(), gz=False)
    # make the first story's block 30 bytes longer than its Content-Length says
    end = data.index(b"</html>", data.index(STORY[0][0].encode())) + 7
    damaged = data[:end] + b"<!-- thirty bytes of surplus -->" + data[end:]
    results = read_bytes_as("t.warc", damaged)
    assert STORY[0][0] not in [d.url for d in documents(results)]
    assert STORY[2][0] in [d.url for d in documents(results)]
    assert failures(results)


def test_whole_file_gzip_is_read_when_seekable_and_refused_from_a_pipe(tmp_path: Path) -> None:
    data = gzip.compress(warc_bytes(story_records(), gz=False))
    path = tmp_path / "single.warc.gz"
    path.write_bytes(data)
    assert [d.url for d in documents(read_inputs([str(path)]))] == [u for u, _, _ in STORY]
    [refused] = list(warc_reader.read(_pipe(data), "<pipe>"))  # warcinfo comes first
    assert isinstance(refused, ReadFailure) and "gunzip" in refused.reason
    truncated = read_bytes_as("t.warc.gz", data[:-300])
    assert documents(truncated) and failures(truncated)


def test_pipe_stops_at_first_broken_record() -> None:
    data = warc_bytes(story_records(), gz=False)
    at = data.index(b"WARC/1.0", data.index(STORY[1][0].encode()) + 1)
    damaged = data[:at] + b"junk\njunk\n" + data[at:]
    results = list(warc_reader.read(_pipe(damaged), "<pipe>"))
    assert len(documents(results)) == 2 and len(failures(results)) == 1


def test_gzip_member_ending_on_a_read_block_boundary() -> None:
    """warcio reads 16 KiB blocks; a member ending exactly on one must not end the file."""
    import random

    noise = random.Random(7).randbytes(20000)  # incompressible: member size follows payload
    html = page_html("After the boundary", ["Still read."] * 3).encode()
    size = 15800
    for _ in range(40):
        data = warc_bytes(
            [
                Rec("https://a.example/blob", noise[:size], "image/png"),
                Rec("https://a.example/p", html),
            ]
        )
        end = _member_offsets(data)[2]  # warcinfo, blob, page
        if end == 16384:
            break
        size += 16384 - end if abs(16384 - end) > 1 else (1 if end < 16384 else -1)
    else:  # pragma: no cover - converges in a few steps
        pytest.fail("no payload size put a member end on 16384")
    assert [d.url for d in documents(read_bytes_as("t.warc.gz", data))] == ["https://a.example/p"]


def test_binary_and_newline_free_input_fail_fast() -> None:
    for data in (
        bytes(range(256)) * 100,
        b"\x00" * (3 * 1024 * 1024),
        b"WARC/1.0\r\n" + b"A" * 2_000_000,
    ):
        results = list(read_stream(io.BytesIO(data), "x", ReadOptions(format="warc")))
        assert len(results) == 1 and isinstance(results[0], ReadFailure)
        assert results[0].source == "x#0"


def test_content_type_parsing() -> None:
    parse = warc_reader.parse_content_type
    assert parse("text/html; charset=Windows-1252") == ("text/html", "windows-1252")
    assert parse('TEXT/HTML;charset="utf-8"') == ("text/html", "utf-8")
    assert parse("text/html; charset=nonsense-enc") == ("text/html", None)
    assert parse(None) == (None, None)


def test_memory_stays_flat_in_the_number_of_records() -> None:
    html = page_html("Page", ["A paragraph of article text that repeats."] * 20).encode()
    data = warc_bytes(
        (Rec(f"https://a.example/{i}", html) for i in range(1500)),
    )
    list(read_stream(io.BytesIO(warc_bytes([Rec("https://a.example/", html)])), "warm.warc.gz"))
    tracemalloc.start()
    try:
        count = 0
        for item in read_stream(io.BytesIO(data), "many.warc.gz"):
            assert isinstance(item, RawDocument)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1500
    uncompressed = 1500 * len(html)
    assert peak < uncompressed / 4, (peak, uncompressed)


# ---------------------------------------------------------------------------- helpers


class _Pipe(io.RawIOBase):
    """A readable stream that cannot seek or tell, like stdin."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _pipe(data: bytes) -> IO[bytes]:
    return cast(IO[bytes], _Pipe(data))


def _member_offsets(data: bytes) -> list[int]:
    """Start offsets of the gzip members of a per-record-gzipped archive."""
    offsets = []
    position = 0
    while position < len(data):
        offsets.append(position)
        decompressor = __import__("zlib").decompressobj(31)
        decompressor.decompress(data[position:])
        position = len(data) - len(decompressor.unused_data)
    return offsets


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """WARC reading never fetches anything; fail loudly if it tried."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during a WARC test")

    monkeypatch.setattr(ReadOptions, "get_fetcher", refuse)
