"""Independent origins and lineage on a syndication scenario we wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storylens.extract import ExtractOptions, extract
from storylens.model import Article
from storylens.readers.base import RawDocument
from storylens.stories.lineage import trace_origins

DATA = Path(__file__).parent / "data" / "syndication"
WIRE = (DATA / "wire.txt").read_text().strip().split("\n")
START = datetime(2024, 10, 3, 6, 0, tzinfo=UTC)


def article(outlet: str, paragraphs: list[str], minutes: int, title: str) -> Article:
    """Through the real extraction core, as a JSONL record would arrive."""
    raw = RawDocument(
        source=f"{outlet}.jsonl#1",
        data=b"{}",
        media_type="record",
        hints={
            "text": "\n\n".join(paragraphs),
            "title": title,
            "outlet": outlet,
            "published": (START + timedelta(minutes=minutes)).isoformat(),
            "url": f"https://{outlet.lower().replace(' ', '')}.example/quake",
        },
    )
    return extract(raw, ExtractOptions())


def syndication_corpus() -> list[Article]:
    dateline = ["DASTREL (AP) — " + WIRE[0], *WIRE[1:]]
    local = (
        "In Harwick, the Velmora Friendship Society said it would collect donations "
        "at the town hall."
    )
    edited = [p.replace("roughly", "about").replace("close to", "nearly") for p in WIRE]
    return [
        article("Daily Post", dateline, 10, "Quake kills 14 in Velmora"),
        article("Evening Star", dateline[:-4], 25, "Deadly quake hits mountain villages"),
        article(
            "Harwick Herald", [*dateline[:5], local, *dateline[5:]], 40, "Local aid as quake hits"
        ),
        article("Coast Times", [*WIRE[:-3], "— AP"], 55, "Earthquake in Velmora: 14 dead"),
        article("Valley News", edited, 70, "Stone houses collapse in Velmora quake"),
        article(
            "The Chronicle",
            (DATA / "independent-1.txt").read_text().split("\n"),
            90,
            "Velmora earthquake: Oskarn villagers dig for survivors",
        ),
        article(
            "Morning Ledger",
            (DATA / "independent-2.txt").read_text().split("\n"),
            400,
            "Velmora quake death toll rises to 16",
        ),
    ]


def test_one_wire_story_reprinted_five_times_plus_two_reports_is_three_origins() -> None:
    articles = syndication_corpus()
    origins = trace_origins(articles)
    assert len(origins) == 3
    wire, first, second = origins
    by_outlet = {a.id: a.outlet.name for a in articles if a.outlet}
    assert sorted(by_outlet[i] for i in wire.article_ids) == sorted(
        ["Daily Post", "Evening Star", "Harwick Herald", "Coast Times", "Valley News"]
    )
    assert wire.agency == "AP"
    assert by_outlet[wire.original] == "Daily Post"  # the earliest copy stands for AP
    roles = {by_outlet[link.article_id]: link.role for link in wire.links}
    assert roles["Daily Post"] == "original"
    assert roles["Evening Star"] == "reprint"  # trimmed ending: contained, not verbatim
    assert roles["Harwick Herald"] == "verbatim"  # one local paragraph added
    assert roles["Valley News"] in ("verbatim", "reprint")
    assert [by_outlet[i] for i in first.article_ids] == ["The Chronicle"]
    assert [by_outlet[i] for i in second.article_ids] == ["Morning Ledger"]


def test_a_rewrite_that_credits_the_agency_shares_its_origin() -> None:
    articles = syndication_corpus()
    rewrite = article(
        "Metro Daily",
        [
            "At least 14 people died when an earthquake hit Velmora province on Thursday, "
            "according to AP.",
            "Rescuers searched the village of Oskarn for survivors.",
            "— AP",
        ],
        120,
        "Velmora earthquake",
    )
    origins = trace_origins([*articles, rewrite])
    assert len(origins) == 3
    link = next(link for o in origins for link in o.links if link.article_id == rewrite.id)
    assert link.role == "rewrite" and link.credit == "AP"


def test_two_unrelated_texts_are_two_origins_and_order_is_stable() -> None:
    articles = syndication_corpus()[-2:]
    assert [o.original for o in trace_origins(articles)] == [a.id for a in articles]
    assert trace_origins(articles) == trace_origins(articles)
