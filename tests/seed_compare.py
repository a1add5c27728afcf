"""The seeds compared once per test session, for the summary and report-format tests.

`compare` loads spaCy and two sentence encoders, so the comparison is built once and
shared. The seeds live in ../shared; tests skip with a clear message when it is absent.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from storylens.compare.model import Comparison
from storylens.model import Article
from tests.conftest import SEEDS, need


def read_articles(paths: list[Path]) -> list[Article]:
    """Articles extracted from files, as `storylens compare` reads them."""
    from storylens.cli_quotes import read_path

    articles: list[Article] = []
    for path in paths:
        found, failed = read_path(str(path))
        assert not failed, f"could not read {path}"
        articles.extend(found)
    return articles


@lru_cache(maxsize=1)
def _seed_comparison() -> Comparison:
    from storylens.compare import compare

    return compare(read_articles(sorted(SEEDS.glob("*.txt"))))


def seed_comparison() -> Comparison:
    """The two seed articles compared (skips when ../shared/seeds is absent)."""
    need(SEEDS)
    return _seed_comparison()
