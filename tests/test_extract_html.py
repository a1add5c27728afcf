"""HTML extraction: body, structured metadata, encodings, failures and the time limit.

Fixture pages in tests/data/html were written for these tests (fictional news); the
AEB and Fundus checks read ../shared/data and skip when it is absent.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.extract.draft import ArticleDraft
from storylens.extract.html import (
    decode_html,
    extract_html,
    html_fragment_text,
    run_with_time_limit,
)
from storylens.extract.metadata import clean_byline, clean_title, outlet_keys
from storylens.model import Article
from storylens.readers.base import RawDocument
from tests.conftest import DATA, need

PAGES = Path(__file__).parent / "data" / "html"


def page(name: str, url: str | None = None, options: ExtractOptions | None = None) -> Article:
    raw = RawDocument(
        source=name,
        data=(PAGES / name).read_bytes(),
        media_type="text/html",
        url=url,
        hint_source="http",
    )
    return extract(raw, options)


# --------------------------------------------------------------------------- metadata


def test_json_ld_graph_with_offset_and_author_reference() -> None:
    article = page("jsonld_offset.html")
    assert article.title == "Storm damage keeps Port Merrow breakwater closed"
    # The author is an @id reference into the @graph; the ItemList's article is ignored.
    assert article.byline == ("Ana Lind",)
    published = article.published
    assert published is not None and published.zone == "+03:00"
    assert published.original == "2021-10-24T21:14:00+03:00"
    assert published.utc == datetime(2021, 10, 24, 18, 14, tzinfo=UTC)
    assert article.updated is not None and article.updated.original.startswith("2021-10-25")
    assert article.language == "en"
    assert article.url == "https://www.merrowgazette.example/news/2021/breakwater-closed"
    assert article.outlet is not None
    assert article.outlet.name == "Merrow Gazette"  # og:site_name, not the legal entity
    assert article.outlet.domain == "merrowgazette.example"
    assert article.provenance["published"].source == "json-ld"
    assert article.provenance["url"].detail == 'link rel="canonical"'


def test_meta_tags_only() -> None:
    article = page("meta_only.html")
    assert article.title == "Storm damage keeps Port Merrow breakwater closed"
    assert article.byline == ("Jane Doe", "John Roe")
    assert article.published is not None and article.published.zone == "+00:00"
    assert article.provenance["published"].detail == 'meta property="article:published_time"'
    assert article.updated is not None and article.updated.local.minute == 40
    assert article.url == "https://coasttimes.example/2021/10/24/breakwater"
    assert article.outlet is not None and article.outlet.name == "The Coast Times"
    assert article.provenance["title"].source == "meta"


def test_body_is_clean_paragraphs_without_navigation_or_title() -> None:
    article = page("jsonld_offset.html")
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("The harbour authority of Port Merrow")
    assert paragraphs[-1].startswith("The last major repair")
    assert len(paragraphs) == 6
    assert "Privacy" not in article.text and "Weather" not in article.text
    assert "Storm damage keeps" not in article.text


def test_no_date_stays_unknown() -> None:
    # The body mentions "1998": a year in running text is not a publication date.
    article = page("no_date.html")
    assert article.published is None
    assert article.updated is None


def test_zone_less_time_is_an_interval_not_utc() -> None:
    article = page("zoneless_date.html")
    published = article.published
    assert published is not None
    assert not published.zone_known and published.utc is None
    assert published.local == datetime(2021, 10, 24, 21, 14)
    assert published.latest - published.earliest > (published.latest - published.latest)
    assert published.earliest < datetime(2021, 10, 24, 21, 14, tzinfo=UTC) < published.latest


def test_zone_less_time_pinned_by_the_user() -> None:
    article = page("zoneless_date.html", options=ExtractOptions(default_tz="Europe/Moscow"))
    assert article.published is not None and article.published.utc is not None
    assert article.published.utc == datetime(2021, 10, 24, 18, 14, tzinfo=UTC)


def test_zone_less_json_ld_takes_the_zone_of_the_same_time_in_meta() -> None:
    article = page("zone_from_meta.html")
    published = article.published
    assert published is not None and published.zone == "+03:00"
    assert published.utc == datetime(2021, 10, 24, 18, 14, tzinfo=UTC)
    provenance = article.provenance["published"]
    assert provenance.source == "json-ld" and "zone from meta" in provenance.detail


def test_byline_variants_keep_people_and_wire_credits() -> None:
    # Hand-written JSON-LD with a // comment and trailing commas still parses.
    article = page("byline_variants.html")
    assert article.byline == ("Peter Nord", "Mia Holm", "Reuters")
    assert article.provenance["byline"].source == "json-ld"
    assert article.wire == ("Reuters",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
        (["Von Max Mustermann und Erika Musterfrau"], ("Max Mustermann", "Erika Musterfrau")),
        (["Ana Lind; Bo Berg"], ("Ana Lind", "Bo Berg")),
        (["JOHN SMITH"], ("John Smith",)),
        (["Mia Holm, Senior Correspondent"], ("Mia Holm",)),
        (["Staff"], ()),
        (["News Desk"], ()),
        (["Harbour Daily"], ()),
        (["Harbour Daily Staff"], ()),
        (["https://www.facebook.com/harbourdaily"], ()),
        (["Ana Lind (@analind)"], ("Ana Lind",)),
        (["ana@harbourdaily.example"], ()),
        (["Carrie Arnold November"], ("Carrie Arnold",)),
        (["Capital Von Jemima Kelly"], ("Jemima Kelly",)),
        (["Ursula von der Leyen"], ("Ursula von der Leyen",)),
        (["Associated Press"], ("Associated Press",)),
        (["Ana Lind", "ana lind"], ("Ana Lind",)),
    ],
)
def test_clean_byline(raw: list[str], expected: tuple[str, ...]) -> None:
    outlet = outlet_keys(["Harbour Daily"], "https://harbourdaily.example/a")
    assert clean_byline(raw, outlet) == expected


def test_site_name_suffix_is_stripped_from_titles() -> None:
    article = page("site_suffix.html")
    assert article.title == "Storm damage keeps Port Merrow breakwater closed"
    assert article.outlet is not None and article.outlet.name == "North Sea Radio News"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kremlin says talks will go on - BBC News", "Kremlin says talks will go on"),
        ("Kremlin says talks will go on | Reuters", "Kremlin says talks will go on"),
        ("Reuters | Kremlin says talks will go on", "Kremlin says talks will go on"),
        ("Kremlin: talks will go on", "Kremlin: talks will go on"),
        ("Talks - what happens next", "Talks - what happens next"),
    ],
)
def test_clean_title(title: str, expected: str) -> None:
    outlet = outlet_keys(["BBC News", "Reuters"], "https://www.bbc.co.uk/news/1")
    assert clean_title(title, outlet) == expected


# --------------------------------------------------------------------------- decoding


def test_windows_1251_page_declared_by_meta_charset() -> None:
    raw = (PAGES / "windows1251.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = page("windows1251.html")
    assert article.title == "Волнорез в Мерроу остаётся закрытым"
    assert "Администрация порта Мерроу" in article.text
    assert article.language == "ru"
    assert "\ufffd" not in article.text


def test_utf8_bytes_win_over_a_wrong_latin1_declaration() -> None:
    data = '<html><head><meta charset="iso-8859-1"></head><body>Café «ça»</body></html>'
    assert "Café «ça»" in decode_html(data.encode("utf-8"), "x")
    assert "Café" in decode_html(data.encode("cp1252"), "x")


# --------------------------------------------------------------------------- failures


def test_truncated_page_keeps_what_arrived() -> None:
    article = page("truncated.html")
    assert article.text.startswith("The harbour authority of Port Merrow")
    assert "older" in article.text and "southern quay" not in article.text
    assert article.published is not None and article.published.zone == "+03:00"


def test_page_without_article_body_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no article body found in HTML") as info:
        page("no_body.html")
    assert info.value.source == "no_body.html"


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01\x02binary\x00\x00" * 50, b"   \n  ", b"<html><body><p>Hi</p></body></html>"],
)
def test_unusable_input_is_a_one_line_input_error(data: bytes) -> None:
    draft = ArticleDraft(source="bad.html")
    with pytest.raises(InputError) as info:
        extract_html(data, draft, ExtractOptions())
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.html: ")


def test_html_fragment_from_a_record_column() -> None:
    paragraphs = [
        "The harbour authority said the northern breakwater would stay closed to small boats.",
        "Engineers will check every concrete block with divers before it reopens to traffic.",
    ]
    fragment = "".join(f"<p>{p}</p>" for p in paragraphs)
    raw = RawDocument(source="r.jsonl#3", data=b"{}", media_type="record", hints={"html": fragment})
    article = extract(raw)
    assert article.text == "\n\n".join(paragraphs)


def test_html_fragment_text() -> None:
    html = (
        "<p>One &amp; two</p><p>Three<br>Four <b>bold</b></p><script>alert(1)</script>"
        "<ul><li>item</li></ul>tail"
    )
    assert html_fragment_text(html) == "One & two\nThree\nFour bold\nitem\ntail"
    assert html_fragment_text("plain &lt;text&gt;") == "plain <text>"
    assert html_fragment_text("") == ""


# --------------------------------------------------------------------------- time limit


def _busy(seconds: float) -> int:
    """Pure-Python work that takes about `seconds` (a stand-in for a runaway page)."""
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        count += 1
    return count


def _workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "storylens-extract" and t.is_alive()}


def test_time_limit_interrupts_runaway_work_and_stops_the_worker() -> None:
    before = _workers()
    start = time.monotonic()
    with pytest.raises(InputError, match=r"extraction timed out after 0\.2 s"):
        run_with_time_limit(lambda: _busy(60), 0.2, "slow.html")
    assert time.monotonic() - start < 10  # generous: only "not 60 s" matters
    deadline = time.monotonic() + 10
    while _workers() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _workers() - before  # the abandoned worker was stopped, not left spinning


def test_time_limit_passes_results_and_errors_through() -> None:
    assert run_with_time_limit(lambda: 42, 5, "x") == 42
    assert run_with_time_limit(lambda: 7, None, "x") == 7

    def fail() -> None:
        raise InputError("x", "boom")

    with pytest.raises(InputError, match="boom"):
        run_with_time_limit(fail, 5, "x")


def _huge_page() -> bytes:
    paragraph = "<p>" + " ".join(["The harbour authority checked every block again."] * 20)
    return ("<html><body><article>" + (paragraph + "</p>\n") * 3000).encode() + b"</body></html>"


def test_time_limit_bounds_a_slow_page() -> None:
    draft = ArticleDraft(source="huge.html")
    start = time.monotonic()
    with pytest.raises(InputError, match="timed out"):
        extract_html(_huge_page(), draft, ExtractOptions(time_limit=0.05))
    assert time.monotonic() - start < 10
    assert draft.text == "" and not draft.values  # an abandoned page leaves no trace


def test_time_limit_works_off_the_main_thread() -> None:
    def run() -> str:
        draft = ArticleDraft(source="huge.html")
        try:
            extract_html(_huge_page(), draft, ExtractOptions(time_limit=0.05))
        except InputError as exc:
            return exc.reason
        return "finished"

    with ThreadPoolExecutor(max_workers=1) as pool:
        reason = pool.submit(run).result(timeout=60)
    assert reason.startswith("extraction timed out")


# --------------------------------------------------------------------------- real pages

_TOKEN = re.compile(r"\w+")


def _shingle_f1(gold: str, pred: str, n: int = 4) -> float:
    """The AEB metric for one page (4-gram shingles, multiset overlap)."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = _TOKEN.findall(text)
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))

    g, p = shingles(gold), shingles(pred)
    common = sum((g & p).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def test_aeb_pages_match_their_gold_body() -> None:
    root = need(DATA / "aeb")
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    for key in sorted(truth)[:3]:
        data = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        raw = RawDocument(source=key, data=data, media_type="text/html", url=truth[key]["url"])
        article = extract(raw)
        assert _shingle_f1(truth[key]["articleBody"], article.text) > 0.9, key
        assert article.title and article.published is not None


def test_fundus_page_time_with_zone() -> None:
    root = need(DATA / "fundus" / "uk")
    gold = json.loads((root / "BBC.json").read_text("utf-8"))["V1"]
    data = gzip.decompress((root / "BBC_2024_08_01.html.gz").read_bytes())
    article = extract(RawDocument(source="bbc", data=data, media_type="text/html"))
    assert article.title == gold["title"]
    assert article.published is not None and article.published.utc is not None
    expected = datetime.fromisoformat(gold["publishing_date"])
    assert abs((article.published.utc - expected).total_seconds()) <= 60
