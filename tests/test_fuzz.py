"""Fuzzing every reader and the extractor with random and damaged inputs.

The property: whatever the bytes, reading yields only documents and one-line failures
(never an exception), and extracting a document gives an article or an `InputError`.
Seeds are the fixture files under tests/data, damaged by flipping, inserting, deleting
and duplicating bytes and by truncation, then read as every format.

Runs are derandomised and bounded so the file stays fast and repeatable in CI; set
STORYLENS_FUZZ_EXAMPLES=2000 for a longer, randomised hunt.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.model import Article
from storylens.readers import FORMATS, ReadOptions, read_stream
from storylens.readers.base import (
    MAX_DOCUMENT_BYTES,
    RawDocument,
    ReadCheckpoint,
    ReadFailure,
    ReadSkip,
)
from storylens.readers.tabular import FIELD_ALIASES

DATA = Path(__file__).parent / "data"
SEED_DIRS = ("records", "html", "text", "feeds", "feeds/articles")
_DEEP = int(os.environ.get("STORYLENS_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> settings:
    """Bounded, derandomised settings (or a long random run when asked for one)."""
    return settings(
        max_examples=_DEEP or examples,
        derandomize=not _DEEP,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _seeds() -> list[tuple[str, bytes]]:
    seeds = []
    for folder in SEED_DIRS:
        for path in sorted((DATA / folder).glob("*")):
            if path.is_file() and path.suffix != ".py" and path.stat().st_size < 200_000:
                seeds.append((path.name, path.read_bytes()))
    return seeds


SEEDS = _seeds()
ARCHIVES = [s for s in SEEDS if s[0].endswith((".warc.gz", ".arc"))]
TABLES = [s for s in SEEDS if s[0].endswith((".jsonl", ".json", ".csv", ".tsv", ".jsonl.gz"))]
FORMAT_NAMES = sorted(FORMATS)


class _Offline:
    """A fetcher for linked pages that never touches the network."""

    def fetch(self, url: str) -> ReadFailure:
        return ReadFailure(url, "offline (fuzz test)")


def _options(fmt: str | None) -> ReadOptions:
    return ReadOptions(format=fmt, fetch_linked=False, fetcher=_Offline())


@st.composite
def damaged(
    draw: st.DrawFn, seeds: list[tuple[str, bytes]] | None = None, edits: int = 6
) -> tuple[str, bytes]:
    """A seed file with a few random edits."""
    name, data = draw(st.sampled_from(seeds or SEEDS))
    buffer = bytearray(data)
    for _ in range(draw(st.integers(0, edits))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "byte"]))
        at = draw(st.integers(0, max(len(buffer) - 1, 0)))
        if op == "flip" and buffer:
            buffer[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and buffer:
            buffer[at] = draw(st.sampled_from([0, 0x0A, 0x0D, 0x22, 0x3C, 0x5B, 0x7B, 0xFF]))
        elif op == "insert":
            buffer[at:at] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=64),
                    st.sampled_from(
                        [b"\r\n\r\n", b"WARC/1.0\r\n", b'"', b"<html><div>", b"\x1f\x8b\x08"]
                    ),
                )
            )
        elif op == "delete":
            del buffer[at : at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            end = at + draw(st.integers(1, 256))
            buffer[at:at] = buffer[at:end]
        elif op == "truncate":
            del buffer[at:]
    return name, bytes(buffer)


def _read_all(data: bytes, source: str, fmt: str | None) -> list[Any]:
    """Read everything, checking the reader's side of the contract item by item."""
    results = list(read_stream(io.BytesIO(data), source, _options(fmt)))
    for item in results:
        assert isinstance(item, RawDocument | ReadFailure | ReadSkip | ReadCheckpoint), item
        if isinstance(item, RawDocument):
            assert item.source.startswith(source)
            assert 0 < len(item.data) <= MAX_DOCUMENT_BYTES
        elif isinstance(item, ReadFailure | ReadSkip):
            assert item.source.startswith(source) or "://" in item.source
            assert item.reason.strip() and "\n" not in item.reason, item
    return results


