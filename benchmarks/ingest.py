"""Ingest throughput and peak memory per reader, at two corpus sizes.

Claim: memory stays flat as the number of documents grows (readers stream, the store
writes one article per transaction), and each reader's throughput is known against the
floor cost of storing the same texts with a plain `sqlite3` insert loop.

For each size the script generates a corpus of invented articles (about 300 words each,
built from templates with enough variety that near-copy detection links none of them)
in every input format, then runs each measurement in its own child process:

- ``ingest``: `storylens.ingest.ingest()` into a fresh SQLite file;
- ``extract``: `read_inputs` + `extract` without a store;
- ``baseline``: the same titles and texts inserted with `sqlite3`, one transaction per
  document, WAL and ``synchronous=NORMAL`` like the store.

A child's peak RSS comes from `os.wait4` (that child only), so runs do not pollute each
other. Throughput is reported three ways: over the whole call, in steady state (from
the first document on, so the one-off loading of libraries and models is left out), and
per CPU second of the measuring process in steady state, which stays comparable on a
machine busy with other work (with ``--jobs`` above 1 only the wall-clock rates apply).
Results go to ``benchmarks/results/ingest.json``.

    python benchmarks/ingest.py                      # 2,000 and 10,000 documents
    python benchmarks/ingest.py --quick              # 200 and 1,000, a smoke run
    python benchmarks/ingest.py --sizes 5000,20000 --readers jsonl,warc
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, write_result

SCRIPT = Path(__file__).resolve()
SEED = 20260302
# The feed reader parses a feed whole and refuses one over 20 MiB (feedparser cannot
# stream), so the RSS corpus is a directory of feeds with this many items each.
ITEMS_PER_FEED = 1000
MEMORY_FLAT_TARGET = 1.2

# reader name -> (module that must exist, how the corpus is laid out)
READERS: dict[str, tuple[str, str]] = {
    "jsonl": ("storylens.readers.tabular", "one .jsonl file"),
    "csv": ("storylens.readers.tabular", "one .csv file"),
    "text": ("storylens.readers.text", "a directory of .txt page dumps"),
    "html": ("storylens.readers.html", "a directory of .html pages"),
    "warc": ("storylens.readers.warc", "one .warc.gz file of HTTP responses"),
    "rss": ("storylens.readers.feeds", "RSS 2.0 files of 1,000 items, full content:encoded"),
}
EXTRACTORS: dict[str, str] = {
    "text": "storylens.extract.textdump",
    "html": "storylens.extract.html",
    "warc": "storylens.extract.html",
    "rss": "storylens.extract.html",
}


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


# --------------------------------------------------------------------------------------
# The generator: invented articles, varied enough that no two are near-copies.
# --------------------------------------------------------------------------------------

_SYL_A = _words(
    "Kor Vel Dun Mar Lin Ast Bren Hal Ost Tor Quen Sel Ard Bel Cal Dro Fen Gal Hess Ival "
    "Jor Kel Lum Mor Nor Pell Rav Sarn Tal Ulm Vard Wes Yar Zel Brak Cren Dal Esk Fro Grim"
)
_SYL_B = _words("haven mere holm dra wick stad field by port gate moor ness ford vik burg dale")
_GIVEN = _words(
    "Anna Tomas Lena Pieter Mirela Joren Dana Selma Halvard Ines Oskar Agnes Rosa Emil "
    "Katrin Lukas Marta Nils Orla Petra Quentin Rasmus Sofia Teodor Una Viktor Wanda "
    "Yusuf Zora Bruno Clara Dmitri Elin Farid Greta Hugo Ida Jonas Kira Leon Maja Noor "
    "Otto Pia Ruben Saga Timo Vera Willem Alma Boris Cato Dora Edvin Frida Gustav Hanna"
)
_FAMILY = _words(
    "Rennard Oskant Vaskel Kessler Ivarsen Brenn Quell Kovel Marovska Thorvald Lindqvist "
    "Achterberg Solvik Dravic Hollen Mercer Ostby Pallas Rydell Sandor Tamsin Varga Weller "
    "Ambrose Berglund Castell Dunmore Eklund Falk Garrow Hartig Ingram Jansky Kowal Lorne "
    "Maddox Nyberg Orlov Prentis Quist Rosen Strand Trell Uhlig Vance Wexler Yates Zander"
)
_ROLES = _words(
    "mayor chairwoman director spokesman spokeswoman treasurer governor secretary "
    "commissioner president manager inspector coach curator engineer economist"
)
_ORG_A = _words("North West Harbour Coastal Central United Regional Civic National Valley Old New")
_ORG_B = _words(
    "Transport Water Energy Farmers Teachers Rail Ferry Health Housing Arts Football "
    "Fisheries Chemical Timber Mining Tourism Science"
)
_ORG_C = _words("Board Union Authority Council Trust Association Institute Company Society Fund")
_WEEKDAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_MONTHS = _words(
    "January February March April May June July August September October November December"
)

_TOPICS: dict[str, dict[str, list[str]]] = {
    "budget": {
        "thing": _words("budget levy tariff grant subsidy surplus deficit loan bond allowance"),
        "things": _words("budgets levies tariffs grants subsidies pensions loans fees rents bonds"),
        "act": _words("approve reject delay cut raise freeze review audit publish restore"),
        "adj": _words("annual revised disputed emergency balanced frozen modest record"),
    },
    "transport": {
        "thing": _words("bridge tunnel railway ferry timetable depot junction runway tram bypass"),
        "things": _words("buses trains ferries flights lorries trams cyclists commuters"),
        "act": _words("reopen close reroute extend cancel electrify rebuild inspect widen"),
        "adj": _words("delayed overcrowded upgraded temporary night coastal suburban express"),
    },
    "sport": {
        "thing": _words("match derby final season stadium transfer league trophy semi-final"),
        "things": _words("goals points fans players tickets coaches referees medals"),
        "act": _words("win lose draw sign appeal relegate promote host postpone"),
        "adj": _words("dramatic late narrow convincing historic bruising rainy sold-out"),
    },
    "science": {
        "thing": _words("telescope survey vaccine trial reactor satellite dataset laboratory"),
        "things": _words("samples patients stars species sensors cells particles volunteers"),
        "act": _words("measure detect launch sequence publish replicate calibrate fund"),
        "adj": _words("preliminary peer-reviewed unexpected faint rare promising costly"),
    },
    "weather": {
        "thing": _words("storm flood drought gale frost heatwave tide blizzard landslide"),
        "things": _words("rivers roads farms homes harbours orchards schools flights"),
        "act": _words("warn evacuate forecast clear flood sandbag reopen monitor"),
        "adj": _words("severe unseasonal heavy record persistent sudden bitter mild"),
    },
    "culture": {
        "thing": _words("festival museum exhibition concert premiere library archive opera"),
        "things": _words("visitors paintings manuscripts musicians films tickets volunteers"),
        "act": _words("open restore acquire stage tour digitise celebrate commission"),
        "adj": _words("restored sold-out touring rare forgotten ambitious intimate lavish"),
    },
    "court": {
        "thing": _words("trial verdict appeal inquiry ruling sentence hearing settlement"),
        "things": _words("witnesses jurors lawyers defendants claims documents fines"),
        "act": _words("adjourn overturn uphold dismiss fine acquit summon settle"),
        "adj": _words("lengthy closed landmark disputed unanimous delayed partial"),
    },
}

# Sentence templates: a slot at least every three words, so five-word shingles are
# nearly always unique to one document.
_SENTENCES = (
    "{Name}, the {role} of the {org}, said on {weekday} that {n} {things} in {place} "
    "would be affected.",
    "The {adj} {thing} in {place} will cost {money}, {n2} more than {Name2} had predicted "
    "in {month}.",
    "Officials in {place} expect to {act} the {thing} by {month} {year}, {pct}% later than "
    "planned.",
    '"We will {act} the {thing} whatever {place} decides," {Name} told {n} {things} at {venue}.',
    "{n} {things} from {place} and {place2} {verb_past} the {adj} {thing} on {weekday}.",
    "According to the {org}, {pct}% of {things} in {place} {verb_past} the {thing} last {month}.",
    "{Name2}, {age}, who has lived in {place} since {year2}, called the {thing} "
    '"{adj} but overdue".',
    "A {adj} {thing} near {venue} left {n} {things} waiting for {hours} hours.",
    "The {org} voted {n} to {n3} to {act} the {thing}, with {n4} abstentions.",
    "In {year2}, a {adj} {thing} in {place2} forced {n} {things} to {act} the {thing2}.",
    "{Name} promised to {act} {n} {things} before {weekday} {day} {month}.",
    "Critics in {place2} said the {adj} {thing} ignored {n} {things} and {money} in debts.",
    "Figures from the {org} show {things} rose {pct}% to {n} over {hours} months.",
    "{Name2} of the {org} warned that {place} could {act} its {thing} by {year}.",
    "Residents of {street} in {place} counted {n} {things} and {n2} {things2} on {weekday}.",
    "The {thing} at {venue}, first opened in {year2}, will {act} its {things} from {day} {month}.",
)
_TITLES = (
    "{Place} to {act} {adj} {thing} as {things} {verb_past_t}",
    "{Name}: {org} will {act} {thing} in {place}",
    "{n} {things} {verb_past_t} after {adj} {thing} in {place}",
    "{Adj} {thing} splits {place} and {place2}",
    "{Org} {act_3} {thing} plan for {place}",
)
_VERB_PAST = _words("backed opposed welcomed criticised attended joined avoided praised")
_VENUES = _words("the town hall|the harbour office|the station|the old market|the arena", "|")
_STREETS = _words("Quay Road|Mill Lane|Station Street|Harbour Row|Chapel Hill|Fen Way", "|")


@dataclass(frozen=True, slots=True)
class Doc:
    """One generated article."""

    index: int
    title: str
    paragraphs: tuple[str, ...]
    author: str
    outlet: str
    domain: str
    url: str
    published: datetime  # aware, in the outlet's zone

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def slug(self) -> str:
        return f"article-{self.index:06d}"


def _place(rng: random.Random) -> str:
    return rng.choice(_SYL_A) + rng.choice(_SYL_B)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"


def _org(rng: random.Random) -> str:
    return f"{rng.choice(_ORG_A)} {rng.choice(_ORG_B)} {rng.choice(_ORG_C)}"


def _third_person(verb: str) -> str:
    if verb.endswith(("sh", "ch", "s", "x", "z")):
        return verb + "es"
    return verb + "s"


def _fill(template: str, rng: random.Random, topic: dict[str, list[str]]) -> str:
    other = _TOPICS[rng.choice(sorted(_TOPICS))]
    act = rng.choice(topic["act"])
    values = {
        "Name": _name(rng),
        "Name2": _name(rng),
        "role": rng.choice(_ROLES),
        "org": _org(rng),
        "Org": _org(rng),
        "weekday": rng.choice(_WEEKDAYS),
        "month": rng.choice(_MONTHS),
        "n": f"{rng.randint(2, 9800):,}",
        "n2": f"{rng.randint(2, 990)}",
        "n3": f"{rng.randint(1, 40)}",
        "n4": f"{rng.randint(0, 12)}",
        "pct": f"{rng.randint(1, 95)}.{rng.randint(0, 9)}",
        "money": f"{rng.randint(1, 950)}.{rng.randint(0, 9)} million kron",
        "year": str(rng.randint(2026, 2034)),
        "year2": str(rng.randint(1962, 2025)),
        "age": str(rng.randint(19, 91)),
        "day": str(rng.randint(1, 28)),
        "hours": str(rng.randint(2, 30)),
        "place": _place(rng),
        "place2": _place(rng),
        "Place": _place(rng),
        "venue": rng.choice(_VENUES),
        "street": rng.choice(_STREETS),
        "thing": rng.choice(topic["thing"]),
        "thing2": rng.choice(other["thing"]),
        "things": rng.choice(topic["things"]),
        "things2": rng.choice(other["things"]),
        "adj": rng.choice(topic["adj"]),
        "Adj": rng.choice(topic["adj"]).capitalize(),
        "act": act,
        "act_3": _third_person(act),
        "verb_past": rng.choice(_VERB_PAST),
        "verb_past_t": rng.choice(_VERB_PAST),
    }
    return template.format(**values)


_OUTLETS: tuple[tuple[str, str, timezone], ...] = (
    ("Harbour Daily", "harbourdaily.example", timezone(timedelta(hours=1))),
    ("The Valley Post", "valleypost.example", timezone(timedelta(hours=2))),
    ("Coastline News", "coastlinenews.example", timezone(timedelta(0))),
    ("Northern Tribune", "northerntribune.example", timezone(timedelta(hours=-5))),
    ("Fenmoor Echo", "fenmoorecho.example", timezone(timedelta(hours=5, minutes=30))),
    ("The Civic Record", "civicrecord.example", timezone(timedelta(hours=9))),
    ("Strait Observer", "straitobserver.example", timezone(timedelta(hours=-3))),
    ("Ravenmere Herald", "ravenmereherald.example", timezone(timedelta(hours=10))),
)
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def make_doc(index: int, words: int = 300) -> Doc:
    """The `index`-th article; the same index gives the same article on every run."""
    rng = random.Random(SEED * 1_000_003 + index)
    topic_name = rng.choice(sorted(_TOPICS))
    topic = _TOPICS[topic_name]
    title = _fill(rng.choice(_TITLES), rng, topic)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = [_fill(rng.choice(_SENTENCES), rng, topic) for _ in range(rng.randint(2, 4))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    outlet, domain, zone = _OUTLETS[index % len(_OUTLETS)]
    published = (_EPOCH + timedelta(minutes=37 * index + rng.randint(0, 30))).astimezone(zone)
    slug = "-".join(re.findall(r"[a-z0-9]+", title.lower())[:6])
    url = f"https://www.{domain}/{topic_name}/{published:%Y/%m/%d}/{slug}-{index}"
    return Doc(index, title, tuple(paragraphs), _name(rng), outlet, domain, url, published)


def iter_docs(count: int) -> Iterator[Doc]:
    for index in range(count):
        yield make_doc(index)


# --------------------------------------------------------------------------------------
# Writers: one corpus per reader, each in that reader's input format.
# --------------------------------------------------------------------------------------


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _text_dump(doc: Doc) -> str:
    stamp = f"{doc.published:%B} {doc.published.day}, {doc.published:%Y at %H:%M}"
    zone = doc.published.strftime("%z")
    zone_label = f"GMT{zone[:3]}:{zone[3:]}"
    body = "\n\n".join(doc.paragraphs)
    return (
        f"Updated {stamp} {zone_label}\n\n{doc.title}\n\n{doc.paragraphs[0]}\n\n"
        f"Reported by: {doc.author}\nImage: {doc.outlet} | Image: file\nAdvertisement\n\n"
        f"{body}\n\nShare on Facebook | Share on X | Copy link\n"
        f"Subscribe to {doc.outlet} alerts\n\nAdvertisement\n\n"
        f"Published {stamp} {zone_label}\n"
    )


def _html_page(doc: Doc) -> str:
    title = escape(doc.title)
    published = _offset(doc.published)
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": doc.title,
            "datePublished": published,
            "author": [{"@type": "Person", "name": doc.author}],
            "publisher": {"@type": "NewsMediaOrganization", "name": doc.outlet},
            "mainEntityOfPage": doc.url,
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    body = "\n".join(f"<p>{escape(p)}</p>" for p in doc.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | {escape(doc.outlet)}</title>
<link rel="canonical" href="{escape(doc.url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{escape(doc.outlet)}">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{escape(doc.url)}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{escape(doc.author)}">
<script type="application/ld+json">{json_ld}</script>
</head><body>
<div class="cookie-banner"><p>We use cookies to improve your experience.</p>
<button>Accept all</button><button>Manage preferences</button></div>
<header><a href="/">{escape(doc.outlet)}</a><nav><ul><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/business">Business</a></li>
<li><a href="/culture">Culture</a></li><li><a href="/weather">Weather</a></li></ul></nav>
</header>
<main><article><h1>{title}</h1>
<p class="byline">By {escape(doc.author)} · <time datetime="{published}">{published}</time></p>
<div class="article-body">
{body}
</div></article>
<aside class="related"><h2>Related</h2><ul>
<li><a href="/news/1">Council publishes spring timetable</a></li>
<li><a href="/news/2">Harbour tolls frozen for another year</a></li></ul></aside></main>
<footer><p>© 2026 {escape(doc.outlet)}. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>
"""


