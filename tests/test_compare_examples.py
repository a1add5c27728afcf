"""The examples/ corpus through `storylens compare`, checked against its ground truth.

examples/README.md, section "Planted differences", lists what the four outlets (MPA,
Strait Gazette, Korvhaven Courier, National Ledger) say and where they disagree. The
real command line runs once per module (a subprocess, as a user runs it) and every
assertion reads the JSON report it writes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, REPO

MPA, SG, KC, NL = (
    "Meridian Press Agency",
    "Strait Gazette",
    "Korvhaven Courier",
    "The National Ledger",
)
ALL = {MPA, SG, KC, NL}


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]

    @property
    def articles(self) -> dict[str, dict[str, Any]]:
        return {a["id"]: a for a in self.data["articles"]}

    @property
    def outlet(self) -> dict[str, str]:
        return {a["id"]: a["outlet"] for a in self.data["articles"]}

    @property
    def units(self) -> dict[str, dict[str, Any]]:
        return {u["id"]: u for u in self.data["units"]}

    def facts_with(self, pattern: str) -> list[dict[str, Any]]:
        """Facts with a unit whose text matches the pattern."""
        rx, units = re.compile(pattern, re.IGNORECASE), self.units
        return [
            f for f in self.data["facts"] if any(rx.search(units[u]["text"]) for u in f["units"])
        ]

    def outlets_of(self, fact: dict[str, Any]) -> set[str]:
        return {self.outlet[a] for a in fact["article_ids"]}

    def discrepancy(self, subject: str) -> dict[str, Any]:
        found = [d for d in self.data["discrepancies"] if re.search(subject, d["subject"])]
        assert len(found) == 1, [d["subject"] for d in self.data["discrepancies"]]
        one: dict[str, Any] = found[0]
        return one

    def span_text(self, span: dict[str, Any]) -> str:
        article = self.articles[span["article_id"]]
        source = article["title"] if span["section"] == "headline" else article["text"]
        return str(source[span["start"] : span["end"]])


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One comparison of the examples written to four files, as `make demo` does."""
    folder = tmp_path_factory.mktemp("reports")
    files = {suffix: folder / f"report.{suffix}" for suffix in ("json", "html", "md", "txt")}
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "storylens", "compare", "examples"),
            *("--profiles", "examples/outlets.toml"),
            *(arg for path in files.values() for arg in ("-o", str(path))),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # every rendering went to its file
    return files


@pytest.fixture(scope="module")
def report(outputs: dict[str, Path]) -> Report:
    assert EXAMPLES.is_dir()
    return Report(json.loads(outputs["json"].read_text("utf-8")))


