"""The comparison as Markdown (CommonMark with GFM tables): the terminal report's sections.

For notes, issues and wikis, where the report is pasted and rendered by someone else's
Markdown engine. Article text is untrusted there too: `md_escape` makes every
article-derived string inert (no HTML, no emphasis, links, headings or code, no cell
breaks in tables), so a headline cannot inject markup into the page the report lands in.
"""

from __future__ import annotations

import re

from storylens.compare.model import Comparison
from storylens.present.report_parts import (
    CHECK,
    CONTEXT_WIDTH,
    QUOTE_WIDTH,
    clean,
    fact_labels,
    fact_text,
    first_line,
    framing_figures,
    lag_label,
    relation_label,
    short,
    story_title,
    when_label,
)

__all__ = ["comparison_markdown", "md_escape"]


# Punctuation that opens or closes a Markdown construct anywhere in a line (emphasis,
# code, links, table cells, strikethrough, headings, math), backslash-escaped as
# CommonMark allows; HTML's three go as entities, which every engine reads. Characters
# that matter only at the start of a line (list and heading markers) are escaped there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~$])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def md_escape(text: str | None) -> str:
    """One line of untrusted text, inert in Markdown: shown as written, nothing rendered.

    Whitespace runs (newlines too) fold to one space, so the text can sit in a table cell
    or list item without breaking it.
    """
    line = " ".join(clean(text).split())
    line = "".join(_HTML.get(ch, ch) for ch in line)
    line = _MD_SPECIAL.sub(r"\\\1", line)
    return _LINE_START.sub(_escape_start, line)


def _escape_start(match: re.Match[str]) -> str:
    if match.group(3):
        return "\\" + match.group(3)
    return f"{match.group(1)}\\{match.group(2)}"