def _record(doc: Doc) -> dict[str, str]:
    return {
        "id": f"gen-{doc.index}",
        "url": doc.url,
        "title": doc.title,
        "text": doc.text,
        "published": _offset(doc.published),
        "author": doc.author,
        "outlet": doc.outlet,
    }


def write_jsonl(directory: Path, count: int) -> Path:
    path = directory / "docs.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for doc in iter_docs(count):
            out.write(json.dumps(_record(doc), ensure_ascii=False) + "\n")
    return path


def write_csv(directory: Path, count: int) -> Path:
    path = directory / "docs.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(_record(make_doc(0))))
        writer.writeheader()
        for doc in iter_docs(count):
            writer.writerow(_record(doc))
    return path


def _write_tree(directory: Path, count: int, suffix: str, render: Callable[[Doc], str]) -> Path:
    root = directory / suffix
    for doc in iter_docs(count):
        # 1,000 files per folder, like a crawl or an export, not one huge directory.
        folder = root / f"{doc.index // 1000:03d}"
        if doc.index % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc.slug}.{suffix}").write_text(render(doc), encoding="utf-8")
    return root


def write_text(directory: Path, count: int) -> Path:
    return _write_tree(directory, count, "txt", _text_dump)


def write_html(directory: Path, count: int) -> Path:
    return _write_tree(directory, count, "html", _html_page)


