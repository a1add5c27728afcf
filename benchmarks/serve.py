"""Load on `storylens serve`: story pages and API reads per second, latency percentiles.

Claim measured (issue 6): with a store of >= 10,000 articles on 2 cores, story pages are
served at >= 200 requests/s with p95 latency < 100 ms; and how API story reads compare.

Store (built once, cached under `out/bench/serve/<key>/`, the key a hash of the data file,
the parameters below and the store's migrations, so a schema change rebuilds it):

* AllSides dev (`../shared/data/allsides/dev.jsonl`, 856 articles, 294 gold stories,
  title + lead paragraphs) repeated in `--copies` copies (12: 10,272 articles). Copy k
  has its dates moved k x 120 days later (the set spans 100 days and grouping looks back
  72 hours, so no story reaches across copies), its article ids `<article_id>~c<k>` and
  its urls `?copy=<k>` appended. Texts and titles are unchanged, so the store links each
  copy's articles as exact copies (`duplicate_of`) of copy 0's; they are still stored and
  grouped like any article.
* Articles are built as `benchmarks/stories.py` builds them (day dates without zone,
  language "en"), added with `store.add()` copy by copy in date order, then grouped with
  `storylens.group.group_new(store, embeddings="never")`.
* `--analyse` stories (40) with >= 2 articles, drawn with a fixed seed, are analysed with
  `storylens.analyse_story.analyse_story` so their pages carry a stored comparison: the
  expensive page. Every other story serves the plainer page; the page scenario uses only
  analysed stories.

Load: the server runs as `storylens serve --workers 2 --no-worker --rate-limit 0
--write-rate-limit 0 --no-access-log` on 127.0.0.1, and `wrk` (Debian package `wrk`) drives
it from the same machine, `-t2 -c16` by default: the load generator shares the 2 cores
with the server, so the figures are a floor for a server with the cores to itself. A Lua
script picks a random path from the scenario's list per request, counts non-2xx
responses and prints the latency percentiles. wrk is closed-loop (each connection waits
for its answer), so at saturation latency ~ connections / throughput (Little's law): p95
at 16 connections is mostly queueing. Scenarios, each after an unrecorded warm-up:

* `story_pages`: `/stories/{id}` over the analysed sample;
* `api_story`: `/api/v1/stories/{id}` over every live story;
* `api_story_list`: `/api/v1/stories?limit=50&offset=K`, K over the whole list;
* `baseline_static`: `/static-report/report.css` on the same server, the same middleware
  stack: what the framework alone does. Run first and last; each scenario's ratio is
  to the mean of the two.

Before the load every story page and a sample of the other paths must answer 200 one at
a time, and each story page must show a piece of its stored comparison. Also recorded:
non-2xx answers by status, the server's unhandled exceptions by kind (from its log),
server CPU time per request (from /proc, all server processes), wrk's CPU time, server
RSS and PSS before and after the load, the load average before each scenario (the
machine may be shared: compare the ratios to the baseline rather than raw rates).

    .venv/bin/python benchmarks/serve.py                # build/reuse store, run, write results
    .venv/bin/python benchmarks/serve.py --build-only   # only build the cached store
    .venv/bin/python benchmarks/serve.py --duration 10 --connections 32
    .venv/bin/python benchmarks/serve.py --rebuild      # drop the cached store first
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SHARED_DATA, data_dir, day, machine_info, write_result
from storylens.extract import _content_hash
from storylens.model import Article, Outlet
from storylens.store.sqlite import SQLiteStore

PACKAGES = ("fastapi", "starlette", "uvicorn", "jinja2", "pydantic", "spacy")
CACHE = REPO / "out" / "bench" / "serve"
MIGRATIONS = REPO / "src" / "storylens" / "store" / "migrations"
STORYLENS = REPO / ".venv" / "bin" / "storylens"
BUILD_VERSION = 1  # bump when the way the store is built changes
COPIES = 12
SHIFT_DAYS = 120
ANALYSED = 40
SEED = 6
MIN_ARTICLES = 10_000
TARGET_RPS = 200.0
TARGET_P95_MS = 100.0
LIST_LIMIT = 50
SAFE_PATH = re.compile(r"^/[A-Za-z0-9/_.~?&=%-]*$")


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True, slots=True)
class BuildParams:
    copies: int
    shift_days: int
    analysed: int
    seed: int


def cache_key(data_file: Path, params: BuildParams) -> str:
    """What the cached store depends on: the data, the parameters, the schema."""
    digest = hashlib.sha256()
    digest.update(data_file.read_bytes())
    digest.update(json.dumps([BUILD_VERSION, *astuple(params)]).encode())
    for path in sorted(MIGRATIONS.glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def allsides_articles(data_file: Path, copies: int, shift_days: int) -> Iterator[Article]:
    """Every copy's articles, copy by copy, each copy in date order (then by id)."""
    rows = [json.loads(line) for line in data_file.read_text("utf-8").splitlines() if line]
    rows.sort(key=lambda r: (r["date"], r["article_id"]))
    for copy in range(copies):
        for row in rows:
            moved = date.fromisoformat(row["date"]) + timedelta(days=copy * shift_days)
            url = row.get("url")
            if url:
                url = f"{url}{'&' if '?' in url else '?'}copy={copy}"
            article_id = f"{row['article_id']}~c{copy}"
            yield Article(
                id=article_id,
                text=row["body"],
                source=f"allsides/dev.jsonl#{row['article_id']}+copy{copy}",
                title=row["title"],
                url=url,
                outlet=Outlet(row["outlet"]),
                published=day(moved.isoformat()),
                language="en",
                content_hash=_content_hash(row["title"], row["body"]),
            )