def comparison_markdown(c: Comparison) -> str:
    """The whole report as one Markdown document."""
    parts = [
        _header(c),
        _timeline(c),
        _summary(c),
        _matrix(c),
        _deltas(c),
        _quotes(c),
        _discrepancies(c),
        _framing(c),
    ]
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header))]
    lines += [_row(r) for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- sections


def _header(c: Comparison) -> str:
    outlets = len({a.outlet for a in c.articles})
    lines = [f"# {md_escape(story_title(c))}", ""]
    story = f"Story {md_escape(c.story_id)} — " if c.story_id else ""
    lines.append(
        f"{story}{len(c.articles)} article{'s' if len(c.articles) != 1 else ''} from "
        f"{outlets} outlet{'s' if outlets != 1 else ''}; times in {md_escape(c.timeline.zone)}."
    )
    lines.append("")
    entries = {e.article_id: e for e in c.timeline.entries}
    rows = [
        [
            md_escape(info.outlet),
            md_escape(when_label(entries.get(info.id))),
            md_escape(first_line(info.title) or "(untitled)"),
            md_escape(info.url or info.source),
        ]
        for info in c.articles
    ]
    lines.append(_table(["Outlet", "Published", "Title", "Source"], rows))
    return "\n".join(lines)


def _timeline(c: Comparison) -> str:
    t = c.timeline
    lines = ["## Timeline", ""]
    first = [md_escape(c.outlet(a)) for a in t.first]
    if not first:
        lines.append("First publisher: unknown (no article has a date).")
    elif t.first_certain and len(first) == 1:
        lines.append(f"First published by **{first[0]}**.")
    else:
        lines.append(
            "May have published first (the times cannot tell them apart): "
            + ", ".join(f"**{name}**" for name in first)
            + "."
        )
    lines.append("")
    rows = [
        [
            str(entry.rank),
            md_escape(entry.outlet),
            md_escape(when_label(entry) + ("" if entry.zone_known else " (zone unknown)")),
            md_escape(lag_label(entry, entry.article_id in t.first)),
            md_escape(entry.original),
        ]
        for entry in t.entries
    ]
    lines.append(
        _table(["#", "Outlet", f"Published ({md_escape(t.zone)})", "Lag", "As given"], rows)
    )
    if t.events:
        lines += ["", "Dated events the articles mention:", ""]
        lines.append(
            _table(
                ["Date", "Outlet", "What", "Text"],
                [
                    [
                        md_escape(e.date),
                        md_escape(c.outlet(e.article_id)),
                        md_escape(short(e.phrase, 80)),
                        md_escape(short(e.span.text, 60)),
                    ]
                    for e in t.events
                ],
            )
        )
    return "\n".join(lines)


def _summary(c: Comparison) -> str:
    lines = ["## Summary", ""]
    if not c.summary:
        return "\n".join([*lines, "_No sentence to summarise._"])
    for index, sentence in enumerate(c.summary, 1):
        cite = ", ".join(md_escape(o) for o in sentence.outlets)
        flag = " **single source**" if sentence.single_source else ""
        lines.append(f"{index}. {md_escape(sentence.text)} \\[{cite}\\]{flag}")
    return "\n".join(lines)


def _matrix(c: Comparison) -> str:
    labels = fact_labels(c)
    carriers = {fact_id: set(ids) for fact_id, ids in c.matrix.rows}
    rows = []
    for fact in c.facts:
        carrying = carriers.get(fact.id, set(fact.article_ids))
        origin = " (1 origin)" if fact.single_source and fact.coverage != "one" else ""
        rows.append(
            [
                labels[fact.id],
                md_escape(fact_text(fact)),
                *(CHECK if a.id in carrying else "" for a in c.articles),
                fact.coverage + origin,
            ]
        )
    header = ["Fact", "Text", *(md_escape(a.outlet) for a in c.articles), "Coverage"]
    return "\n".join(["## Facts × outlets", "", _table(header, rows)])


def _deltas(c: Comparison) -> str:
    labels = fact_labels(c)
    lines = ["## What each outlet adds and leaves out"]
    for delta in c.matrix.deltas:
        lines += [
            "",
            f"**{md_escape(delta.outlet)}** adds {len(delta.adds)}, leaves out "
            f"{len(delta.omits)}, shares {len(delta.shared)}",
        ]
        items = [("Adds", f) for f in delta.adds] + [("Leaves out", f) for f in delta.omits]
        if items:
            lines.append("")
        for what, fact_id in items:
            text = md_escape(fact_text(c.fact(fact_id)))
            lines.append(f"- {what} {labels.get(fact_id, '?')}: {text}")
    return "\n".join(lines)


def _quotes(c: Comparison) -> str:
    lines = ["## Quotes"]
    if not c.quote_groups:
        return "\n".join([*lines, "", "_No quotes._"])
    for index, group in enumerate(c.quote_groups, 1):
        lines += ["", f"### Q{index}: {md_escape(group.speaker or 'unknown speaker')}", ""]
        if group.first is not None and group.first.outlets:
            said = "First carried by" if group.first.certain else "Maybe first carried by"
            names = ", ".join(md_escape(o or "?") for o in group.first.outlets)
            lines += [f"{said} {names}.", ""]
        rows = [
            [
                md_escape(r.outlet or c.outlet(r.article_id)),
                md_escape(r.quote.kind),
                md_escape(relation_label(r)),
                md_escape(short(r.quote.text, QUOTE_WIDTH)),
            ]
            for r in group.renderings
        ]
        lines.append(_table(["Outlet", "Kind", "Relation", "Rendering"], rows))
    return "\n".join(lines)


def _discrepancies(c: Comparison) -> str:
    lines = ["## Discrepancies"]
    if not c.discrepancies:
        return "\n".join(
            [*lines, "", "_None: where the outlets state the same things, they agree._"]
        )
    for d in c.discrepancies:
        lines += ["", f"### {md_escape(d.kind)}: {md_escape(d.subject)}", ""]
        rows = []
        for value in d.values:
            unit = c.unit(value.unit_id) if value.unit_id else None
            rows.append(
                [
                    md_escape(value.outlet),
                    f"**{md_escape(value.value)}**",
                    md_escape(short(value.span.text, 60)),
                    md_escape(short(unit.text if unit else "", CONTEXT_WIDTH)),
                ]
            )
        lines.append(_table(["Outlet", "Value", "As written", "In"], rows))
        if d.evidence:
            lines += ["", f"_{md_escape(d.evidence)}_"]
    return "\n".join(lines)


def _framing(c: Comparison) -> str:
    lines = ["## Framing", ""]
    figures = framing_figures(c)
    if not figures:
        return "\n".join([*lines, "_No framing figures._"])
    rows = []
    for f in figures:
        verbs = "; ".join(f"{category} {n}" for category, n in f.verbs)
        terms = ", ".join(f"{term} {n}" for term, n in f.verb_terms)
        voices = "; ".join(
            f"{speaker} {share:.0%} ({n} quote{'s' if n != 1 else ''})"
            for speaker, share, n in f.voices
        )
        rows.append(
            [
                md_escape(f.outlet),
                md_escape(verbs + (f" ({terms})" if terms else "")) or "—",
                md_escape(", ".join(f"{t} {n}" for t, n in f.own_terms)) or "—",
                md_escape(", ".join(f"{t} {n}" for t, n in f.quoted_terms)) or "—",
                md_escape(voices) or "—",
                f"{f.quoted_share:.0%}",
            ]
        )
    header = [
        "Outlet",
        "Attribution verbs",
        "Loaded terms (own voice)",
        "Loaded terms (quoted)",
        "Voices",
        "Quoted",
    ]
    lines.append(_table(header, rows))
    for f in figures:
        notes = [
            *(["headline: " + ", ".join(f.headline_terms)] if f.headline_terms else []),
            *f.notes,
        ]
        if notes:
            lines += ["", f"- **{md_escape(f.outlet)}**: " + md_escape("; ".join(notes))]
    return "\n".join(lines)