def write_warc(directory: Path, count: int) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = directory / "crawl.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record("crawl.warc.gz", {"software": "storylens-bench"})
        )
        for doc in iter_docs(count):
            payload = _html_page(doc).encode("utf-8")
            headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(payload))),
                ],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                doc.url, "response", payload=io.BytesIO(payload), http_headers=headers
            )
            writer.write_record(record)
    return path


def _feed_item(doc: Doc) -> str:
    content = "".join(f"<p>{escape(p)}</p>" for p in doc.paragraphs)
    return (
        f"<item><title>{escape(doc.title)}</title><link>{escape(doc.url)}</link>"
        f'<guid isPermaLink="false">gen-{doc.index}</guid>'
        f"<pubDate>{doc.published:%a, %d %b %Y %H:%M:%S %z}</pubDate>"
        f"<dc:creator>{escape(doc.author)}</dc:creator>"
        f"<description>{escape(doc.paragraphs[0])}</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>\n"
    )


_FEED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
    "<title>Generated wire, part {part}</title><link>https://www.wire.example/</link>\n"
    "<description>Benchmark feed</description><language>en</language>\n"
)


def write_rss(directory: Path, count: int) -> Path:
    root = directory / "feeds"
    root.mkdir()
    out: IO[str] | None = None
    try:
        for doc in iter_docs(count):
            if doc.index % ITEMS_PER_FEED == 0:
                if out is not None:
                    out.write("</channel>\n</rss>\n")
                    out.close()
                part = doc.index // ITEMS_PER_FEED
                out = (root / f"feed-{part:03d}.xml").open("w", encoding="utf-8")
                out.write(_FEED_HEAD.format(part=part))
            assert out is not None
            out.write(_feed_item(doc))
        if out is not None:
            out.write("</channel>\n</rss>\n")
    finally:
        if out is not None:
            out.close()
    return root