def build_store(folder: Path, data_file: Path, params: BuildParams) -> dict[str, Any]:
    """Make (or finish making) the cached store; every step is idempotent, so an
    interrupted build resumes. Returns the store description written beside it."""
    manifest = folder / "build.json"
    if manifest.is_file():
        return dict(json.loads(manifest.read_text("utf-8")))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "store.db"
    timings: dict[str, float] = {}
    with SQLiteStore(db) as store:
        started = time.perf_counter()
        added = 0
        for article in allsides_articles(data_file, params.copies, params.shift_days):
            added += store.add(article).status == "stored"
        timings["add_seconds"] = round(time.perf_counter() - started, 1)
        print(f"serve: {store.count()} articles in the store ({added} added now)", flush=True)

        from storylens.group import group_new

        started = time.perf_counter()
        report = group_new(store, embeddings="never")
        timings["group_seconds"] = round(time.perf_counter() - started, 1)
        print(f"serve: {report.stories} stories ({report.assigned} grouped now)", flush=True)

        sample = analysed_sample(store, params)
        timings["analyse_seconds"] = analyse(store, sample)
        description = describe(store, params, sample, data_file)
    description["build_seconds"] = timings
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(description, indent=2) + "\n", "utf-8")
    tmp.replace(manifest)
    return description


def analysed_sample(store: SQLiteStore, params: BuildParams) -> list[str]:
    """Stories of >= 2 articles to analyse: a fixed-seed draw over them in id order."""
    multi = sorted(s.id for s in store.stories.live() if len(s.article_ids) >= 2)
    count = min(params.analysed, len(multi))
    return sorted(random.Random(params.seed).sample(multi, count))


def analyse(store: SQLiteStore, story_ids: list[str]) -> float:
    """Stored comparisons for the sample (skipping any a previous run stored)."""
    from threadpoolctl import threadpool_limits

    from storylens.analyse_story import analyse_story
    from storylens.nlp.pipeline import load

    todo = [s for s in story_ids if store.analyses.get(s) is None]
    if not todo:
        return 0.0
    started = time.perf_counter()
    with threadpool_limits(2):
        nlp = load()
        for n, story_id in enumerate(todo, 1):
            analysis = analyse_story(store, story_id, nlp=nlp)
            if analysis is None:
                raise SystemExit(f"serve: story {story_id} vanished while analysing")
            print(f"serve: analysed {n}/{len(todo)} {story_id}", flush=True)
    return round(time.perf_counter() - started, 1)


