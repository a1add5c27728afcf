from __future__ import annotations

from pathlib import Path

import pytest

from storylens.readers import detect_format, read_inputs
from storylens.readers.base import ReadFailure


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.warc.gz", b"\x1f\x8b", "warc"),
        ("x", b"WARC/1.0\r\n", "warc"),
        ("a.jsonl", b'{"id": 1}', "jsonl"),
        ("a.json", b'{"id": 1}', "jsonl"),
        ("a.csv", b"id,title", "csv"),
        ("a.tsv", b"id\ttitle", "tsv"),
        ("feed", b'<?xml version="1.0"?><rss version="2.0">', "feed"),
        ("atom.xml", b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', "feed"),
        ("page", b"<!DOCTYPE html><html><head>", "html"),
        ("page.html", b"plain words", "html"),
        ("dump.txt", b"Updated October 24th", "text"),
        ("dump", b"\xef\xbb\xbfSome text", "text"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


def test_missing_inputs_fail_with_one_line_reason(tmp_path: Path) -> None:
    items = list(read_inputs([str(tmp_path / "nope.txt"), str(tmp_path / "*.none")]))
    assert all(isinstance(i, ReadFailure) for i in items)
    assert "no such file" in str(items[0])
    assert "no file matches" in str(items[1])


def test_directories_recurse_in_sorted_order_skipping_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "2.txt").write_text("Second body text here.")
    (tmp_path / "a.txt").write_text("First body text here.")
    (tmp_path / ".hidden" / "x.txt").write_text("hidden")
    (tmp_path / ".dot.txt").write_text("hidden")
    sources = [doc.source for doc in read_inputs([str(tmp_path)])]
    assert sources == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "2.txt")]


def test_globs_expand_sorted(tmp_path: Path) -> None:
    for name in ("c.txt", "a.txt", "b.md"):
        (tmp_path / name).write_text(f"text of {name}")
    sources = [doc.source for doc in read_inputs([str(tmp_path / "*.txt")])]
    assert sources == [str(tmp_path / "a.txt"), str(tmp_path / "c.txt")]


def test_empty_file_is_a_failure_not_an_article(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    (item,) = list(read_inputs([str(empty)]))
    assert isinstance(item, ReadFailure)
    assert item.reason == "empty input"


def test_gzipped_text_is_read_transparently(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "dump.txt.gz"
    path.write_bytes(gzip.compress(b"Hello from a compressed dump."))
    (doc,) = list(read_inputs([str(path)]))
    assert not isinstance(doc, ReadFailure)
    assert doc.data == b"Hello from a compressed dump."


def test_directory_walk_skips_what_is_not_news(tmp_path: Path) -> None:
    for name in ("README.md", "LICENSE", "outlets.toml", "logo.png", "store.db", "story.txt"):
        (tmp_path / name).write_text("Some text that could be mistaken for an article.")
    sources = [Path(doc.source).name for doc in read_inputs([str(tmp_path)])]
    assert sources == ["story.txt"]
    # Named explicitly, a file is always read.
    assert [Path(d.source).name for d in read_inputs([str(tmp_path / "README.md")])] == [
        "README.md"
    ]
