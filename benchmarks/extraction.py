"""HTML extraction quality and speed: storylens against trafilatura/htmldate alone.

Two development sets from `../shared/data` (see its README):

* AEB (ScrapingHub article-extraction-benchmark, 181 pages): body text, scored with the
  benchmark's own metric — `\\w+` tokens, 4-gram shingles, multiset precision/recall per
  page, macro-averaged P and R, F1 of the two means (a port of its `evaluate.py`).
* Fundus parser test pages: title exact match, author set-F1, published instant within
  60 s (pages whose gold states a zone), body word-F1.

Each baseline runs in the same process on the same pages. Results go to
`benchmarks/results/extraction.json` with the machine they were measured on.

    .venv/bin/python benchmarks/extraction.py [--limit N] [--only aeb|fundus]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, machine_info, write_result
from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.model import Article
from storylens.readers.base import RawDocument

PACKAGES = ("trafilatura", "htmldate", "lxml", "py3langid")
OPTIONS = ExtractOptions(time_limit=30.0)

# --------------------------------------------------------------------------- AEB metric
# A faithful port of scrapinghub/article-extraction-benchmark evaluate.py (4a3bc979).

_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
TpFpFn = tuple[float, float, float]


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def shingle_match(true: str, pred: str) -> TpFpFn:
    """Per-page TP/FP/FN over 4-gram shingles, normalised to sum to 1."""
    gold, guess = _shingles(true), _shingles(pred)
    tp = fp = fn = 0.0
    for key in gold.keys() | guess.keys():
        t, p = gold.get(key, 0), guess.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def aeb_metrics(scores: list[TpFpFn]) -> dict[str, float]:
    precision = statistics.mean(_precision(*s) for s in scores if s[0] + s[1] > 0)
    recall = statistics.mean(_recall(*s) for s in scores if s[0] + s[2] > 0)
    return {
        "f1": 2 * precision * recall / (precision + recall),
        "precision": precision,
        "recall": recall,
    }


def aeb_bootstrap_f1(scores: list[TpFpFn], rounds: int = 1000) -> float:
    """1.96 x the bootstrap std of F1, as the benchmark reports its ±."""
    rng = random.Random(0)
    values = []
    for _ in range(rounds):
        sample = [scores[rng.randrange(len(scores))] for _ in scores]
        values.append(aeb_metrics(sample)["f1"])
    return 1.96 * statistics.stdev(values)


# --------------------------------------------------------------------------- runners


@dataclass(slots=True)
class Timed:
    value: Any
    seconds: float  # wall clock
    cpu: float  # CPU time of this process (all threads): robust to a busy machine


def timed(func: Callable[[], Any]) -> Timed:
    start, start_cpu = time.perf_counter(), time.process_time()
    value = func()
    return Timed(value, time.perf_counter() - start, time.process_time() - start_cpu)


def storylens_article(data: bytes, source: str, url: str | None) -> Article | None:
    raw = RawDocument(source=source, data=data, media_type="text/html", url=url, hint_source="http")
    try:
        return extract(raw, OPTIONS)
    except InputError:
        return None


def trafilatura_text(data: bytes, url: str | None, comments: bool = True) -> str:
    import trafilatura

    return trafilatura.extract(data, url=url, include_comments=comments) or ""


# --------------------------------------------------------------------------- AEB


def aeb_pages(root: Path, limit: int | None) -> Iterator[tuple[str, bytes, str, str]]:
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    for count, key in enumerate(sorted(truth)):
        if limit is not None and count >= limit:
            return
        data = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        yield key, data, truth[key].get("url") or "", truth[key].get("articleBody") or ""


def run_aeb(root: Path, limit: int | None) -> dict[str, Any]:
    # trafilatura.extract's defaults include comments; AEB gold has none, and the
    # published trafilatura entry was made without them, so both are shown.
    systems: dict[str, list[TpFpFn]] = {
        "storylens": [],
        "trafilatura": [],
        "trafilatura-nocomments": [],
    }
    seconds = {name: 0.0 for name in systems}
    cpu = {name: 0.0 for name in systems}
    exact = Counter[str]()
    empty = Counter[str]()
    per_page: dict[str, float] = {}
    pages = list(aeb_pages(root, limit))
    storylens_article(pages[0][1], "warmup", pages[0][2])  # imports and caches
    for key, data, url, gold in pages:
        ours = timed(partial(storylens_article, data, key, url))
        theirs = timed(partial(trafilatura_text, data, url))
        bare = timed(partial(trafilatura_text, data, url, comments=False))
        outputs = {
            "storylens": ours.value.text if ours.value else "",
            "trafilatura": theirs.value,
            "trafilatura-nocomments": bare.value,
        }
        for name, run in (
            ("storylens", ours),
            ("trafilatura", theirs),
            ("trafilatura-nocomments", bare),
        ):
            seconds[name] += run.seconds
            cpu[name] += run.cpu
        for name, text in outputs.items():
            score = shingle_match(gold, text)
            systems[name].append(score)
            empty[name] += not text.strip()
            exact[name] += _TOKEN.findall(gold) == _TOKEN.findall(text)
        tp, fp, fn = systems["storylens"][-1]
        p, r = _precision(tp, fp, fn), _recall(tp, fp, fn)
        per_page[key] = round(2 * p * r / (p + r), 4) if p + r else 0.0
    result: dict[str, Any] = {"pages": len(pages), "systems": {}}
    for name, scores in systems.items():
        metrics = aeb_metrics(scores)
        page_f1 = [
            2 * _precision(*s) * _recall(*s) / (_precision(*s) + _recall(*s))
            if _precision(*s) + _recall(*s)
            else 0.0
            for s in scores
        ]
        result["systems"][name] = {
            **{k: round(v, 4) for k, v in metrics.items()},
            "f1_ci": round(aeb_bootstrap_f1(scores), 4),
            "accuracy": round(exact[name] / len(pages), 4),
            "empty": empty[name],
            "pages_f1_below_0.5": sum(f < 0.5 for f in page_f1),
            "pages_per_s": round(len(pages) / seconds[name], 2),
            "pages_per_cpu_s": round(len(pages) / cpu[name], 2),
        }
    result["systems"]["storylens"]["worst_pages"] = sorted(per_page.items(), key=lambda kv: kv[1])[
        :10
    ]
    result["gold_self_check_f1"] = aeb_metrics([shingle_match(g, g) for _, _, _, g in pages[:20]])[
        "f1"
    ]
    return result


# --------------------------------------------------------------------------- Fundus


@dataclass(frozen=True, slots=True)
class FundusPage:
    name: str  # "<cc>/<Publisher>_<date>"
    data: bytes
    url: str | None
    gold: dict[str, Any]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def fundus_pages(root: Path, limit: int | None) -> Iterator[FundusPage]:
    """Gold versions matched to pages by date order (each parser version is valid for a
    later period than the one before, so sorted versions pair with sorted dates)."""
    count = 0
    for gold_path in sorted(root.glob("*/*.json")):
        publisher = gold_path.stem
        info_path = gold_path.parent / "meta.info"
        info = json.loads(info_path.read_text("utf-8")) if info_path.exists() else {}
        pattern = re.compile(re.escape(publisher) + r"_\d{4}_\d{2}_\d{2}\.html\.gz")
        pages = sorted(p for p in gold_path.parent.iterdir() if pattern.fullmatch(p.name))
        versions = json.loads(gold_path.read_text("utf-8"))
        ordered = sorted(versions, key=_version_key)
        if len(ordered) != len(pages):
            print(f"  skip {gold_path}: {len(ordered)} gold versions, {len(pages)} pages")
            continue
        for version, page in zip(ordered, pages, strict=True):
            if limit is not None and count >= limit:
                return
            count += 1
            yield FundusPage(
                name=f"{gold_path.parent.name}/{page.name.removesuffix('.html.gz')}",
                data=gzip.decompress(page.read_bytes()),
                url=(info.get(page.name) or {}).get("url"),
                gold=versions[version],
            )


def _norm_title(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|&|/|\band\b|\bund\b|\by\b|\bet\b)\s*", re.IGNORECASE)
_AUTHOR_PREFIX = re.compile(r"^(?:by|von)\s+", re.IGNORECASE)


def author_set(names: Any) -> set[str]:
    if isinstance(names, str):
        names = [names]
    found: set[str] = set()
    for name in names or ():
        for part in _AUTHOR_SPLIT.split(str(name)):
            part = " ".join(_AUTHOR_PREFIX.sub("", part.strip()).lower().split())
            if part:
                found.add(part)
    return found


def set_f1(gold: set[str], pred: set[str]) -> float:
    if not gold and not pred:
        return 1.0
    if not gold or not pred:
        return 0.0
    common = len(gold & pred)
    return 2 * common / (len(gold) + len(pred))


def _words(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def word_f1(gold: str, pred: str) -> float:
    g, p = _words(gold), _words(pred)
    common = sum((g & p).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def gold_body(body: dict[str, Any]) -> str:
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return "\n".join(parts)


def gold_instant(value: str | None) -> datetime | None:
    """The gold publishing date when it states a zone (naive ones are not scored)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else None