WRITERS: dict[str, Callable[[Path, int], Path]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "text": write_text,
    "html": write_html,
    "warc": write_warc,
    "rss": write_rss,
}


def _size_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------
# Children: each measurement runs in its own process and prints one JSON line.
# --------------------------------------------------------------------------------------


def child_ingest(target: str, db: str, jobs: int) -> dict[str, Any]:
    from storylens.ingest import ingest
    from storylens.readers import ReadOptions
    from storylens.store.sqlite import SQLiteStore

    first: list[tuple[float, float]] = []

    def on_event(event: object) -> None:
        if not first:
            first.append((time.perf_counter(), time.process_time()))

    start = time.perf_counter()
    with SQLiteStore(db) as store:
        report = ingest(
            [target], store, ReadOptions(fetch_linked=False), jobs=jobs, on_event=on_event
        )
        stored = store.count()
    end, cpu_end = time.perf_counter(), time.process_time()
    return {
        "seconds": end - start,
        "first_document_seconds": (first[0][0] - start) if first else None,
        "steady_seconds": (end - first[0][0]) if first else None,
        "steady_cpu_seconds": (cpu_end - first[0][1]) if first else None,
        "documents": report.stored + report.present + report.failed,
        "stored": stored,
        "linked_as_copies": report.linked,
        "failed": report.failed,
        "first_failures": report.failures[:3],
    }


