"""The `quotes` command: files on the fly, articles and stories from a store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from storylens.cli_quotes import quotes_command
from storylens.extract import ExtractOptions, extract
from storylens.readers.base import RawDocument
from storylens.store import open_store

ROW_KEYS = [
    "article_id",
    "text",
    "start",
    "end",
    "kind",
    "speaker",
    "speaker_mention",
    "cue",
    "channel",
    "group",
]
ONE = (
    "Kremlin spokesman Dmitry Peskov spoke on Sunday.\n\n"
    '"We cannot prevent it," Peskov told the Rossiya 1 broadcaster.\n\n'
    '"Nothing terrible will happen," he added.\n'
)
TWO = '"We can minimise the consequences," Peskov told reporters in Moscow.\n'


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.txt").write_text(ONE, "utf-8")
    (folder / "two.txt").write_text(TWO, "utf-8")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(quotes_command, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_file_jsonl_rows(files: Path) -> None:
    code, output = run(str(files / "one.txt"), "--format", "jsonl")
    assert code == 0
    found = rows(output)
    assert [q["kind"] for q in found] == ["direct", "direct"]
    for row in found:
        assert list(row)[: len(ROW_KEYS)] == ROW_KEYS
        assert row["group"] is None
        assert row["speaker"] == "Dmitry Peskov"
        assert row["channel"] == "Rossiya 1"
    assert found[1]["speaker_mention"] == "he"


def test_directory_unifies_names_across_files(files: Path) -> None:
    code, output = run(str(files), "--format", "jsonl")
    assert code == 0
    speakers = {row["speaker"] for row in rows(output)}
    assert speakers == {"Dmitry Peskov"}


def test_table_format(files: Path) -> None:
    code, output = run(str(files / "one.txt"))
    assert code == 0
    assert "Dmitry Peskov" in output and "direct" in output


def _store(tmp_path: Path) -> tuple[Path, list[str]]:
    db = tmp_path / "s.db"
    ids = []
    with open_store(db) as store:
        for name, text in (("one.txt", ONE), ("two.txt", TWO)):
            raw = RawDocument(source=name, data=text.encode("utf-8"), media_type="text/plain")
            article = extract(raw, ExtractOptions())
            store.add(article, raw)
            ids.append(article.id)
        with store.transaction():
            store.stories.create("story0001", ids[0])
            for article_id in ids:
                store.stories.assign(article_id, "story0001", "test", None)
    return db, ids


def test_article_and_story_from_the_store(tmp_path: Path) -> None:
    db, ids = _store(tmp_path)
    code, output = run(ids[1], "--db", str(db), "--format", "jsonl")
    assert code == 0
    (row,) = rows(output)
    assert row["article_id"] == ids[1] and row["speaker"] == "Peskov"
    code, output = run("story0001", "--db", str(db), "--format", "jsonl")
    assert code == 0
    found = rows(output)
    assert {r["article_id"] for r in found} == set(ids)
    assert {r["speaker"] for r in found} == {"Dmitry Peskov"}  # unified across the story


def test_unknown_reference_and_missing_store(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    code, output = run("zzzzzz", "--db", str(db))
    assert code == 2 and "no article or story matches" in output
    code, output = run("abcdef", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "is no file, and there is no store" in output


def test_missing_model_is_one_line(files: Path) -> None:
    code, output = run(str(files / "one.txt"), "--model", "no_such_model_xyz")
    assert code == 1
    assert "spaCy model 'no_such_model_xyz' is not installed" in output


def test_renderings_across_outlets_share_a_group() -> None:
    """Two seeds at once: the same utterance in both outlets carries one group id."""
    from tests.conftest import SEEDS, need

    need(SEEDS)
    result = subprocess.run(
        [sys.executable, "-m", "storylens", "quotes", str(SEEDS), "--format", "jsonl"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    verbatim = [r for r in rows if r["text"].startswith("It is also important to note")]
    assert len({r["article_id"] for r in verbatim}) == 2
    assert len({r["group"] for r in verbatim}) == 1 and verbatim[0]["group"]
    impossible = next(r for r in rows if r["kind"] == "partial" and "impossible" in r["text"])
    full = next(r for r in rows if r["text"].startswith("We cannot prevent it"))
    assert impossible["group"] == full["group"]