@dataclass(slots=True)
class Prediction:
    title: str | None
    authors: tuple[str, ...]
    published: datetime | None  # aware, or None when no instant is known
    text: str


def storylens_prediction(page: FundusPage) -> Prediction:
    article = storylens_article(page.data, page.name, page.url)
    if article is None:
        return Prediction(None, (), None, "")
    published = article.published.utc if article.published else None
    return Prediction(article.title, article.byline, published, article.text)


def baseline_prediction(page: FundusPage) -> Prediction:
    """trafilatura's own title/author/body plus htmldate for time and zone."""
    import trafilatura
    from htmldate import find_date

    document = trafilatura.bare_extraction(page.data, url=page.url, with_metadata=True)
    title = getattr(document, "title", None) if document is not None else None
    author = getattr(document, "author", None) if document is not None else None
    text = getattr(document, "text", None) if document is not None else None
    stamp = find_date(
        page.data,
        extensive_search=True,
        original_date=True,
        outputformat="%Y-%m-%dT%H:%M:%S%z",
        url=page.url,
    )
    published = None
    if stamp:
        moment = datetime.fromisoformat(stamp)
        published = moment if moment.tzinfo is not None else None
    authors = tuple(a.strip() for a in (author or "").split(";") if a.strip())
    return Prediction(title, authors, published, text or "")


