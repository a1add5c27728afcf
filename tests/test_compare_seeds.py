"""Issue 5's acceptance on the seeds, read from the JSON that `storylens compare` writes.

The two seed reports of the Kremlin statement of 24 October 2021 go through the real
command line (a subprocess, as a user runs it); every assertion reads the versioned
JSON report, so what is checked is what other programs get.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS, need

QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]
    first: str  # article id of seed 000
    second: str  # article id of seed 001

    def unit_text(self, unit_id: str) -> str:
        return str(self.units[unit_id]["text"])

    @property
    def units(self) -> dict[str, dict[str, Any]]:
        return {u["id"]: u for u in self.data["units"]}

    def fact_units(self, fact: dict[str, Any], article_id: str) -> list[dict[str, Any]]:
        units = self.units
        return [units[u] for u in fact["units"] if units[u]["article_id"] == article_id]

    def facts_with(self, article_id: str, pattern: str) -> list[dict[str, Any]]:
        """Facts with a unit of the article whose text matches the pattern."""
        rx = re.compile(pattern, re.IGNORECASE)
        return [
            f
            for f in self.data["facts"]
            if any(rx.search(u["text"]) for u in self.fact_units(f, article_id))
        ]


@lru_cache(maxsize=1)
def _report() -> Report:
    paths = sorted(SEEDS.glob("*.txt"))
    done = subprocess.run(
        [sys.executable, "-m", "storylens", "compare", *map(str, paths), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    by_source = {Path(a["source"]).name[:3]: a["id"] for a in data["articles"]}
    return Report(data, first=by_source["000"], second=by_source["001"])


@pytest.fixture(scope="module")
def report() -> Report:
    need(SEEDS)
    return _report()


def _ids(cases: list[Any]) -> list[str]:
    return [str(c.values[0] if hasattr(c, "values") else c[0]) for c in cases]


SHARED_FACTS: list[Any] = [
    ("cannot prevent", r"cannot prevent Ukraine", r"We cannot prevent it"),
    ("impossible", r"impossible", r"It is impossible"),
    ("minimise", r"minimi[sz]e the consequences", r"minimi[sz]e the consequences"),
    ("do what is necessary", r"everything that is necessary", r"everything that is necessary"),
    ("efforts in vain", r"efforts .*in vain", r"efforts .*in vain"),
    ("made official", r"made official what was real", r"made official what was real"),
    ("adversary", r"adversary", r"adversary"),
    ("Putin and Biden meet", r"Biden should meet", r"Biden should meet"),
    ("presidents decide", r"presidents of the two nations make", r"After the presidents make"),
    ("November 1", r"from November 1", r"from November 1"),
    ("response to cuts", r"in response to the reduction", r"response to the reduction"),
]


@pytest.mark.parametrize(("name", "in_first", "in_second"), SHARED_FACTS, ids=_ids(SHARED_FACTS))
def test_facts_both_outlets_carry(report: Report, name: str, in_first: str, in_second: str) -> None:
    first = {f["id"] for f in report.facts_with(report.first, in_first)}
    second = report.facts_with(report.second, in_second)
    assert first, f"{name}: no unit of 000 matches {in_first!r}"
    assert second, f"{name}: no unit of 001 matches {in_second!r}"
    shared = [f for f in second if f["id"] in first]
    assert shared, f"{name}: 000 and 001 state it in different facts"
    assert all(f["coverage"] == "all" for f in shared)


ONLY_FIRST = [
    ("Rudenko's warning", r"very dangerous"),
    ("Austin's support", r"Austin"),
    ("no veto for third nations", r"veto"),
    ("NATO build-up", r"buildup|build-up"),
    ("Brest radar", r"radar"),
    ("Vileyka facility", r"Vileyka"),
]


@pytest.mark.parametrize(("name", "pattern"), ONLY_FIRST, ids=[s[0] for s in ONLY_FIRST])
def test_facts_only_000_carries(report: Report, name: str, pattern: str) -> None:
    facts = report.facts_with(report.first, pattern)
    assert facts, f"{name}: no unit of 000 matches {pattern!r}"
    for fact in facts:
        assert fact["article_ids"] == [report.first], f"{name}: {fact['id']} is not 000's alone"
        assert fact["coverage"] == "one"
    deltas = {d["article_id"]: d for d in report.data["matrix"]["deltas"]}
    adds = deltas[report.first]["adds"]
    assert {f["id"] for f in facts} <= set(adds)


def test_001_adds_only_fuller_quotes(report: Report) -> None:
    """What 001 alone carries is quoted wording (and its headline), not new facts.

    A unit counts as quoted wording when it opens inside the quotation marks: the
    attribution that closes a quote ("…," Peskov told the Rossiya 1 broadcaster) is no
    claim of its own.
    """
    article = next(a for a in report.data["articles"] if a["id"] == report.second)
    quoted = [(m.start(), m.end()) for m in QUOTED.finditer(article["text"])]
    own = [
        u
        for f in report.data["facts"]
        if f["article_ids"] == [report.second]
        for u in report.fact_units(f, report.second)
        if u["section"] == "body"
    ]
    texts = [u["text"] for u in own]
    assert any("let us not get ahead of things" in t for t in texts)
    outside = [u["text"] for u in own if not any(s <= u["start"] < e for s, e in quoted)]
    assert not outside, f"001 adds unquoted claims: {outside}"


def test_no_discrepancy_on_november_1(report: Report) -> None:
    for found in report.data["discrepancies"]:
        texts = " ".join(v["span"]["text"] for v in found["values"])
        assert "November" not in texts, found


def test_timeline_000_first_at_1544_utc_001_as_interval(report: Report) -> None:
    timeline = report.data["timeline"]
    assert timeline["zone"] == "UTC"
    entries = {e["article_id"]: e for e in timeline["entries"]}
    first = entries[report.first]
    assert first["zone_known"] is True
    assert first["earliest"] == first["latest"] == "2021-10-24T15:44:00+00:00"
    second = entries[report.second]
    assert second["zone_known"] is False
    assert second["earliest"] < second["latest"]  # an interval, not a made-up instant
    assert second["earliest"] <= "2021-10-25T02:51:00+00:00" <= second["latest"]
    # 001's interval overlaps 000's time, so neither can honestly be called first alone
    assert timeline["first_certain"] is False
    dated = [e for e in timeline["events"] if e["date"] == "2021-11-01"]
    assert {e["article_id"] for e in dated} == {report.first, report.second}


def test_summary_cites_both_outlets(report: Report) -> None:
    summary = report.data["summary"]
    assert summary
    outlets = {a["outlet"] for a in report.data["articles"]}
    cited = {o for s in summary for o in s["outlets"]}
    assert cited == outlets
    for sentence in summary:
        assert sentence["outlets"], sentence


def test_report_validates_against_its_schema(report: Report) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from storylens.present.report_json import json_schema

    jsonschema.validate(report.data, json_schema())
