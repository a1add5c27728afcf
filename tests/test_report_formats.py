"""The report's renderings: versioned JSON (validated against its schema), terminal, Markdown.

A small comparison built by hand carries hostile article text (rich markup, Markdown and
HTML, a terminal escape) into every section; the seeds compared by the real pipeline
check the same properties on real output.
"""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from storylens import __version__
from storylens.compare.matrix import fact_matrix
from storylens.compare.model import (
    ArticleInfo,
    Comparison,
    Discrepancy,
    DiscrepantValue,
    EventMention,
    Fact,
    Framing,
    Span,
    TermUse,
    Timeline,
    TimelineEntry,
    Voice,
)
from storylens.compare.summary import summarise
from storylens.model import Quote
from storylens.nlp.quote_match import FirstReport, QuoteGroup, Rendering
from storylens.present.report_json import SCHEMA, comparison_dict, comparison_json, json_schema
from storylens.present.report_markdown import comparison_markdown, md_escape
from storylens.present.report_text import render_comparison
from tests.builders import make_unit as _unit
from tests.seed_compare import seed_comparison

HOSTILE_TITLE = "Flood [bold]kills[/] 50 | `rm -rf` <script>alert(1)</script> *now*"
HOSTILE_OUTLET = "Wire [red]Daily[/red]"
TEXT_A = (
    "The minister said 50 people were killed in the flood on Monday.\n\n"
    "He added that rescue work [blink]goes on[/] until Friday, November 1.\n\n"
    "Officials said roads to the valley were closed after the regime's dam failed.\n\n"
    "# Not a heading <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m."
)
TEXT_B = (
    "At least 45 people were killed in the flood on Monday, the minister said.\n\n"
    '"We are doing everything we can," the minister told reporters.\n\n'
    "Officials said the roads to the valley were closed."
)