def run_fundus(root: Path, limit: int | None) -> dict[str, Any]:
    systems: dict[str, Callable[[FundusPage], Prediction]] = {
        "storylens": storylens_prediction,
        "baseline": baseline_prediction,
    }
    pages = list(fundus_pages(root, limit))
    storylens_prediction(pages[0])  # warm up imports and caches
    result: dict[str, Any] = {"pages": len(pages), "systems": {}}
    misses: dict[str, list[str]] = {"title": [], "author": [], "published": []}
    for name, predict in systems.items():
        titles, authors, dates, bodies, false_authors = [], [], [], [], []
        seconds = cpu = 0.0
        for page in pages:
            run = timed(partial(predict, page))
            seconds += run.seconds
            cpu += run.cpu
            pred: Prediction = run.value
            gold = page.gold
            titles.append(_norm_title(pred.title) == _norm_title(gold.get("title")))
            gold_authors = author_set(gold.get("authors"))
            if gold_authors:
                authors.append(set_f1(gold_authors, author_set(pred.authors)))
            else:
                false_authors.append(bool(pred.authors))
            instant = gold_instant(gold.get("publishing_date"))
            if instant is not None:
                ok = (
                    pred.published is not None
                    and abs((pred.published - instant).total_seconds()) <= 60
                )
                dates.append(ok)
            bodies.append(word_f1(gold_body(gold.get("body") or {}), pred.text))
            if name == "storylens":
                if not titles[-1]:
                    misses["title"].append(page.name)
                if gold_authors and authors[-1] < 1:
                    misses["author"].append(page.name)
                if instant is not None and not dates[-1]:
                    misses["published"].append(page.name)
        result["systems"][name] = {
            "title_exact": round(statistics.mean(titles), 4),
            "author_set_f1": round(statistics.mean(authors), 4),
            "author_pages": len(authors),
            "false_author_pages": f"{sum(false_authors)}/{len(false_authors)}",
            "published_within_60s": round(statistics.mean(dates), 4),
            "published_pages": len(dates),
            "body_word_f1": round(statistics.mean(bodies), 4),
            "pages_per_s": round(len(pages) / seconds, 2),
            "pages_per_cpu_s": round(len(pages) / cpu, 2),
        }
    result["systems"]["storylens"]["misses"] = misses
    return result


