"""The comparison in the terminal: one screen section per question a reader asks.

Who published first, what all outlets agree on (the cited summary), which outlet
carries which fact, what each adds or leaves out, how each rendered the quotes, where
the numbers and names disagree, and how each frames the story.

Article text is untrusted: every string that comes from an article (titles, outlet
names, sentences, speakers) reaches rich as a `Text`, never as a markup string, so a
title containing "[bold]" or "[/]" prints as written; control characters are dropped
first (`report_parts.clean`), so no article can send escape sequences to the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from storylens.compare.model import Comparison, EventMention
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

__all__ = ["render_comparison"]


def render_comparison(c: Comparison, console: Console) -> None:
    """Print the whole report to `console`."""
    _header(c, console)
    _timeline(c, console)
    _summary(c, console)
    _matrix(c, console)
    _deltas(c, console)
    _quotes(c, console)
    _discrepancies(c, console)
    _framing(c, console)


def _t(text: str | None, style: str = "") -> Text:
    """Untrusted text as a rich `Text`: printed as written, never read as markup."""
    return Text(clean(text), style=style)


def _section(console: Console, title: str) -> None:
    console.print()
    console.rule(Text(title, style="bold"), align="left")


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_lines=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


# --------------------------------------------------------------------------- sections


def _header(c: Comparison, console: Console) -> None:
    console.print(_t(story_title(c), "bold"))
    outlets = len({a.outlet for a in c.articles})
    line = Text()
    if c.story_id:
        line.append(f"story {clean(c.story_id)} — ")
    line.append(
        f"{len(c.articles)} article{'s' if len(c.articles) != 1 else ''} from "
        f"{outlets} outlet{'s' if outlets != 1 else ''}; times in {clean(c.timeline.zone)}"
    )
    console.print(line)
    entries = {e.article_id: e for e in c.timeline.entries}
    table = _table("outlet", "published", "title", "article")
    for info in c.articles:
        table.add_row(
            _t(info.outlet, "green"),
            _t(when_label(entries.get(info.id))),
            _t(first_line(info.title) or "(untitled)"),
            _t(info.id, "dim"),
        )
    console.print(table)


def _timeline(c: Comparison, console: Console) -> None:
    t = c.timeline
    _section(console, "Timeline")
    first = [c.outlet(a) for a in t.first]
    line = Text()
    if not first:
        line.append("First publisher: unknown (no article has a date)")
    elif t.first_certain and len(first) == 1:
        line.append("First published by ")
        line.append(_t(first[0], "green"))
    else:
        line.append("May have published first (the times cannot tell them apart): ")
        line.append(_t(", ".join(first), "green"))
    console.print(line)
    table = _table("#", "outlet", f"published ({clean(t.zone)})", "lag", "as given")
    for entry in t.entries:
        is_first = entry.article_id in t.first
        table.add_row(
            str(entry.rank),
            _t(entry.outlet, "green"),
            _t(when_label(entry) + ("" if entry.zone_known else " (zone unknown)")),
            _t(lag_label(entry, is_first)),
            _t(first_line(entry.original), "dim"),
        )
    console.print(table)
    if t.events:
        console.print(Text("Dated events the articles mention", style="bold"))
        events = _table("date", "what", "outlets")
        for (date, _), mentions in _grouped_events(t.events).items():
            events.add_row(
                _t(date),
                _t(short(mentions[0].phrase, 100)),
                _t(", ".join(dict.fromkeys(c.outlet(m.article_id) for m in mentions)), "green"),
            )
        console.print(events)


def _grouped_events(events: Sequence[EventMention]) -> dict[tuple[str, str], list[EventMention]]:
    """Mentions of one date in the same words (wire copies) on one row."""
    rows: dict[tuple[str, str], list[EventMention]] = {}
    for event in events:
        key = (event.date, " ".join(event.phrase.casefold().split()))
        rows.setdefault(key, []).append(event)
    return rows


def _summary(c: Comparison, console: Console) -> None:
    _section(console, "Summary")
    if not c.summary:
        console.print(Text("(no sentence to summarise)", style="dim"))
        return
    for index, sentence in enumerate(c.summary, 1):
        line = Text(f"{index}. ")
        line.append(_t(first_line(sentence.text)))
        line.append(" [")
        line.append(_t(", ".join(sentence.outlets), "green"))
        line.append("]")
        if sentence.single_source:
            line.append(" single source", style="bold yellow")
        console.print(line)


def _matrix(c: Comparison, console: Console) -> None:
    """One row per fact, one narrow numbered column per outlet (legend above)."""
    _section(console, "Facts × outlets")
    labels = fact_labels(c)
    legend = Text()
    for number, info in enumerate(c.articles, 1):
        legend.append(f"[{number}] ", style="bold")
        legend.append(_t(info.outlet, "green"))
        legend.append("   ")
    console.print(legend)
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column("fact", no_wrap=True)
    table.add_column("text", ratio=1, overflow="fold")
    for number in range(1, len(c.articles) + 1):
        table.add_column(str(number), justify="center", no_wrap=True)
    table.add_column("coverage", no_wrap=True)
    carriers = {fact_id: set(ids) for fact_id, ids in c.matrix.rows}
    for fact in c.facts:
        carrying = carriers.get(fact.id, set(fact.article_ids))
        table.add_row(
            labels[fact.id],
            _t(short(fact_text(fact), 160)),
            *(Text(CHECK, style="green") if a.id in carrying else Text("") for a in c.articles),
            Text(
                fact.coverage
                + (" (1 origin)" if fact.single_source and fact.coverage != "one" else "")
            ),
        )
    console.print(table)


def _deltas(c: Comparison, console: Console) -> None:
    _section(console, "What each outlet adds and leaves out")
    labels = fact_labels(c)
    for delta in c.matrix.deltas:
        head = _t(delta.outlet, "bold green")
        head.append(
            f"  adds {len(delta.adds)}, leaves out {len(delta.omits)}, shares {len(delta.shared)}",
            style="",
        )
        console.print(head)
        for sign, fact_ids in (("+", delta.adds), ("-", delta.omits)):
            for fact_id in fact_ids:
                line = Text(f"  {sign} {labels.get(fact_id, '?')} ")
                line.append(_t(fact_text(c.fact(fact_id))))
                console.print(line)


def _quotes(c: Comparison, console: Console) -> None:
    _section(console, "Quotes")
    if not c.quote_groups:
        console.print(Text("(no quotes)", style="dim"))
        return
    for index, group in enumerate(c.quote_groups, 1):
        head = Text(f"Q{index} ", style="bold")
        head.append(_t(group.speaker or "unknown speaker", "bold"))
        if group.first is not None and group.first.outlets:
            head.append("  first: " if group.first.certain else "  maybe first: ", style="dim")
            head.append(_t(", ".join(o or "?" for o in group.first.outlets), "dim"))
        console.print(head)
        table = _table("outlet", "kind", "relation", "rendering")
        for rendering in group.renderings:
            table.add_row(
                _t(rendering.outlet or c.outlet(rendering.article_id), "green"),
                _t(rendering.quote.kind),
                _t(relation_label(rendering)),
                _t(short(rendering.quote.text, QUOTE_WIDTH)),
            )
        console.print(table)


def _discrepancies(c: Comparison, console: Console) -> None:
    _section(console, "Discrepancies")
    if not c.discrepancies:
        console.print(
            Text("(none: where the outlets state the same things, they agree)", style="dim")
        )
        return
    for discrepancy in c.discrepancies:
        head = Text(f"{discrepancy.kind}: ", style="bold")
        head.append(_t(discrepancy.subject, "bold"))
        console.print(head)
        table = _table("outlet", "value", "as written", "in")
        for value in discrepancy.values:
            unit = c.unit(value.unit_id) if value.unit_id else None
            table.add_row(
                _t(value.outlet, "green"),
                _t(value.value, "bold"),
                _t(short(value.span.text, 60)),
                _t(short(unit.text if unit else "", CONTEXT_WIDTH), "dim"),
            )
        console.print(table)
        if discrepancy.evidence:
            console.print(_t("  " + short(discrepancy.evidence, CONTEXT_WIDTH), "dim"))


def _framing(c: Comparison, console: Console) -> None:
    _section(console, "Framing")
    figures = framing_figures(c)
    if not figures:
        console.print(Text("(no framing figures)", style="dim"))
        return
    table = _table(
        "outlet",
        "attribution verbs",
        "loaded terms (own voice)",
        "loaded terms (quoted)",
        "voices",
        "quoted",
    )
    for f in figures:
        verbs = _t("; ".join(f"{category} {n}" for category, n in f.verbs) or "—")
        if f.verb_terms:
            verbs.append("\n")
            verbs.append(_t(", ".join(f"{term} {n}" for term, n in f.verb_terms), "dim"))
        voices = _t(
            "; ".join(
                f"{speaker} {share:.0%} ({n} quote{'s' if n != 1 else ''})"
                for speaker, share, n in f.voices
            )
            or "—"
        )
        table.add_row(
            _t(f.outlet, "green"),
            verbs,
            _t(", ".join(f"{term} {n}" for term, n in f.own_terms) or "—"),
            _t(", ".join(f"{term} {n}" for term, n in f.quoted_terms) or "—"),
            voices,
            Text(f"{f.quoted_share:.0%}"),
        )
    console.print(table)
    for f in figures:
        notes = [*(["headline: " + ", ".join(f.headline_terms)] if f.headline_terms else [])]
        notes += [first_line(note) for note in f.notes]
        if notes:
            line = _t(f.outlet, "green")
            line.append(_t(": " + "; ".join(notes)))
            console.print(line)
