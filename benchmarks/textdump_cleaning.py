"""How well the plain-text dump cleaner finds the article in a whole page's text.

No public benchmark of text dumps exists, so this builds one from the AEB pages
(../shared/data/aeb): each page is rendered to the text a browser's "save as text" /
`innerText` gives — every block element on its own line, inline elements run together,
script/style/hidden elements dropped, menus, footers and captions all kept — and the
cleaner sees only those bytes. The body is scored against the AEB gold with the AEB
metric (tokens `\\w+`, 4-gram shingles, multiset precision/recall per page, macro means,
F1 of the means) beside the uncleaned full text from the same run.

Why not trafilatura's `html2txt`: it joins the whole page into one line, which no saved
text file looks like and which leaves a line classifier nothing to work with.

    .venv/bin/python benchmarks/textdump_cleaning.py [--limit N] [--show ID]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, machine_info, write_result
from storylens.extract import ExtractOptions
from storylens.extract.draft import ArticleDraft
from storylens.extract.textdump import extract_textdump

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "svg",
    "iframe",
    "object",
    "canvas",
    "select",
    "option",
    "math",
}
_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "button",
    "label",
    "input",
    "textarea",
}
_WHITESPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def render_text(html: bytes) -> str:
    """A page as a browser would save it as text: one line per block, hidden parts gone."""
    from lxml import html as lxml_html

    # AEB stores every page as UTF-8 (Splash re-serialised them); lxml would guess Latin-1
    # for pages that do not declare it, so decode first.
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", html.decode("utf-8", errors="replace"))
    try:
        root = lxml_html.document_fromstring(markup)
    except (ValueError, TypeError):  # pragma: no cover - malformed pages
        return ""
    parts: list[str] = []
    _walk(root, parts)
    text = "".join(parts)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(element: Any, parts: list[str], pre: bool = False) -> None:
    """Emit text in document order; source line breaks collapse as a browser's do."""
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    visible = tag not in _SKIP and not _hidden(element)
    block = tag in _BLOCK
    pre = pre or tag == "pre"
    if visible:
        if block:
            parts.append("\n")
        if element.text:
            parts.append(_flow(element.text, pre))
        for child in element:
            _walk(child, parts, pre)
        if block:
            parts.append("\n")
    if element.tail:
        parts.append(_flow(element.tail, pre and tag != "pre"))


def _flow(text: str, pre: bool) -> str:
    return text if pre else _WHITESPACE.sub(" ", text)


def _hidden(element: Any) -> bool:
    if not isinstance(element.tag, str):
        return True  # comments, processing instructions
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if element.tag.lower() == "input" and element.get("type", "").lower() == "hidden":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


# --- the AEB metric ---------------------------------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def precision_recall(predicted: str, gold: str) -> tuple[float, float]:
    """AEB's per-page shingle precision and recall."""
    true, pred = _shingles(gold), _shingles(predicted)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    if fp == fn == 0:
        return 1.0, 1.0
    if tp == 0:
        return 0.0, 0.0
    return tp / (tp + fp), tp / (tp + fn)


def summarise(scores: list[tuple[float, float]]) -> dict[str, float]:
    p = sum(s[0] for s in scores) / len(scores)
    r = sum(s[1] for s in scores) / len(scores)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"f1": round(f1, 4), "precision": round(p, 4), "recall": round(r, 4)}


def clean(text: str) -> str:
    draft = ArticleDraft(source="aeb")
    extract_textdump(text.encode("utf-8"), draft, ExtractOptions(), encoding="utf-8")
    return draft.text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--show", default="", help="print one page's dump and cleaned body")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages")
    parser.add_argument("--scores", default="", help="write per-page P/R as JSON here")
    parser.add_argument("--no-write", action="store_true", help="do not write the result")
    args = parser.parse_args(argv)

    aeb = data_dir("aeb")
    if aeb is None or not (aeb / "ground-truth.json").is_file():
        print("SKIP: ../shared/data/aeb is absent; nothing to measure", file=sys.stderr)
        return 0
    gold: dict[str, dict[str, str]] = json.loads((aeb / "ground-truth.json").read_text("utf-8"))
    ids = sorted(gold)
    if args.show:
        ids = [i for i in ids if i.startswith(args.show)]
    elif args.limit:
        ids = ids[: args.limit]

    dumps = {
        i: render_text(gzip.decompress((aeb / "html" / f"{i}.html.gz").read_bytes())) for i in ids
    }
    baseline = [precision_recall(dumps[i], gold[i]["articleBody"]) for i in ids]
    cleaned: dict[str, str] = {}
    clean("warm-up line\n" * 3 + "A first paragraph of some length to load the models.")
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in ids:
        cleaned[i] = clean(dumps[i])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    scores = [precision_recall(cleaned[i], gold[i]["articleBody"]) for i in ids]

    if args.scores:
        Path(args.scores).write_text(json.dumps(dict(zip(ids, scores, strict=True))), "utf-8")
    if args.show:
        for i in ids:
            print(dumps[i], "\n", "=" * 70, "\n", cleaned[i], "\n", scores[ids.index(i)])
        return 0
    if args.worst:
        ranked = sorted(
            zip(ids, scores, strict=True),
            key=lambda x: 2 * x[1][0] * x[1][1] / (x[1][0] + x[1][1] or 1),
        )
        for page, (p, r) in ranked[: args.worst]:
            print(f"{page[:12]} P={p:.3f} R={r:.3f} {gold[page]['url'][:70]}")

    result = {
        "benchmark": "textdump_cleaning",
        "data": "AEB (scrapinghub/article-extraction-benchmark) dev pages rendered to text",
        "rendering": "lxml innerText-like: block elements on their own lines, hidden removed",
        "pages": len(ids),
        "cleaned": summarise(scores),
        "baseline_full_text": summarise(baseline),
        # CPU time is the figure to compare: the wall clock includes other processes on a
        # shared machine. Rendering HTML to text is not counted (a dump arrives as text).
        "pages_per_cpu_second": round(len(ids) / cpu, 1) if cpu else None,
        "pages_per_second_wall": round(len(ids) / elapsed, 1) if elapsed else None,
        "cpu_seconds": round(cpu, 2),
        "median_dump_chars": sorted(len(dumps[i]) for i in ids)[len(ids) // 2],
        "empty_outputs": sum(1 for i in ids if not cleaned[i].strip()),
        "pages_f1_below_0_5": sum(1 for p, r in scores if p + r == 0 or 2 * p * r / (p + r) < 0.5),
        "machine": machine_info(("justext", "lxml", "py3langid", "python-dateutil")),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    if not args.no_write and not args.limit:
        print("wrote", write_result("textdump_cleaning", result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