# --------------------------------------------------------------------------- report


def _row(cells: list[tuple[str, int]]) -> str:
    return "  ".join(
        f"{text:>{width}}" if i else f"{text:<{width}}" for i, (text, width) in enumerate(cells)
    )


def print_table(results: dict[str, Any]) -> None:
    aeb = results.get("aeb")
    if aeb:
        widths = (24, 12, 6, 6, 6, 6, 5, 8, 12)
        head = ["system", "F1", "P", "R", "acc", "empty", "<0.5", "pages/s", "pages/cpu-s"]
        print(f"\nAEB, {aeb['pages']} pages (shingle metric)")
        print(_row(list(zip(head, widths, strict=True))))
        for name, m in aeb["systems"].items():
            cells = [
                name,
                f"{m['f1']:.3f}±{m['f1_ci']:.3f}",
                f"{m['precision']:.3f}",
                f"{m['recall']:.3f}",
                f"{m['accuracy']:.3f}",
                str(m["empty"]),
                str(m["pages_f1_below_0.5"]),
                f"{m['pages_per_s']:.1f}",
                f"{m['pages_per_cpu_s']:.1f}",
            ]
            print(_row(list(zip(cells, widths, strict=True))))
    fundus = results.get("fundus")
    if fundus:
        ours = fundus["systems"]["storylens"]
        columns = (24, 6, 9, 13, 7, 8, 12)
        head = [
            "system",
            "title",
            "author-F1",
            "published±60s",
            "body-F1",
            "pages/s",
            "pages/cpu-s",
        ]
        print(
            f"\nFundus, {fundus['pages']} pages (authors on {ours['author_pages']}, "
            f"zone-aware dates on {ours['published_pages']})"
        )
        print(_row(list(zip(head, columns, strict=True))))
        for name, m in fundus["systems"].items():
            cells = [
                name,
                f"{m['title_exact']:.3f}",
                f"{m['author_set_f1']:.3f}",
                f"{m['published_within_60s']:.3f}",
                f"{m['body_word_f1']:.3f}",
                f"{m['pages_per_s']:.1f}",
                f"{m['pages_per_cpu_s']:.1f}",
            ]
            print(_row(list(zip(cells, columns, strict=True))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per set")
    parser.add_argument("--only", choices=("aeb", "fundus"), default=None)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine": machine_info(PACKAGES), "limit": args.limit}
    for name, runner in (("aeb", run_aeb), ("fundus", run_fundus)):
        if args.only and args.only != name:
            continue
        root = data_dir(name)
        if root is None:
            print(f"skip {name}: ../shared/data/{name} is absent (the data lives beside the repo)")
            continue
        print(f"running {name} ...", flush=True)
        results[name] = runner(root, args.limit)
    if not any(k in results for k in ("aeb", "fundus")):
        print("nothing measured")
        return 0
    print_table(results)
    # Partial runs must not overwrite the figures of a full one.
    partial = args.limit is not None or args.only is not None
    path = write_result("extraction-partial" if partial else "extraction", results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
