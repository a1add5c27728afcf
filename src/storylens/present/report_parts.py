"""What the terminal and Markdown reports both show, as plain strings and numbers.

The two renderings differ only in syntax, so the choices of what to show (how a time
with an unknown zone reads, which text labels a fact, how framing figures roll up) are
made once here. Article text is untrusted: `clean` drops control characters (terminal
escape sequences) and bidirectional overrides (text that reads other than it is) before
anything reaches a renderer; each renderer then escapes for its own syntax.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storylens.compare.model import (
    ArticleInfo,
    Comparison,
    Fact,
    Framing,
    TimelineEntry,
)

__all__ = [
    "CHECK",
    "CONTEXT_WIDTH",
    "QUOTE_WIDTH",
    "FramingFigures",
    "clean",
    "duration",
    "fact_labels",
    "fact_text",
    "first_line",
    "framing_figures",
    "lag_label",
    "relation_label",
    "short",
    "story_title",
    "time_label",
    "when_label",
]

# C0 and C1 controls but newline and tab (ESC starts terminal escape sequences), and the
# bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FACT_TEXT_WIDTH = 90
CHECK = "✓"  # an outlet carries the fact (text and Markdown tables)
QUOTE_WIDTH = 400  # characters of a quote the text and Markdown reports show
CONTEXT_WIDTH = 160  # characters of context around a span
TOP_VOICES = 3


def clean(text: str | None) -> str:
    """Untrusted text with nothing in it that could act on a terminal or mislead a reader."""
    return _UNSAFE.sub("", text or "")


def short(text: str | None, width: int) -> str:
    """One line of at most `width` characters (whitespace runs folded)."""
    line = " ".join(clean(text).split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def first_line(text: str | None) -> str:
    return " ".join(clean(text).split())


def story_title(c: Comparison) -> str:
    """The most neutral, most representative headline of the story.

    Not simply the first one: the first publisher may be a tabloid ("TOXIC INFERNO: …").
    Headlines with fewer loaded terms win, then those sharing the most words with the
    other headlines, then publication order.
    """
    titled = [(i, a) for i, a in enumerate(c.articles) if a.title and a.title.strip()]
    if not titled:
        return "Story comparison"
    loaded = {
        f.article_id: sum(1 for t in f.headline_terms if t.category != "neutral") for f in c.framing
    }
    words = {a.id: set(re.findall(r"[^\W\d_]{3,}", (a.title or "").casefold())) for _, a in titled}

    def key(item: tuple[int, ArticleInfo]) -> tuple[int, int, int]:
        index, article = item
        shared = sum(len(words[article.id] & words[o.id]) for _, o in titled if o is not article)
        return (loaded.get(article.id, 0), -shared, index)

    return first_line(min(titled, key=key)[1].title)


# --------------------------------------------------------------------------- times


def time_label(moment: datetime | None) -> str:
    if moment is None:
        return ""
    zone = moment.tzname() or ""
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


def when_label(entry: TimelineEntry | None) -> str:
    """The publication time as far as it is known: an instant, or "between … and …"."""
    if entry is None or entry.earliest is None:
        return "no date"
    if entry.latest is None or entry.latest == entry.earliest:
        return time_label(entry.earliest)
    return f"between {time_label(entry.earliest)} and {time_label(entry.latest)}"


def duration(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = round(abs(seconds) / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"


def lag_label(entry: TimelineEntry, first: bool) -> str:
    """The lag after the first publication; an interval when either time is one."""
    low = entry.lag_min if entry.lag_min is not None else entry.lag_max
    high = entry.lag_max if entry.lag_max is not None else entry.lag_min
    if low is None or high is None:
        return "first" if first else "unknown"
    if abs(high - low) < 60:
        return "first" if first and abs(low) < 60 else duration(low)
    return f"between {duration(low)} and {duration(high)}"


# --------------------------------------------------------------------------- facts


def fact_labels(c: Comparison) -> dict[str, str]:
    """Short names for the facts in report order: F1, F2, ..."""
    return {fact.id: f"F{index}" for index, fact in enumerate(c.facts, 1)}


def fact_text(fact: Fact | None, width: int = FACT_TEXT_WIDTH) -> str:
    """What a fact says, for a table cell: the text of its first unit, shortened."""
    if fact is None or not fact.units:
        return ""
    return short(fact.units[0].text, width)


def relation_label(rendering: object) -> str:
    """A rendering's relation to the group's fullest rendering ("fullest" for that one)."""
    if getattr(rendering, "fullest", False):
        return "fullest"
    return str(getattr(rendering, "relation", ""))


# --------------------------------------------------------------------------- framing


@dataclass(frozen=True, slots=True)
class FramingFigures:
    """One article's framing, rolled up for a table row."""

    article_id: str
    outlet: str
    verbs: tuple[tuple[str, int], ...]  # (category, count), most used first
    verb_terms: tuple[tuple[str, int], ...]  # (verb, count), most used first
    own_terms: tuple[tuple[str, int], ...]  # loaded terms in the outlet's own voice
    quoted_terms: tuple[tuple[str, int], ...]  # loaded terms inside quotations
    headline_terms: tuple[str, ...]
    voices: tuple[tuple[str, float, int], ...]  # (speaker, share, quotes), largest first
    quoted_share: float
    notes: tuple[str, ...]


def framing_figures(c: Comparison) -> list[FramingFigures]:
    """Per article in report order: verbs by category, loaded terms own vs quoted, voices."""
    by_article = {f.article_id: f for f in c.framing}
    out = []
    for info in c.articles:
        framing: Framing | None = by_article.get(info.id)
        if framing is None:
            continue
        own = [t for t in framing.loaded_terms if not t.in_quote]
        inside = [t for t in framing.loaded_terms if t.in_quote]
        voices = sorted(framing.voices, key=lambda v: (-v.share, -v.words, v.speaker))
        out.append(
            FramingFigures(
                article_id=info.id,
                outlet=info.outlet,
                verbs=_counts(t.category or "other" for t in framing.attribution_verbs),
                verb_terms=_counts(t.term for t in framing.attribution_verbs),
                own_terms=_counts(t.term for t in own),
                quoted_terms=_counts(t.term for t in inside),
                headline_terms=tuple(dict.fromkeys(t.term for t in framing.headline_terms)),
                voices=tuple(
                    (v.speaker or "unknown speaker", max(0.0, min(1.0, v.share)), v.quotes)
                    for v in voices[:TOP_VOICES]
                ),
                quoted_share=max(0.0, min(1.0, framing.quoted_share)),
                notes=framing.notes,
            )
        )
    return out


def _counts(items: Iterable[str]) -> tuple[tuple[str, int], ...]:
    counts = Counter(items)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