def hand_comparison() -> Comparison:
    """Two articles, four facts, one quote group, a discrepancy, a timeline, framing."""
    a, b = "aaaa1111", "bbbb2222"
    moment = datetime(2021, 10, 24, 15, 44, tzinfo=UTC)
    articles = (
        ArticleInfo(
            a,
            HOSTILE_OUTLET,
            HOSTILE_TITLE,
            "https://a.example/x",
            "a.txt",
            "en",
            moment.isoformat(),
            TEXT_A,
            a,
        ),
        ArticleInfo(
            b,
            "Courier",
            "# Flood kills 45",
            None,
            "b.txt",
            "en",
            "Monday 25 October 2021 - 02:51",
            TEXT_B,
            b,
        ),
    )
    ua = [
        _unit(a, HOSTILE_TITLE, HOSTILE_TITLE, 0, section="headline"),
        _unit(
            a,
            TEXT_A,
            "The minister said 50 people were killed in the flood on Monday.",
            1,
            section="lead",
        ),
        _unit(
            a, TEXT_A, "He added that rescue work [blink]goes on[/] until Friday, November 1.", 2
        ),
        _unit(
            a,
            TEXT_A,
            "Officials said roads to the valley were closed after the regime's dam failed.",
            3,
        ),
        _unit(a, TEXT_A, "# Not a heading <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m.", 4),
    ]
    quote_text = "We are doing everything we can,"
    q_start = TEXT_B.index(quote_text)
    quote = Quote(
        b,
        q_start,
        q_start + len(quote_text),
        quote_text,
        "direct",
        speaker="The [bold]Minister[/]",
        parts=((q_start, q_start + len(quote_text)),),
    )
    ub = [
        _unit(b, "# Flood kills 45", "# Flood kills 45", 0, section="headline"),
        _unit(
            b,
            TEXT_B,
            "At least 45 people were killed in the flood on Monday, the minister said.",
            1,
            section="lead",
        ),
        _unit(
            b,
            TEXT_B,
            '"We are doing everything we can," the minister told reporters.',
            2,
            quote_ids=(f"{b}:{quote.start}-{quote.end}",),
            speaker=quote.speaker,
        ),
        _unit(b, TEXT_B, "Officials said the roads to the valley were closed.", 3),
    ]
    facts = (
        Fact("f-killed", (ua[1], ub[1]), (a, b), "all", 2),
        Fact("f-rescue", (ua[2],), (a,), "one", 1),
        Fact("f-roads", (ua[3], ub[3]), (a, b), "all", 2),
        Fact("f-heading", (ua[4],), (a,), "one", 1),
        Fact("f-effort", (ub[2],), (b,), "one", 1),
        Fact("f-title-a", (ua[0],), (a,), "one", 1),
        Fact("f-title-b", (ub[0],), (b,), "one", 1),
    )
    units = (*ua, *ub)
    outlets = {a: HOSTILE_OUTLET, b: "Courier"}
    group = QuoteGroup(
        id="g1",
        speaker=quote.speaker,
        renderings=(
            Rendering(
                f"{b}:{quote.start}-{quote.end}",
                quote,
                "Courier",
                "verbatim",
                1.0,
                f"{b}:{quote.start}-{quote.end}",
                (),
                fullest=True,
            ),
        ),
        fullest=f"{b}:{quote.start}-{quote.end}",
        first=FirstReport((b,), ("Courier",), True, "only one rendering"),
        evidence=(),
    )
    fifty = TEXT_A.index("50")
    forty_five = TEXT_B.index("45")
    discrepancy = Discrepancy(
        id="d1",
        kind="number",
        fact_id="f-killed",
        subject="killed [bold]people[/]",
        values=(
            DiscrepantValue(a, HOSTILE_OUTLET, Span(a, fifty, fifty + 2, "50"), "50", ua[1].id),
            DiscrepantValue(
                b, "Courier", Span(b, forty_five, forty_five + 2, "45"), "45", ub[1].id
            ),
        ),
        evidence="same count of people killed in the same fact",
    )
    nov = TEXT_A.index("November 1")
    timeline = Timeline(
        zone="UTC",
        entries=(
            TimelineEntry(
                a,
                HOSTILE_OUTLET,
                "October 24th, 2021 at 21:14 IST",
                moment,
                moment,
                True,
                1,
                0.0,
                0.0,
            ),
            TimelineEntry(
                b,
                "Courier",
                "Monday 25 October 2021 - 02:51",
                datetime(2021, 10, 24, 12, 51, tzinfo=UTC),
                datetime(2021, 10, 25, 14, 51, tzinfo=UTC),
                False,
                1,
                -timedelta(hours=2, minutes=53).total_seconds(),
                timedelta(hours=23, minutes=7).total_seconds(),
            ),
        ),
        first=(a, b),
        first_certain=False,
        events=(
            EventMention(
                a,
                Span(a, nov, nov + 10, "November 1"),
                "2021-11-01",
                "rescue work [blink]goes on[/] until",
                "2021-10-24",
            ),
        ),
    )
    said_a = TEXT_A.index("said")
    regime = TEXT_A.index("regime")
    said_b = TEXT_B.index("said")
    framing = (
        Framing(
            a,
            HOSTILE_OUTLET,
            attribution_verbs=(
                TermUse("say", "neutral", Span(a, said_a, said_a + 4, "said")),
                TermUse("add", "neutral", Span(a, 0, 3, "The")),
            ),
            loaded_terms=(TermUse("regime", "loaded", Span(a, regime, regime + 6, "regime")),),
            voices=(),
            quoted_share=0.0,
        ),
        Framing(
            b,
            "Courier",
            attribution_verbs=(
                TermUse("say", "neutral", Span(b, said_b, said_b + 4, "said")),
                TermUse("tell", "neutral", Span(b, 0, 2, "At")),
            ),
            loaded_terms=(
                TermUse(
                    "everything",
                    "loaded",
                    Span(b, quote.start + 13, quote.start + 23, "everything"),
                    in_quote=True,  # inside the quote, as frame_article marks it
                ),
            ),
            voices=(
                Voice(
                    quote.speaker or "", 1, 6, 1.0, (Span(b, quote.start, quote.end, quote.text),)
                ),
            ),
            quoted_share=0.25,
            notes=("headline [bold]names[/] no one",),
        ),
    )
    return Comparison(
        articles=articles,
        units=units,
        facts=facts,
        matrix=fact_matrix(facts, [a, b], outlets),
        quote_groups=(group,),
        discrepancies=(discrepancy,),
        timeline=timeline,
        framing=framing,
        summary=tuple(summarise(facts, units, outlets)),
        story_id="story-1",
    )