def child_extract(target: str, jobs: int) -> dict[str, Any]:
    from storylens.extract import ExtractOptions
    from storylens.ingest import extract_all
    from storylens.readers import ReadOptions, read_inputs

    start = time.perf_counter()
    first: float | None = None
    cpu_first = 0.0
    ok = failed = 0
    first_failures: list[str] = []
    docs = read_inputs([target], ReadOptions(fetch_linked=False))
    for item in extract_all(docs, ExtractOptions(), jobs):
        if first is None:
            first, cpu_first = time.perf_counter(), time.process_time()
        if isinstance(item, tuple) and item[1] is not None:
            ok += 1
        else:
            failed += 1
            if len(first_failures) < 3:
                first_failures.append(str(item[2] if isinstance(item, tuple) else item))
    end, cpu_end = time.perf_counter(), time.process_time()
    return {
        "seconds": end - start,
        "first_document_seconds": (first - start) if first is not None else None,
        "steady_seconds": (end - first) if first is not None else None,
        "steady_cpu_seconds": (cpu_end - cpu_first) if first is not None else None,
        "documents": ok + failed,
        "extracted": ok,
        "failed": failed,
        "first_failures": first_failures,
    }


def child_baseline(count: int, db: str) -> dict[str, Any]:
    """The floor: the same titles and texts into SQLite, one transaction each."""
    rows = [(doc.url, doc.title, doc.text) for doc in iter_docs(count)]
    start, cpu_start = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title, text)")
    for row in rows:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO articles(url, title, text) VALUES (?, ?, ?)", row)
        conn.execute("COMMIT")
    conn.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"seconds": seconds, "cpu": cpu, "documents": len(rows), "stored": len(rows)}