def describe(
    store: SQLiteStore, params: BuildParams, sample: list[str], data_file: Path
) -> dict[str, Any]:
    stories = list(store.stories.live())
    sizes = [len(s.article_ids) for s in stories]
    conn = store.conn
    duplicates = conn.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
    analyses = conn.execute("SELECT count(*), avg(length(report_html)) FROM story_analyses")
    n_analyses, html_chars = analyses.fetchone()
    return {
        "how": (
            f"AllSides dev ({data_file.relative_to(SHARED_DATA.parent.parent)}) repeated "
            f"{params.copies} times; copy k dated k x {params.shift_days} days later, ids "
            f"'<article_id>~c<k>', urls with '?copy=<k>' (or '&copy=<k>'), same titles and "
            "texts (so copies k >= 1 are stored as exact copies of copy 0's articles); "
            "Article objects as benchmarks/stories.py builds them, store.add() copy by copy "
            "in date order, then storylens.group.group_new(store, embeddings='never'); "
            f"{len(sample)} stories with >= 2 articles (random.Random({params.seed}).sample "
            "over their ids in sorted order) analysed with analyse_story (their pages "
            "carry the stored comparison)"
        ),
        "params": {
            "copies": params.copies,
            "shift_days": params.shift_days,
            "analysed": params.analysed,
            "seed": params.seed,
            "build_version": BUILD_VERSION,
        },
        "articles": store.count(),
        "articles_marked_copies": int(duplicates.fetchone()[0]),
        "stories": len(stories),
        "stories_with_2_plus_articles": sum(n >= 2 for n in sizes),
        "articles_per_story": {
            "mean": round(statistics.fmean(sizes), 2) if sizes else None,
            "max": max(sizes, default=None),
        },
        "analysed_stories": int(n_analyses),
        "mean_report_html_chars": round(html_chars) if html_chars else None,
        "analysed_sample": sample,
        "db_bytes": store.path.stat().st_size,
        "schema_version": store.schema_version,
    }


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


class Server:
    """`storylens serve` in a subprocess, its stderr kept in a file."""

    def __init__(self, db: Path, workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            str(STORYLENS), "serve", "--db", str(db), "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(workers), "--no-worker",
            "--rate-limit", "0", "--write-rate-limit", "0", "--no-access-log",
        ]  # fmt: skip
        self.command = command
        self._log = log.open("wb")
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"serve: the server exited ({self.proc.returncode}); see {self.log}"
                )
            try:
                status, body = get(self.base + "/health", timeout=2.0)
            except OSError:
                status, body = 0, b""
            if status == 200:
                return dict(json.loads(body))
            time.sleep(0.3)
        raise SystemExit(f"serve: no healthy server after {timeout:.0f} s; see {self.log}")

    def pids(self) -> list[int]:
        """The server process and its descendants (uvicorn's worker processes)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return sorted(found)

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / ticks

    def memory(self) -> dict[str, Any]:
        """RSS and PSS (shared pages split between the processes) of every server process."""
        processes = []
        for pid in self.pids():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            values = {
                k: int(v.split()[0])
                for k, v in (line.split(":", 1) for line in rollup.splitlines()[1:])
                if k in ("Rss", "Pss")
            }
            processes.append(
                {"pid": pid, "rss_mib": _mib(values["Rss"]), "pss_mib": _mib(values["Pss"])}
            )
        return {
            "processes": processes,
            "rss_sum_mib": round(sum(p["rss_mib"] for p in processes), 1),
            "pss_sum_mib": round(sum(p["pss_mib"] for p in processes), 1),
        }

    def stop(self) -> None:
        """SIGTERM, as an operator would; uvicorn stops its worker processes. Idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()


def _mib(kib: float) -> float:
    return round(kib / 1024, 1)


# --------------------------------------------------------------------------- the load