def _extract_all(results: list[Any]) -> None:
    options = ExtractOptions(time_limit=5.0)
    for item in results:
        if isinstance(item, RawDocument):
            try:
                article = extract(item, options)
            except InputError as exc:
                assert exc.reason.strip() and "\n" not in exc.reason, exc
                continue
            assert isinstance(article, Article) and article.text.strip()


# ---------------------------------------------------------------------------- readers


@pytest.mark.timeout(60)
@fuzz(300)
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMAT_NAMES))
def test_every_reader_survives_random_bytes(data: bytes, fmt: str) -> None:
    _read_all(data, "fuzz.bin", fmt)


@pytest.mark.timeout(60)
@fuzz(60)
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMAT_NAMES))
def test_every_reader_survives_random_gzip(data: bytes, fmt: str) -> None:
    packed = gzip.compress(data, mtime=0)
    _read_all(packed[: len(packed) - len(data) % 7], "fuzz.gz", fmt)


@pytest.mark.timeout(90)
@fuzz(400)
@given(sample=damaged(), fmt=st.one_of(st.none(), st.sampled_from(FORMAT_NAMES)))
def test_every_reader_survives_damaged_fixtures(sample: tuple[str, bytes], fmt: str | None) -> None:
    name, data = sample
    _read_all(data, name, fmt)


@pytest.mark.timeout(90)
@fuzz(250)
@given(sample=damaged(ARCHIVES, edits=10))
def test_warc_reader_survives_damaged_archives(sample: tuple[str, bytes]) -> None:
    name, data = sample
    results = _read_all(data, name, "warc")
    assert results, "an archive always ends in documents, failures or a skip"
    if data == dict(ARCHIVES)[name]:
        assert not any(isinstance(r, ReadFailure) for r in results)


@pytest.mark.timeout(90)
@fuzz(250)
@given(sample=damaged(TABLES, edits=10), fmt=st.sampled_from([None, "jsonl", "csv", "tsv"]))
def test_tabular_reader_survives_damaged_exports(
    sample: tuple[str, bytes], fmt: str | None
) -> None:
    name, data = sample
    assert _read_all(data, name, fmt), "a table always ends in documents or failures"


# ---------------------------------------------------------------------------- extract


@pytest.mark.timeout(120)
@fuzz(100)
@given(sample=damaged())
def test_extract_survives_damaged_fixtures(sample: tuple[str, bytes]) -> None:
    name, data = sample
    _extract_all(_read_all(data, name, None))


@pytest.mark.timeout(90)
@fuzz(40)
@given(
    data=st.one_of(st.binary(max_size=2000), damaged().map(lambda s: s[1])),
    media_type=st.sampled_from(["text/html", "text/plain"]),
    encoding=st.sampled_from([None, "utf-8", "windows-1251", "latin-1", "bogus-enc", "utf-16"]),
)
def test_extract_html_and_text_paths_survive_any_bytes(
    data: bytes, media_type: Any, encoding: str | None
) -> None:
    if not data:
        data = b" "
    raw = RawDocument(source="fuzz", data=data, media_type=media_type, encoding=encoding)
    _extract_all([raw])


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=200),
    st.sampled_from(["2021-10-24", "1634976000", "Sun, 24 Oct 2021 11:40:00 GMT", "<p>x</p>"]),
)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = sorted({alias for aliases in FIELD_ALIASES.values() for alias in aliases})


@pytest.mark.timeout(90)
@fuzz(80)
@given(
    record=st.dictionaries(
        st.one_of(st.sampled_from(_KEYS), st.text(max_size=12)), _JSON, max_size=10
    ),
    as_csv=st.booleans(),
)
def test_record_path_survives_any_json_object(record: dict[str, Any], as_csv: bool) -> None:
    if as_csv:
        import csv

        columns = list(dict.fromkeys(str(k) for k in record))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerow(
            [
                json.dumps(record[c]) if not isinstance(record[c], str) else record[c]
                for c in columns
            ]
        )
        data, name = out.getvalue().encode("utf-8", "surrogatepass"), "fuzz.csv"
    else:
        data = json.dumps(record, allow_nan=True).encode("utf-8", "surrogatepass") + b"\n"
        name = "fuzz.jsonl"
    _extract_all(_read_all(data, name, None))