def test_each_output_file_gets_the_format_its_name_says(
    outputs: dict[str, Path], report: Report
) -> None:
    html = outputs["html"].read_text("utf-8")
    markdown = outputs["md"].read_text("utf-8")
    text = outputs["txt"].read_text("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert markdown.startswith("# ")
    assert "\x1b[" not in text  # plain text, no terminal colours
    for outlet in ALL:  # the same comparison in every rendering
        assert outlet in html and outlet in markdown and outlet in text


# --- articles and publication order ------------------------------------------------------


def test_four_articles_without_the_feed_distractors(report: Report) -> None:
    assert sorted(report.outlet.values()) == sorted(ALL)
    titles = " ".join(a["title"] or "" for a in report.data["articles"])
    assert "Central Bank" not in titles
    assert "dockworkers" not in titles.casefold()


def test_publication_order_courier_mpa_ledger_gazette(report: Report) -> None:
    timeline = report.data["timeline"]
    entries = sorted(timeline["entries"], key=lambda e: e["rank"])
    assert [e["outlet"] for e in entries] == [KC, MPA, NL, SG]
    assert [e["earliest"] for e in entries] == [
        "2026-03-02T07:30:00+00:00",
        "2026-03-02T08:12:00+00:00",
        "2026-03-02T08:55:00+00:00",
        "2026-03-02T09:40:00+00:00",
    ]
    assert all(e["earliest"] == e["latest"] and e["zone_known"] for e in entries)
    assert [report.outlet[a] for a in timeline["first"]] == [KC]
    assert timeline["first_certain"] is True


# --- discrepancies -------------------------------------------------------------------------

PLANTED = [
    # (subject pattern, the odd outlet's value, the others' value)
    (r"injured", "44", "41"),
    (r"residents", "6500", "about 6000"),
    (r"Vaskel's title", "interior minister", "deputy interior minister"),
]


@pytest.mark.parametrize(
    ("subject", "odd", "usual"), PLANTED, ids=["injured", "evacuated", "title"]
)
def test_planted_discrepancy_with_both_sides(
    report: Report, subject: str, odd: str, usual: str
) -> None:
    d = report.discrepancy(subject)
    sides: dict[str, set[str]] = {}
    for v in d["values"]:
        assert v["outlet"] == report.outlet[v["article_id"]]
        assert v["span"]["article_id"] == v["article_id"]
        assert report.span_text(v["span"]) == v["span"]["text"], v
        sides.setdefault(v["value"], set()).add(v["outlet"])
    assert sides == {odd: {KC}, usual: {MPA, SG, NL}}


def test_only_the_planted_discrepancies(report: Report) -> None:
    subjects = [d["subject"] for d in report.data["discrepancies"]]
    assert len(subjects) == len(PLANTED), subjects


AGREEMENTS = [
    # (what, a pattern for the values of each side)
    ("ban start", r"march\s*3|3\s*march|^03-03$"),
    ("ban length", r"14|two weeks|fortnight"),
    ("start of fire", r"10:40|22:40|10\.40"),
    ("under control", r"6[:.]15|06:15"),
    ("radius", r"\b3\b.*k|kilomet"),
    ("crews", r"120"),
]


def _values(report: Report) -> Iterator[tuple[dict[str, Any], str]]:
    for d in report.data["discrepancies"]:
        for v in d["values"]:
            yield d, f"{v['value']} | {v['span']['text']}"


@pytest.mark.parametrize(("what", "pattern"), AGREEMENTS, ids=[a[0] for a in AGREEMENTS])
def test_agreements_written_differently_are_not_flagged(
    report: Report, what: str, pattern: str
) -> None:
    rx = re.compile(pattern, re.IGNORECASE)
    flagged = [(d["subject"], text) for d, text in _values(report) if rx.search(text)]
    assert flagged == [], what


# --- facts -----------------------------------------------------------------------------------

UNIQUE = [
    ("F17 rail suspended", r"coastal line between Korvhaven and Dunmere", MPA),
    ("F18 Strait Line Ferries", r"Strait Line Ferries", SG),
    ("F20 opened 1994", r"opened in 1994", NL),
]


@pytest.mark.parametrize(("name", "pattern", "outlet"), UNIQUE, ids=[u[0] for u in UNIQUE])
def test_facts_unique_to_one_outlet(report: Report, name: str, pattern: str, outlet: str) -> None:
    facts = report.facts_with(pattern)
    assert facts, f"{name}: no unit matches {pattern!r}"
    for f in facts:
        assert report.outlets_of(f) == {outlet}, name
        assert f["coverage"] == "one"


def test_schools_closed_is_shared_by_all_four(report: Report) -> None:
    facts = report.facts_with(r"schools .*(closed|shut) on Monday")
    assert [report.outlets_of(f) for f in facts] == [ALL]
    assert facts[0]["coverage"] == "all"


# --- quotes ----------------------------------------------------------------------------------


def test_vaskel_inquiry_quote_rendered_by_all_four(report: Report) -> None:
    groups = [
        q
        for q in report.data["quotes"]
        if any("full and independent inquiry" in r["text"] for r in q["renderings"])
    ]
    assert len(groups) == 1
    group = groups[0]
    assert group["speaker"] == "Joren Vaskel"
    assert {r["outlet"] for r in group["renderings"]} == ALL
    for r in group["renderings"]:
        assert report.articles[r["article_id"]]["text"][r["start"] : r["end"]] == r["text"]
    relation = {r["outlet"]: r["relation"] for r in group["renderings"] if r["fullest"]}
    assert set(relation) == {KC}  # KC's rendering is the fullest (it adds a sentence)


# --- framing ---------------------------------------------------------------------------------


def _categories(report: Report, outlet: str) -> dict[str, str]:
    framing = next(f for f in report.data["framing"] if f["outlet"] == outlet)
    return {v["term"]: v["category"] for v in framing["attribution_verbs"]}


def test_courier_attribution_verbs_are_loaded(report: Report) -> None:
    verbs = _categories(report, KC)
    assert verbs["warn"] == "alarm"
    assert verbs["claim"] == "doubting"
    assert verbs["admit"] == "concession"
    assert verbs["beg"] == "appeal"


def test_ledger_attribution_verbs_are_not_alarmist_or_doubting(report: Report) -> None:
    verbs = _categories(report, NL)
    # The README: Halcyon "acknowledged", Brenn "urged", everyone else "said".
    assert not {"warn", "claim", "admit", "beg"} & set(verbs)
    assert not {"alarm", "doubting", "praise"} & set(verbs.values())
    assert verbs["say"] == "neutral"


def test_only_the_courier_uses_loaded_words(report: Report) -> None:
    loaded = {f["outlet"]: {t["term"] for t in f["loaded_terms"]} for f in report.data["framing"]}
    assert {"inferno", "terrified", "heads could roll"} <= loaded[KC]
    assert loaded[MPA] == loaded[SG] == loaded[NL] == set()
