"""Shared helpers for benchmark scripts: where the data is, machine info, result files.

Every benchmark writes one JSON file under `benchmarks/results/` holding its figures
and the machine they were measured on, so a number in a README can be traced to a run.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from storylens.model import Article, Outlet, TimeValue, short_hash

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
RESULTS = BENCHMARKS / "results"
# Evaluation data lives beside the repository, never inside it (publishers' texts).
SHARED_DATA = REPO.parent / "shared" / "data"


def day(value: str) -> TimeValue:
    """A bare date with no zone: an honest interval over every zone, day precision."""
    return TimeValue(value, datetime.fromisoformat(value), None, "day")


def basil_text(paragraphs: Any) -> str:
    """A BASIL article's body: its paragraphs (lists of sentences, or a repr of them)."""
    if isinstance(paragraphs, str):
        paragraphs = ast.literal_eval(paragraphs)
    return "\n\n".join(
        " ".join(part) if isinstance(part, list) else str(part) for part in paragraphs
    )


def basil_article(path: Path, row: dict[str, Any] | None = None) -> Article:
    """A BASIL article as every benchmark builds it (`row`: the file, when already read).

    The id hashes the source path: not `uuid` (four files say "empty") and not the file
    name alone (it holds the event id).
    """
    if row is None:
        row = json.loads(path.read_text("utf-8"))
    source = f"basil/{path.parent.name}/{path.name}"
    return Article(
        id=short_hash(source),
        text=basil_text(row["body-paragraphs"]),
        source=source,
        title=row.get("title"),
        url=row.get("url"),
        outlet=Outlet(row["source"]),
        published=day(row["date"]),
        language="en",
    )


def data_dir(name: str) -> Path | None:
    """`../shared/data/<name>` when present, else None (callers skip with a message)."""
    path = SHARED_DATA / name
    return path if path.is_dir() else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def package_versions(*names: str) -> dict[str, str | None]:
    """Installed versions of the named distributions (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_info(packages: tuple[str, ...] = ()) -> dict[str, Any]:
    """What a reader needs to compare a figure with their own run."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "git_commit": _git_commit(),
        "packages": package_versions("storylens", *packages),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write `benchmarks/results/<name>.json` atomically; returns the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", "utf-8"
    )
    tmp.replace(path)
    return path
