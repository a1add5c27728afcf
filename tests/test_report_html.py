"""The HTML report: self-contained, structurally valid, inert to hostile text, and rendered.

A small comparison built by hand (three outlets, one of them hostile: script tags,
attribute injection, a bidi override, a `javascript:` URL) and the seeds compared by the
real pipeline are rendered, checked as markup, then opened in real headless Chromium:
no console error (CSP violations included), no page error, no request leaves the page,
every outlet's column and every section present, and a full-page screenshot written to
out/screenshots/.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

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
    SummarySentence,
    TermUse,
    Timeline,
    TimelineEntry,
    Voice,
)
from storylens.model import Quote
from storylens.nlp.quote_match import DiffSegment, FirstReport, QuoteGroup, Rendering
from storylens.present.report_html import (
    clean_text,
    comparison_html,
    content_security_policy,
    report_assets,
    safe_url,
)
from tests.builders import make_unit as _unit
from tests.conftest import SCREENSHOTS, record_problems

SECTIONS = ("columns", "summary", "facts", "quotes", "discrepancies", "timeline", "framing")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

# ----------------------------------------------------------------------------- fixture

A, B, C = "alpha001", "beta0002", "gamma003"
OUTLET_A = 'Alpha "News" <b>Daily</b>'
OUTLET_B = "Beta Wire"
OUTLET_C = "Gamma & Post"
TITLE_A = "Dam breach: 41 injured <script>window.__pwned=1</script>"
TITLE_B = "Dam breach leaves 40 injured, minister vows to rebuild"
TITLE_C = "Officials count 41 hurt after valley dam fails"
QUOTE_A = "We will rebuild every home and every road"
QUOTE_B = "We will rebuild every home"
TEXT_A = (
    "The ministry said 41 people were injured when the dam failed on Monday.\n\n"
    f'"{QUOTE_A}," the minister said at the scene.\n\n'
    "Rescue teams will stay in the valley until Friday, November 5.\n\n"
    'Critics called it a <script>window.__pwned=1</script> "onmouseover="window.__pwned=1" '
    "cover-up \u202egnp.exe\u202c of years of neglect. <img src=x onerror=window.__pwned=1>"
)
TEXT_B = (
    "At least 40 people were injured when the dam failed on Monday, the ministry said.\n\n"
    f'"{QUOTE_B}," the minister told reporters.\n\n'
    "Schools in the district will stay closed this week."
)
TEXT_C = (
    "Officials said 41 people were injured when the dam failed on Monday.\n\n"
    "Rescue teams will remain in the valley until Friday, November 5.\n\n"
    "Roads into the valley reopened on Tuesday morning."
)
HOSTILE_URL = "javascript:window.__pwned=1"


def _span(article_id: str, text: str, needle: str, section: Any = "body") -> Span:
    start = text.index(needle)
    return Span(article_id, start, start + len(needle), needle, section)


def _quote(article_id: str, text: str, words: str) -> Quote:
    start = text.index(words)
    end = start + len(words)
    return Quote(
        article_id, start, end, words, "direct", speaker="Minister Ana Ruiz", parts=((start, end),)
    )


def hostile_comparison() -> Comparison:
    """Three outlets, all coverage classes, a quote group, a discrepancy, hostile text."""
    t0 = datetime(2021, 11, 1, 8, 5, tzinfo=UTC)
    articles = (
        ArticleInfo(
            A, OUTLET_A, TITLE_A, HOSTILE_URL, "alpha.html", "en", t0.isoformat(), TEXT_A, A
        ),
        ArticleInfo(
            B,
            OUTLET_B,
            TITLE_B,
            'https://beta.example/dam?x=1&y="><script>window.__pwned=1</script>',
            "beta.html",
            "en",
            (t0 + timedelta(minutes=50)).isoformat(),
            TEXT_B,
            B,
        ),
        ArticleInfo(
            C, OUTLET_C, TITLE_C, "http://gamma.example/dam", "gamma.html", "en", None, TEXT_C, B
        ),
    )
    qa, qb = _quote(A, TEXT_A, QUOTE_A), _quote(B, TEXT_B, QUOTE_B)
    ka, kb = f"{A}:{qa.start}-{qa.end}", f"{B}:{qb.start}-{qb.end}"
    ua = [
        _unit(A, TITLE_A, TITLE_A, 0, section="headline"),
        _unit(A, TEXT_A, TEXT_A.split("\n\n")[0], 1, section="lead"),
        _unit(A, TEXT_A, TEXT_A.split("\n\n")[1], 2, quote_ids=(ka,), speaker="Ana Ruiz"),
        _unit(A, TEXT_A, TEXT_A.split("\n\n")[2], 3),
        _unit(A, TEXT_A, TEXT_A.split("\n\n")[3], 4),
    ]
    ub = [
        _unit(B, TITLE_B, TITLE_B, 0, section="headline"),
        _unit(B, TEXT_B, TEXT_B.split("\n\n")[0], 1, section="lead"),
        _unit(B, TEXT_B, TEXT_B.split("\n\n")[1], 2, quote_ids=(kb,), speaker="Ana Ruiz"),
        _unit(B, TEXT_B, TEXT_B.split("\n\n")[2], 3),
    ]
    uc = [
        _unit(C, TITLE_C, TITLE_C, 0, section="headline"),
        _unit(C, TEXT_C, TEXT_C.split("\n\n")[0], 1, section="lead"),
        _unit(C, TEXT_C, TEXT_C.split("\n\n")[1], 2),
        _unit(C, TEXT_C, TEXT_C.split("\n\n")[2], 3),
    ]
    facts = (
        Fact("f-injured", (ua[1], ub[1], uc[1]), (A, B, C), "all", 2),
        Fact("f-rebuild", (ua[2], ub[2]), (A, B), "some", 2),
        Fact("f-rescue", (ua[3], uc[2]), (A, C), "some", 1),
        Fact("f-critics", (ua[4],), (A,), "one", 1),
        Fact("f-schools", (ub[3],), (B,), "one", 1),
        Fact("f-roads", (uc[3],), (C,), "one", 1),
        Fact("f-head", (ua[0], ub[0], uc[0]), (A, B, C), "all", 2),
    )
    outlets = {A: OUTLET_A, B: OUTLET_B, C: OUTLET_C}
    cut = qa.start + len(QUOTE_B)
    group = QuoteGroup(
        id="g-rebuild",
        speaker="Minister Ana Ruiz",
        renderings=(
            Rendering(ka, qa, OUTLET_A, "verbatim", 1.0, ka, (), fullest=True),
            Rendering(
                kb,
                qb,
                OUTLET_B,
                "truncated",
                0.82,
                ka,
                (
                    DiffSegment("equal", QUOTE_B, B, qb.start, qb.end),
                    DiffSegment("delete", "and every road", A, cut + 1, qa.end),
                ),
            ),
        ),
        fullest=ka,
        first=FirstReport((A,), (OUTLET_A,), True, "published 50 minutes earlier"),
        evidence=(),
    )
    discrepancy = Discrepancy(
        id="d-injured",
        kind="number",
        fact_id="f-injured",
        subject="people injured",
        values=(
            DiscrepantValue(A, OUTLET_A, _span(A, TEXT_A, "41"), "41", ua[1].id),
            DiscrepantValue(B, OUTLET_B, _span(B, TEXT_B, "40"), "40", ub[1].id),
            DiscrepantValue(C, OUTLET_C, _span(C, TEXT_C, "41"), "41", uc[1].id),
        ),
        evidence="same count in the same fact <script>window.__pwned=1</script>",
    )
    timeline = Timeline(
        zone="UTC",
        entries=(
            TimelineEntry(A, OUTLET_A, "1 Nov 2021 08:05 GMT", t0, t0, True, 1, 0.0, 0.0),
            TimelineEntry(
                B,
                OUTLET_B,
                "Monday 1 November 2021 - 10:55",
                t0 - timedelta(hours=9),
                t0 + timedelta(hours=16),
                False,
                1,
                -9 * 3600.0,
                16 * 3600.0,
            ),
            TimelineEntry(C, OUTLET_C, None, None, None, False, 3),
        ),
        first=(A, B),
        first_certain=False,
        events=(
            EventMention(
                A, _span(A, TEXT_A, "Friday, November 5"), "2021-11-05", "rescue teams stay", "2021"
            ),
        ),
    )
    framing = (
        Framing(
            A,
            OUTLET_A,
            attribution_verbs=(
                TermUse("say", "neutral", _span(A, TEXT_A, "said"), "Ana Ruiz"),
                TermUse("call", "neutral", _span(A, TEXT_A, "called"), "Critics"),
            ),
            loaded_terms=(TermUse("cover-up", "alarm", _span(A, TEXT_A, "cover-up")),),
            voices=(Voice("Ana Ruiz", 1, 9, 1.0, (_span(A, TEXT_A, QUOTE_A),)),),
            quoted_share=0.18,
            headline_terms=(TermUse("breach", "alarm", _span(A, TITLE_A, "breach", "headline")),),
            notes=("headline <i>quotes</i> \u202eno one",),
        ),
        Framing(
            B,
            OUTLET_B,
            attribution_verbs=(TermUse("tell", "neutral", _span(B, TEXT_B, "told"), "Ana Ruiz"),),
            loaded_terms=(),
            voices=(Voice("Ana Ruiz", 1, 5, 1.0, (_span(B, TEXT_B, QUOTE_B),)),),
            quoted_share=0.16,
            headline_terms=(TermUse("vow", "assertive", _span(B, TITLE_B, "vows", "headline")),),
        ),
        Framing(C, OUTLET_C, (), (), (), 0.0),
    )
    summary = (
        SummarySentence(
            uc[1].text,
            uc[1].span,
            "f-injured",
            (A, B, C),
            (OUTLET_A, OUTLET_B, OUTLET_C),
            False,
        ),
        SummarySentence(uc[2].text, uc[2].span, "f-rescue", (A, C), (OUTLET_A, OUTLET_C), True),
        SummarySentence(uc[3].text, uc[3].span, "f-roads", (C,), (OUTLET_C,), True),
    )
    return Comparison(
        articles=articles,
        units=(*ua, *ub, *uc),
        facts=facts,
        matrix=fact_matrix(facts, [A, B, C], outlets),
        quote_groups=(group,),
        discrepancies=(discrepancy,),
        timeline=timeline,
        framing=framing,
        summary=summary,
        story_id='story"><script>window.__pwned=1</script>',
    )


def seed_comparison_or_skip() -> Comparison:
    """The seeds compared by the real pipeline, or a skip saying what is missing."""
    from tests.conftest import SEEDS, need

    need(SEEDS)
    try:
        import storylens.compare.framing  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"compare() is not complete yet ({exc}); the seed report cannot be built")
    from tests.seed_compare import seed_comparison

    try:
        return seed_comparison()
    except ImportError as exc:  # another part of the pipeline is still being written
        pytest.skip(f"compare() is not complete yet ({exc}); the seed report cannot be built")


# ----------------------------------------------------------------------------- markup


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SVG_LEAVES = {"rect", "circle", "line", "path"}
PHRASING_ONLY = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "span",
    "a",
    "strong",
    "em",
    "mark",
    "code",
    "time",
    "ins",
    "del",
    "summary",
    "kbd",
    "label",
    "button",
}
BLOCK = {
    "div",
    "p",
    "ul",
    "ol",
    "dl",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "details",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "nav",
    "main",
    "li",
}


class StrictChecker(HTMLParser):
    """Markup as the templates must write it: every element closed in order, ids unique,
    no block inside phrasing content, no link inside a link, no script but ours."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: Counter[str] = Counter()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.styles = 0
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.errors.append(f"<{tag}> repeats an attribute: {names}")
        for name, value in attrs:
            if name.startswith("on"):
                self.errors.append(f"<{tag}> has an event handler attribute {name}")
            if name == "style":
                self.errors.append(f"<{tag}> has a style attribute (blocked by the CSP)")
            if name == "id":
                self.ids[value or ""] += 1
            if name == "href" and tag == "a":
                self.hrefs.append(value or "")
            loads = name in ("href", "src", "action", "formaction", "xlink:href") and tag != "a"
            if loads and (tag, name, value) != ("link", "href", "data:,"):  # empty favicon
                self.errors.append(f"<{tag} {name}={value!r}> may load something")
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self.styles += 1
        if tag in BLOCK:
            for parent in self.stack:
                if parent in PHRASING_ONLY:
                    self.errors.append(f"<{tag}> inside <{parent}>")
                    break
        if tag == "a" and "a" in self.stack:
            self.errors.append("<a> inside <a>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
        else:
            self.stack.pop()


def check_markup(html: str) -> StrictChecker:
    checker = StrictChecker()
    checker.feed(html)
    checker.close()
    assert checker.doctype, "no <!doctype html>"
    assert not checker.stack, f"unclosed elements: {checker.stack}"
    assert not checker.errors, checker.errors[:10]
    duplicated = [i for i, n in checker.ids.items() if n > 1]
    assert not duplicated, f"duplicate ids: {duplicated[:10]}"
    assert checker.scripts == 1 and checker.styles == 1
    ids = set(checker.ids)
    for href in checker.hrefs:
        assert href.startswith(("#", "http://", "https://")), href
        if href.startswith("#") and href != "#":
            assert href[1:] in ids, f"link to missing id {href}"
    return checker


def test_hostile_text_is_escaped_and_cleaned() -> None:
    html = comparison_html(hostile_comparison())
    check_markup(html)
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>Daily" not in html
    assert '"onmouseover=' not in html
    assert "javascript:" not in html.lower()
    assert 'href="javascript' not in html.lower()
    assert not BIDI.search(html)
    assert "https://beta.example/dam?x=1&amp;y=&#34;&gt;&lt;script&gt;" in html


def test_csp_admits_exactly_our_assets() -> None:
    css, js = report_assets()
    html = comparison_html(hostile_comparison())
    csp = content_security_policy(css, js)
    assert f'content="{escape(csp)}"' in html
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert f"<style>{css}</style>" in html and f"<script>{js}</script>" in html


def test_safe_url_and_clean_text() -> None:
    assert safe_url("https://x.example/a?b=1") == "https://x.example/a?b=1"
    assert safe_url("http://x.example") == "http://x.example"
    for bad in (
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//x.example",
        "https://x.example/\u202e",
        "https:///nohost",
        "ftp://x.example",
        None,
        "",
    ):
        assert safe_url(bad) is None, bad
    assert clean_text("a\u202eb\u2066c\u2069d\x00e\r\nf") == "abcde\nf"


# ----------------------------------------------------------------------------- browser


def open_report(browser: Any, html: str, path: Path, screenshot: Path) -> dict[str, Any]:
    """Open the report from file://, check nothing goes wrong, screenshot it, query it."""
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems = record_problems(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".sl-report[data-ready=true]", timeout=5000)
    page.wait_for_timeout(200)
    facts: dict[str, Any] = page.evaluate(
        """() => {
          const q = (s) => document.querySelectorAll(s);
          return {
            pwned: window.__pwned === undefined ? null : String(window.__pwned),
            outlets: Array.from(q('.col .col-outlet'), (e) => e.textContent),
            columns: q('.columns > article.col').length,
            all: q('.col a.u.cov-all').length,
            some: q('.col a.u.cov-some').length,
            one: q('.col a.u.cov-one').length,
            legend: Array.from(q('#columns .legend li'), (e) => e.textContent.trim()),
            cards: q('#quotes .card').length,
            renderings: q('#quotes .rendering').length,
            diffs: q('#quotes .diff-text ins, #quotes .diff-text del').length,
            discrepancies: q('#discrepancies .disc-table tbody').length,
            discMarks: q('.col mark.disc').length,
            timelineRows: q('#timeline table.timeline tbody tr:not(.axis)').length,
            ranks: Array.from(q('#timeline table.timeline tbody td.num'), (e) => e.textContent),
            framingCols: q('#framing table.framing thead th').length - 1,
            summary: q('#summary ol.summary > li').length,
            cites: q('#summary ol.summary > li .cite').length,
            facts: q('#facts table.matrix tbody tr').length,
            jsHrefs: Array.from(q('a[href]'), (e) => e.getAttribute('href'))
              .filter((h) => !/^(#|https?:)/i.test(h)),
            scripts: q('script').length,
            sections: Array.from(q('main > section.sl-section'), (e) => e.id)
              .filter((id) => document.getElementById(id).querySelector('h2')),
            text: document.body.innerText,
            title: document.title,
          };
        }"""
    )
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    # Pin a fact by clicking a shared highlight: the script marks every rendering of it.
    page.click(".col a.u.cov-all")
    facts["pinned"] = page.evaluate("document.querySelectorAll('.is-pinned').length")
    facts["pinbar"] = page.evaluate("!document.getElementById('pinbar').hidden")
    page.keyboard.press("Escape")
    facts["unpinned"] = page.evaluate("document.querySelectorAll('.is-pinned').length")
    # On a phone the columns stack and nothing runs off the side of the page.
    page.set_viewport_size({"width": 400, "height": 800})
    facts["overflow"] = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.close()
    assert not problems, problems
    outside = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not outside, f"the report asked the network for {outside}"
    assert facts["pwned"] is None, "injected script ran"
    assert not facts["jsHrefs"], facts["jsHrefs"]
    assert facts["scripts"] == 1
    assert facts["sections"] == list(SECTIONS)
    assert facts["pinned"] > 1 and facts["pinbar"] and facts["unpinned"] == 0
    assert facts["overflow"] <= 0, "the page scrolls sideways on a narrow screen"
    return facts


def test_hostile_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    c = hostile_comparison()
    shot = SCREENSHOTS / "report-hostile.png"
    facts = open_report(browser, comparison_html(c), tmp_path / "hostile.html", shot)
    assert facts["columns"] == 3
    assert facts["outlets"] == [OUTLET_A, OUTLET_B, OUTLET_C]
    assert facts["all"] > 0 and facts["some"] > 0 and facts["one"] > 0
    assert len(facts["legend"]) == 4  # all, some, one, disagreeing value
    assert facts["cards"] == 1 and facts["renderings"] == 2 and facts["diffs"] > 0
    assert facts["discrepancies"] == 1 and facts["discMarks"] == 3
    assert facts["timelineRows"] == 3 and facts["ranks"] == ["1", "1", "3"]
    assert facts["framingCols"] == 3
    assert facts["summary"] == 3 and facts["cites"] == 6
    assert facts["facts"] == len(c.facts)
    text = facts["text"]
    assert "<script>window.__pwned=1</script>" in text  # shown as text, not run
    assert '"onmouseover="window.__pwned=1"' in text
    assert "gnp.exe" in text and not BIDI.search(text)
    assert shot.stat().st_size > 10_000


def test_seed_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    c = seed_comparison_or_skip()
    html = comparison_html(c)
    check_markup(html)
    shot = SCREENSHOTS / "report-seeds.png"
    facts = open_report(browser, html, tmp_path / "seeds.html", shot)
    assert facts["columns"] == len(c.articles)
    assert facts["outlets"] == [clean_text(a.outlet) for a in c.articles]
    assert facts["all"] > 0 and facts["one"] > 0
    assert facts["cards"] == len(c.quote_groups) > 0
    assert facts["discrepancies"] == len(c.discrepancies)
    assert facts["timelineRows"] == len(c.timeline.entries)
    assert facts["ranks"] == [str(e.rank) for e in c.timeline.entries]
    assert facts["framingCols"] == len(c.framing)
    assert facts["summary"] == len(c.summary) > 0 and facts["cites"] >= facts["summary"]
    assert shot.stat().st_size > 10_000