@pytest.fixture(scope="module")
def hand() -> Comparison:
    return hand_comparison()


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every described object closed: an undocumented key fails."""
    strict = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(strict)
    return strict


def _validate(data: dict[str, Any]) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    jsonschema.Draft202012Validator(_strict(schema)).validate(data)


def _text_report(c: Comparison) -> str:
    buffer = io.StringIO()
    render_comparison(c, Console(file=buffer, width=160, color_system=None, highlight=False))
    return buffer.getvalue()


# --------------------------------------------------------------------------- JSON


def test_json_has_the_documented_top_level(hand: Comparison) -> None:
    data = json.loads(comparison_json(hand))
    assert list(data) == [
        "schema",
        "story_id",
        "generated_by",
        "zone",
        "articles",
        "units",
        "facts",
        "matrix",
        "quotes",
        "discrepancies",
        "timeline",
        "framing",
        "summary",
    ]
    assert data["schema"] == SCHEMA == "storylens.compare/1"
    assert data["generated_by"] == f"storylens {__version__}"
    assert data["story_id"] == "story-1"
    assert data["zone"] == "UTC"
    assert data["quotes"][0]["renderings"][0]["relation"] == "verbatim"
    assert data == comparison_dict(hand)


def test_json_validates_against_its_schema(hand: Comparison) -> None:
    _validate(json.loads(comparison_json(hand)))


def test_schema_rejects_broken_reports(hand: Comparison) -> None:
    data = json.loads(comparison_json(hand))
    validator = jsonschema.Draft202012Validator(json_schema())
    broken = [copy.deepcopy(data) for _ in range(5)]
    del broken[0]["facts"]
    broken[1]["schema"] = "storylens.compare/2"
    broken[2]["units"][0]["start"] = "0"
    del broken[3]["summary"][0]["single_source"]
    broken[4]["discrepancies"][0]["values"] = broken[4]["discrepancies"][0]["values"][:1]
    for report in broken:
        assert not validator.is_valid(report)
    # Additive change keeps the version: an unknown key is allowed by the published schema
    # (the strict variant the tests use is what catches an undocumented key).
    extra = copy.deepcopy(data)
    extra["facts"][0]["new_field"] = 1
    assert validator.is_valid(extra)
    assert not jsonschema.Draft202012Validator(_strict(json_schema())).is_valid(extra)


def test_json_is_strict_json_and_keeps_text_verbatim(hand: Comparison) -> None:
    text = comparison_json(hand)
    data = json.loads(text)
    assert "NaN" not in text and "Infinity" not in text
    assert data["articles"][0]["title"] == HOSTILE_TITLE
    assert data["articles"][0]["text"] == TEXT_A  # the escape char survives, JSON-escaped
    assert "\\u001b" in text


# --------------------------------------------------------------------------- terminal


def test_text_prints_article_markup_literally(hand: Comparison) -> None:
    out = _text_report(hand)
    assert "Flood [bold]kills[/] 50" in out
    assert "Wire [red]Daily[/red]" in out
    assert "rescue work [blink]goes on[/]" in out
    assert "The [bold]Minister[/]" in out
    assert "killed [bold]people[/]" in out
    assert "\x1b" not in out  # no escape sequence from the article reaches the terminal


def test_text_markup_survives_a_color_terminal(hand: Comparison) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=True, color_system="truecolor")
    render_comparison(hand, console)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert "Flood [bold]kills[/] 50" in plain
    assert "red\x1b" not in buffer.getvalue()  # the article's own ESC[0m was dropped


def test_text_sections(hand: Comparison) -> None:
    out = _text_report(hand)
    for heading in (
        "Timeline",
        "Summary",
        "Facts × outlets",
        "Quotes",
        "Discrepancies",
        "Framing",
        "What each outlet adds and leaves out",
    ):
        assert heading in out
    # Timeline: both may have been first; the zone-unknown time is an interval.
    assert "between 2021-10-24 12:51 UTC and 2021-10-25 14:51 UTC" in out
    assert "between -2h 53m and +23h 07m" in out
    assert "May have published first" in out
    # Summary cites both outlets; single-article facts are flagged.
    assert "[Wire [red]Daily[/red], Courier]" in out
    assert "single source" in out
    # Matrix marks, quotes with relation, discrepancy values with their text.
    assert "✓" in out
    assert "fullest" in out
    assert re.search(r"50\s+50\s+The minister said 50 people", out)
    # Framing: own-voice loaded term vs quoted one, voices with shares.
    assert "regime 1" in out
    assert "everything 1" in out
    assert "100% (1 quote)" in out


# --------------------------------------------------------------------------- Markdown


def test_markdown_escape_makes_text_inert() -> None:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    hostile = "# x <b>bold</b> | `code` *em* _u_ [l](javascript:alert(1)) ~~s~~ &amp; \\"
    html = md.render(md_escape(hostile))
    assert html.startswith("<p>") and html.count("<") == 2  # only the paragraph's tags
    assert "javascript" in html and "href" not in html
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("- item").startswith("\\-")
    assert md_escape("a\nb\x1b[31m") == "a b\\[31m"


def test_markdown_report_has_no_injection(hand: Comparison) -> None:
    text = comparison_markdown(hand)
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html  # shown as text
    assert "\x1b" not in text
    # One h1 (the title), section h2s; the article's "# Not a heading" is not a heading.
    assert html.count("<h1>") == 1
    assert "<h1>Not a heading" not in html and "<h2>Not a heading" not in html
    assert "<code>" not in html and "<em>now</em>" not in html and "*now*" in html
    # Every table row has as many cells as its header: article pipes did not split cells.
    for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
        header = len(re.findall(r"<th[ >]", table))
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
            assert len(re.findall(r"<td[ >]", row)) == header


def test_markdown_sections(hand: Comparison) -> None:
    text = comparison_markdown(hand)
    for heading in (
        "## Timeline",
        "## Summary",
        "## Facts × outlets",
        "## Quotes",
        "## Discrepancies",
        "## Framing",
    ):
        assert heading in text
    assert "between 2021\\-10\\-24" not in text  # no needless escapes inside a line
    assert "between 2021-10-24 12:51 UTC and 2021-10-25 14:51 UTC" in text
    assert "**single source**" in text
    assert "Wire \\[red\\]Daily\\[/red\\], Courier" in text


# --------------------------------------------------------------------------- real


def test_seed_report_json_validates() -> None:
    c = seed_comparison()
    data = json.loads(comparison_json(c))
    _validate(data)
    texts = {a["id"]: a for a in data["articles"]}
    for unit in data["units"]:
        source = texts[unit["article_id"]]
        body = source["title"] if unit["section"] == "headline" else source["text"]
        assert body[unit["start"] : unit["end"]] == unit["text"]
    unit_ids = {u["id"] for u in data["units"]}
    for fact in data["facts"]:
        assert set(fact["units"]) <= unit_ids
    assert data["summary"], "the seeds share facts: the summary cannot be empty"


def test_seed_text_and_markdown_render() -> None:
    c = seed_comparison()
    out = _text_report(c)
    md = comparison_markdown(c)
    for info in c.articles:
        assert info.outlet in out
        assert md_escape(info.outlet) in md
    for sentence in c.summary:
        assert md_escape(sentence.text) in md
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert html.count("<h1>") == 1