WRK_SCRIPT = """-- written by benchmarks/serve.py: a random path per request, non-2xx counted
local paths = {%(paths)s}
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("number", count)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%(seed)d + number)
  non2xx = 0
  statuses = {}
  requests = {}
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path)
  end
end

function request()
  return requests[math.random(#requests)]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad, by_status, statuses = 0, {}, {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    for status, n in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  for status, n in pairs(by_status) do
    table.insert(statuses, status .. "=" .. n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "non2xx": %%d, ' ..
    '"non2xx_statuses": "%%s", ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"latency_us": {"min": %%d, "mean": %%.1f, "stdev": %%.1f, "max": %%d, ' ..
    '"p50": %%d, "p90": %%d, "p95": %%d, "p99": %%d}}\\n',
    summary.requests, summary.duration, summary.bytes, bad, table.concat(statuses, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class Load:
    threads: int
    connections: int
    duration: float
    warmup: float


def lua_script(paths: list[str], seed: int) -> str:
    for path in paths:
        if not SAFE_PATH.match(path):
            raise SystemExit(f"serve: unexpected characters in path {path!r}")
    listed = ",\n  ".join(f'"{p}"' for p in paths)
    return WRK_SCRIPT % {"paths": "\n  " + listed + "\n", "seed": seed}


def run_wrk(
    base: str, script: Path, threads: int, connections: int, seconds: float
) -> dict[str, Any]:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), base,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.startswith("WRK_RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"serve: wrk failed ({proc.returncode}):\n{text[-2000:]}")
    result = dict(json.loads(lines[-1].removeprefix("WRK_RESULT ")))
    result["wrk_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def scenario(
    server: Server, name: str, paths: list[str], load: Load, folder: Path
) -> dict[str, Any]:
    script = folder / f"{name}.lua"
    script.write_text(lua_script(paths, SEED), "utf-8")
    if load.warmup > 0:
        run_wrk(server.base, script, load.threads, load.connections, load.warmup)
    loadavg = Path("/proc/loadavg").read_text().split()[:3]
    cpu_before = server.cpu_seconds()
    raw = run_wrk(server.base, script, load.threads, load.connections, load.duration)
    server_cpu = server.cpu_seconds() - cpu_before
    seconds = raw["duration_us"] / 1e6
    requests = raw["requests"]
    latency = raw["latency_us"]
    errors = sum(raw["errors"].values()) - raw["errors"]["status"]
    return {
        "paths": len(paths),
        "example_path": paths[0],
        "requests": requests,
        "seconds": round(seconds, 2),
        "requests_per_second": round(requests / seconds, 1) if seconds else 0.0,
        "ok_2xx_per_second": round((requests - raw["non2xx"]) / seconds, 1) if seconds else 0.0,
        "latency_ms": {
            k: round(latency[k] / 1000, 2) for k in ("p50", "p90", "p95", "p99", "mean", "max")
        },
        "non_2xx": raw["non2xx"],
        "non_2xx_by_status": {
            k: int(v)
            for k, v in sorted(
                item.split("=") for item in raw["non2xx_statuses"].split(",") if item
            )
        },
        "socket_errors": errors,
        "socket_error_detail": {k: v for k, v in raw["errors"].items() if k != "status"},
        "mean_response_bytes": round(raw["bytes"] / requests) if requests else None,
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / requests, 2) if requests else None,
        "wrk_cpu_seconds": raw["wrk_cpu_seconds"],
        "loadavg_before": [float(x) for x in loadavg],
    }


# --------------------------------------------------------------------------- the run


def story_ids(db: Path) -> list[str]:
    with SQLiteStore(db) as store:
        return sorted(s.id for s in store.stories.live())


def check_paths(server: Server, db: Path, pages: list[str], others: list[str]) -> dict[str, Any]:
    """The paths answer 200 one at a time before any load (every story page, a sample of
    the others), and each story page carries its stored comparison (the longest text run
    of the stored fragment appears in the page)."""
    failures = [p for p in [*pages, *others] if get(server.base + p)[0] != 200]
    if failures:
        raise SystemExit(f"serve: {len(failures)} paths did not answer 200, e.g. {failures[:3]}")
    shown, sizes = 0, []
    with SQLiteStore(db) as store:
        for path in pages:
            body = get(server.base + path)[1].decode("utf-8", "replace")
            sizes.append(len(body.encode()))
            analysis = store.analyses.get(path.rsplit("/", 1)[1])
            fragment = analysis.report_html if analysis else ""
            probe = max(re.findall(r">([^<>]{30,})<", fragment), key=len, default="")
            shown += bool(probe) and probe in body
    return {
        "paths_checked": len(pages) + len(others),
        "story_pages_showing_their_stored_analysis": shown,
        "story_pages": len(pages),
        "story_page_bytes": {
            "min": min(sizes),
            "median": statistics.median(sizes),
            "max": max(sizes),
        }
        if sizes
        else None,
    }


def server_errors(log: str) -> dict[str, Any]:
    """Unhandled exceptions the server logged, by kind (long numbers such as ids blanked):
    the first exception line after each "Exception in ASGI application"."""
    kinds: Counter[str] = Counter()
    pending = False
    for line in log.splitlines():
        if "Exception in ASGI application" in line:
            pending = True
        elif pending and re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b", line):
            kinds[re.sub(r"\d{4,}", "N", line)[:300]] += 1
            pending = False
    return {"unhandled": sum(kinds.values()), "kinds": dict(kinds.most_common())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=COPIES)
    parser.add_argument("--analyse", type=int, default=ANALYSED, help="stories to analyse")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unrecorded seconds first")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--rebuild", action="store_true", help="drop the cached store first")
    parser.add_argument("--build-only", action="store_true", help="build the store, no load")
    args = parser.parse_args()

    folder = data_dir("allsides")
    if folder is None:
        print(f"serve: {SHARED_DATA / 'allsides'} is absent; nothing measured")
        return 0
    if not args.build_only and shutil.which("wrk") is None:
        print(
            "serve: the load generator `wrk` is not installed (Debian: apt-get install wrk); "
            "nothing measured"
        )
        return 1
    data_file = folder / "dev.jsonl"
    params = BuildParams(args.copies, SHIFT_DAYS, args.analyse, SEED)
    cache = CACHE / cache_key(data_file, params)
    if args.rebuild and cache.exists():
        shutil.rmtree(cache)
    print(f"serve: store in {cache.relative_to(REPO)}", flush=True)
    store_info = build_store(cache, data_file, params)
    if store_info["articles"] < MIN_ARTICLES:
        print(f"serve: note: {store_info['articles']} articles, below the claim's {MIN_ARTICLES}")
    if args.build_only:
        return 0

    db = cache / "store.db"
    ids = story_ids(db)
    pages = [f"/stories/{s}" for s in store_info["analysed_sample"]]
    api = [f"/api/v1/stories/{s}" for s in ids]
    lists = [
        f"/api/v1/stories?limit={LIST_LIMIT}&offset={k}" for k in range(0, len(ids), LIST_LIMIT)
    ]
    static = ["/static-report/report.css"]
    load = Load(args.threads, args.connections, args.duration, args.warmup)

    work = Path(tempfile.mkdtemp(prefix="storylens-serve-bench-"))
    server = Server(db, args.workers, work / "server.log")
    results: dict[str, Any] = {}
    try:
        health = server.wait_healthy()
        checks = check_paths(server, db, pages, [*api[::25], *lists, *static])
        memory_before = server.memory()
        plan = [
            ("baseline_static", static),
            ("story_pages", pages),
            ("api_story", api),
            ("api_story_list", lists),
            ("baseline_static_again", static),
        ]
        for name, paths in plan:
            print(f"serve: {name}: {len(paths)} paths, {load.duration:.0f} s ...", flush=True)
            results[name] = scenario(server, name, paths, load, work)
            r = results[name]
            print(
                f"  {r['requests_per_second']} req/s, p50 {r['latency_ms']['p50']} ms, "
                f"p95 {r['latency_ms']['p95']} ms, non-2xx {r['non_2xx']} "
                f"{r['non_2xx_by_status'] or ''}",
                flush=True,
            )
        memory_after = server.memory()
        server.stop()
        errors = server_errors(server.log.read_text("utf-8", "replace"))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    payload = report(args, store_info, health, checks, results, memory_before, memory_after)
    payload["server_command"] = " ".join(server.command).replace(str(REPO) + "/", "")
    payload["server_errors"] = errors
    path = write_result("serve", payload)
    print_table(payload)
    print(f"wrote {path.relative_to(REPO)}")
    return 0


def report(
    args: argparse.Namespace,
    store_info: dict[str, Any],
    health: dict[str, Any],
    checks: dict[str, Any],
    results: dict[str, Any],
    memory_before: dict[str, Any],
    memory_after: dict[str, Any],
) -> dict[str, Any]:
    baseline_rps = statistics.fmean(
        results[k]["requests_per_second"] for k in ("baseline_static", "baseline_static_again")
    )
    baseline_p95 = statistics.fmean(
        results[k]["latency_ms"]["p95"] for k in ("baseline_static", "baseline_static_again")
    )
    for name in ("story_pages", "api_story", "api_story_list"):
        r = results[name]
        r["ratio_rps_to_baseline"] = round(r["requests_per_second"] / baseline_rps, 3)
        r["ratio_p95_to_baseline"] = round(r["latency_ms"]["p95"] / baseline_p95, 2)
    pages = results["story_pages"]
    missed = [
        why
        for why, failed in (
            (f"below {TARGET_RPS:.0f} requests/s", pages["requests_per_second"] < TARGET_RPS),
            (f"p95 not under {TARGET_P95_MS:.0f} ms", pages["latency_ms"]["p95"] >= TARGET_P95_MS),
            (f"{pages['non_2xx']} non-2xx answers", pages["non_2xx"] > 0),
            (f"{pages['socket_errors']} socket errors", pages["socket_errors"] > 0),
        )
        if failed
    ]
    return {
        "machine": machine_info(PACKAGES),
        "claim": f"story pages >= {TARGET_RPS:.0f} requests/s at p95 < {TARGET_P95_MS:.0f} ms "
        f"on 2 cores with a store of >= {MIN_ARTICLES:,} articles",
        "target": {
            "story_page_rps": TARGET_RPS,
            "story_page_p95_ms": TARGET_P95_MS,
            "met": not missed,
            "missed_because": missed,
            "store_large_enough": store_info["articles"] >= MIN_ARTICLES,
        },
        "summary": {
            name: {
                "requests_per_second": r["requests_per_second"],
                "ok_2xx_per_second": r["ok_2xx_per_second"],
                "p50_ms": r["latency_ms"]["p50"],
                "p95_ms": r["latency_ms"]["p95"],
                "p99_ms": r["latency_ms"]["p99"],
                "non_2xx": r["non_2xx"],
                "non_2xx_by_status": r["non_2xx_by_status"],
                "socket_errors": r["socket_errors"],
                "ratio_rps_to_baseline": r.get("ratio_rps_to_baseline"),
            }
            for name, r in results.items()
        },
        "load": {
            "generator": "wrk " + _wrk_version(),
            "threads": args.threads,
            "connections": args.connections,
            "seconds_per_scenario": args.duration,
            "warmup_seconds_per_scenario": args.warmup,
            "note": "wrk runs on the same 2 cores as the server (see wrk_cpu_seconds per "
            "scenario); closed loop: each connection sends its next request when the answer "
            "arrives, so latency at saturation is mostly queueing (~ connections / rate). "
            "A random path of the scenario's list per request (Lua math.random, seeded).",
        },
        "server": {
            "workers": args.workers,
            "memory_before_load": memory_before,
            "memory_after_load": memory_after,
            "health_at_start": health,
        },
        "store": store_info,
        "checks": checks,
        "baseline": "GET /static-report/report.css on the same server (same middleware: "
        "security headers, session, rate limiter at 0, access log off): the framework's own "
        "cost per request. Measured first and last; ratios are to the mean of the two.",
        "scenarios": results,
    }


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    first = (out.stdout or out.stderr).splitlines()[:1]
    return first[0].split(" [")[0].removeprefix("wrk ") if first else "unknown"


def print_table(payload: dict[str, Any]) -> None:
    print(f"{'scenario':<22} {'req/s':>8} {'2xx/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'non-2xx':>8} {'sock err':>8} {'x base':>7}")  # fmt: skip
    for name, s in payload["summary"].items():
        ratio = s["ratio_rps_to_baseline"]
        print(
            f"{name:<22} {s['requests_per_second']:>8} {s['ok_2xx_per_second']:>8} "
            f"{s['p50_ms']:>8} {s['p95_ms']:>8} "
            f"{s['p99_ms']:>8} {s['non_2xx']:>8} {s['socket_errors']:>8} "
            f"{'' if ratio is None else ratio:>7}"
        )
    if payload["server_errors"]["unhandled"]:
        print(f"server: unhandled exceptions {payload['server_errors']}")
    target = payload["target"]
    memory = payload["server"]["memory_after_load"]
    verdict = "met" if target["met"] else "NOT met: " + ", ".join(target["missed_because"])
    print(
        f"target (story pages >= {target['story_page_rps']:.0f}/s, p95 < "
        f"{target['story_page_p95_ms']:.0f} ms): {verdict}; "
        f"server RSS {memory['rss_sum_mib']} MiB (PSS {memory['pss_sum_mib']} MiB), "
        f"{payload['store']['articles']} articles, {payload['store']['stories']} stories"
    )


if __name__ == "__main__":
    raise SystemExit(main())