def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run this script as a child; its result plus peak RSS and CPU time from wait4."""
    command = [sys.executable, str(SCRIPT), "--child", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"error": f"timed out after {timeout:.0f} s"}
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"error": tail[0][:300]}
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)  # Linux: KiB
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    if result.get("seconds"):
        result["docs_per_s"] = round(result["documents"] / result["seconds"], 1)
    steady = result.pop("steady_seconds", None)
    steady_cpu = result.pop("steady_cpu_seconds", None)
    if steady and result["documents"] > 1:
        # Without the one-off cost of loading libraries and models on the first document.
        result["steady_docs_per_s"] = round((result["documents"] - 1) / steady, 1)
    if steady_cpu and result["documents"] > 1:
        # Per CPU second of this process: what a machine shared with other work still shows.
        result["steady_docs_per_cpu_s"] = round((result["documents"] - 1) / steady_cpu, 1)
    cpu = result.pop("cpu", None)
    if cpu:
        result["docs_per_cpu_s"] = round(result["documents"] / cpu, 1)
    for key in ("seconds", "first_document_seconds"):
        if result.get(key) is not None:
            result[key] = round(result[key], 3)
    return result


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ingest", "extract", "baseline"])
    parser.add_argument("--target", default="")
    parser.add_argument("--db", default="")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.mode == "ingest":
        result = child_ingest(args.target, args.db, args.jobs)
    elif args.mode == "extract":
        result = child_extract(args.target, args.jobs)
    else:
        result = child_baseline(args.count, args.db)
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------
# The run.
# --------------------------------------------------------------------------------------


def available(reader: str) -> str | None:
    """Why a reader cannot be measured yet (its module is missing), or None."""
    for module in (READERS[reader][0], EXTRACTORS.get(reader)):
        if module and importlib.util.find_spec(module) is None:
            return f"{module} does not exist yet"
    return None


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def measure(
    readers: list[str], sizes: list[int], workdir: Path, jobs: int, timeout: float
) -> dict[str, Any]:
    results: dict[str, Any] = {r: {"input": READERS[r][1], "sizes": {}} for r in readers}
    baseline: dict[str, Any] = {}
    for size in sizes:
        sizedir = workdir / f"n{size}"
        sizedir.mkdir(parents=True, exist_ok=True)
        print(f"== {size:,} documents", flush=True)
        baseline[str(size)] = run_child(
            ["baseline", "--count", str(size), "--db", str(sizedir / "baseline.db")], timeout
        )
        print(f"   baseline sqlite3      {_fmt(baseline[str(size)])}", flush=True)
        for reader in readers:
            readerdir = sizedir / reader
            readerdir.mkdir()
            start = time.perf_counter()
            target = WRITERS[reader](readerdir, size)
            generated = {
                "seconds": round(time.perf_counter() - start, 1),
                "bytes": _size_on_disk(target),
            }
            row: dict[str, Any] = {"generated": generated}
            row["extract"] = run_child(
                ["extract", "--target", str(target), "--jobs", str(jobs)], timeout
            )
            print(f"   {reader:5} extract-only    {_fmt(row['extract'])}", flush=True)
            db = readerdir / "store.db"
            row["ingest"] = run_child(
                ["ingest", "--target", str(target), "--db", str(db), "--jobs", str(jobs)], timeout
            )
            row["ingest"]["db_bytes"] = db.stat().st_size if db.exists() else None
            floor = baseline[str(size)].get("docs_per_s")
            row["ingest"]["ours_over_baseline"] = _ratio(row["ingest"].get("docs_per_s"), floor)
            row["ingest"]["steady_ours_over_baseline"] = _ratio(
                row["ingest"].get("steady_docs_per_s"), floor
            )
            row["ingest"]["cpu_ours_over_baseline"] = _ratio(
                row["ingest"].get("steady_docs_per_cpu_s"),
                baseline[str(size)].get("docs_per_cpu_s"),
            )
            print(f"   {reader:5} ingest          {_fmt(row['ingest'])}", flush=True)
            results[reader]["sizes"][str(size)] = row
            shutil.rmtree(readerdir, ignore_errors=True)
    for reader in readers:
        _summarise(results[reader], sizes)
    return {"baseline": baseline, "readers": results}


def _summarise(result: dict[str, Any], sizes: list[int]) -> None:
    small, large = str(min(sizes)), str(max(sizes))
    for mode in ("ingest", "extract"):
        low = result["sizes"][small][mode].get("peak_rss_mib")
        high = result["sizes"][large][mode].get("peak_rss_mib")
        ratio = _ratio(high, low)
        result[f"{mode}_rss_ratio"] = ratio
        result[f"{mode}_memory_flat"] = ratio is not None and ratio <= MEMORY_FLAT_TARGET
        for key in ("docs_per_s", "steady_docs_per_s", "steady_docs_per_cpu_s"):
            rates = [result["sizes"][str(s)][mode].get(key) for s in sizes]
            result[f"{mode}_{key}"] = dict(zip(map(str, sizes), rates, strict=True))


def _fmt(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"ERROR {result['error']}"
    steady = result.get("steady_docs_per_s")
    text = (
        f"{result.get('docs_per_s', 0):>8.1f} docs/s "
        + (f"(steady {steady:>7.1f})" if steady else " " * 16)
        + f"  {result['seconds']:>7.2f} s  peak RSS {result['peak_rss_mib']:>6.1f} MiB"
    )
    if result.get("steady_docs_per_cpu_s"):
        text += f"  {result['steady_docs_per_cpu_s']:>6.1f}/CPU-s"
    elif result.get("docs_per_cpu_s"):
        text += f"  {result['docs_per_cpu_s']:>6.1f}/CPU-s"
    if result.get("failed"):
        text += f"  failed {result['failed']} ({result['first_failures'][:1]})"
    if result.get("linked_as_copies"):
        text += f"  linked {result['linked_as_copies']}"
    return text


def _print_summary(payload: dict[str, Any]) -> None:
    sizes = payload["settings"]["sizes"]
    large = str(max(sizes))
    print(f"\nsteady state at {int(large):,} documents (first document's warm-up excluded)")
    print(
        f"{'reader':8}{'ingest/s':>10}{'/CPU-s':>9}{'extract/s':>11}{'/CPU-s':>9}"
        f"{'peak MiB':>10}{'RSS ratio':>11}{'ours/baseline (CPU)':>21}"
    )
    for reader, result in payload["readers"].items():
        ingest, extract = result["sizes"][large]["ingest"], result["sizes"][large]["extract"]
        print(
            f"{reader:8}{ingest.get('steady_docs_per_s') or 0:>10.1f}"
            f"{ingest.get('steady_docs_per_cpu_s') or 0:>9.1f}"
            f"{extract.get('steady_docs_per_s') or 0:>11.1f}"
            f"{extract.get('steady_docs_per_cpu_s') or 0:>9.1f}"
            f"{ingest.get('peak_rss_mib') or 0:>10.1f}{result['ingest_rss_ratio']!s:>11}"
            f"{ingest.get('cpu_ours_over_baseline')!s:>21}"
        )
    for reader, reason in payload["skipped"].items():
        print(f"{reader:8}skipped: {reason}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="2000,10000", help="document counts (default %(default)s)"
    )
    parser.add_argument(
        "--readers", default=",".join(READERS), help="comma-separated (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 documents")
    parser.add_argument("--jobs", type=int, default=1, help="extraction processes (default 1)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per child")
    parser.add_argument("--workdir", type=Path, default=None, help="where corpora are written")
    parser.add_argument("--output", default="ingest", help="results/<name>.json")
    args = parser.parse_args(argv)

    sizes = [200, 1000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    if len(sizes) < 2:
        parser.error("give at least two sizes, to compare memory between them")
    wanted = [r.strip() for r in args.readers.split(",") if r.strip()]
    unknown = [r for r in wanted if r not in READERS]
    if unknown:
        parser.error(f"unknown readers {unknown}; choose from {list(READERS)}")
    skipped = {r: why for r in wanted if (why := available(r))}
    readers = [r for r in wanted if r not in skipped]

    load_start = _load()
    workdir = Path(tempfile.mkdtemp(prefix="storylens-bench-", dir=args.workdir))
    started = time.perf_counter()
    try:
        measured = measure(readers, sizes, workdir, args.jobs, args.timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    payload: dict[str, Any] = {
        "benchmark": "ingest",
        "claim": "peak memory flat as the document count grows; throughput per reader",
        "command": "python benchmarks/ingest.py " + " ".join(argv),
        "machine": {
            **machine_info(packages=("trafilatura", "feedparser", "warcio", "lxml")),
            "load_average_start": load_start,
            "load_average_end": _load(),
        },
        "settings": {
            "sizes": sizes,
            "readers": readers,
            "jobs": args.jobs,
            "words_per_document": 300,
            "seed": SEED,
            "memory_flat_target_ratio": MEMORY_FLAT_TARGET,
            "baseline": "sqlite3 INSERT of url, title, text; one transaction per document; "
            "WAL, synchronous=NORMAL",
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
        **measured,
        "skipped": skipped,
    }
    payload["all_memory_flat"] = all(r["ingest_memory_flat"] for r in measured["readers"].values())
    path = write_result(args.output, payload)
    _print_summary(payload)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
