"""The same-fact judge with the real encoder and shipped weights, and its command."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from storylens.cli_same_fact import same_fact_command
from storylens.compare.same_fact import SameFactJudge, default_judge, same_fact

PARAPHRASES = [
    (
        "Russia cannot prevent Ukraine from joining NATO",
        "Moscow is unable to stop Kyiv from becoming a NATO member",
    ),
    (
        "The company reported a net profit of $4.2 million in the third quarter.",
        "In the third quarter the company made a net profit of $4.2 million.",
    ),
    (
        "Peskov said the Kremlin was watching the situation closely.",
        "The Kremlin is closely watching the situation, Peskov said.",
    ),
]
DIFFERENT = [
    (
        "Russia cannot prevent Ukraine from joining NATO",
        "Heavy rain flooded several streets in central London on Tuesday.",
    ),
    (
        "The central bank raised interest rates by half a point.",
        "The football club signed a new striker from Brazil.",
    ),
]
NUMBER_CHANGED = [
    (
        "The company reported a net profit of $4.2 million in the third quarter.",
        "The company reported a net profit of $9.8 million in the third quarter.",
    ),
    (
        "At least 12 people were killed in the explosion, police said.",
        "At least 40 people were killed in the explosion, police said.",
    ),
]


@pytest.fixture(scope="module")
def judge() -> SameFactJudge:
    return default_judge()


def test_paraphrases_are_the_same_fact(judge: SameFactJudge) -> None:
    for (label, score), pair in zip(judge.judge(PARAPHRASES), PARAPHRASES, strict=True):
        assert label == 1, (pair, score)
        assert score >= judge.threshold


def test_different_facts_are_not(judge: SameFactJudge) -> None:
    for (label, score), pair in zip(judge.judge(DIFFERENT), DIFFERENT, strict=True):
        assert label == 0, (pair, score)
        assert score < 0.2


def test_a_changed_figure_keeps_one_fact(judge: SameFactJudge) -> None:
    """Two outlets giving different figures for one event state one fact, in disagreement.

    Alignment must put them together so that the discrepancy finder can report the
    figures side by side; no cap pushes such pairs apart.
    """
    for (label, score), pair in zip(judge.judge(NUMBER_CHANGED), NUMBER_CHANGED, strict=True):
        assert label == 1, (pair, score)


def test_scores_are_probabilities_and_symmetric(judge: SameFactJudge) -> None:
    pairs = PARAPHRASES + DIFFERENT + NUMBER_CHANGED
    forward = judge.scores(pairs)
    backward = judge.scores([(b, a) for a, b in pairs])
    assert all(0.0 <= s <= 1.0 for s in forward)
    assert forward == pytest.approx(backward, abs=1e-6)
    assert judge.scores([]) == []
    assert judge.judge([]) == []


def test_labels_follow_the_threshold(judge: SameFactJudge) -> None:
    pairs = PARAPHRASES + DIFFERENT + NUMBER_CHANGED
    scores = judge.scores(pairs)
    assert [label for label, _ in judge.judge(pairs)] == [int(s >= judge.threshold) for s in scores]
    strict = SameFactJudge(encoder=judge.encoder, threshold=0.999)
    assert strict.threshold == 0.999
    assert [label for label, _ in strict.judge(pairs)] == [int(s >= 0.999) for s in scores]
    assert same_fact(*PARAPHRASES[0]) == judge.judge(PARAPHRASES[:1])[0]


def test_scores_do_not_depend_on_batch_company(judge: SameFactJudge) -> None:
    alone = judge.scores(PARAPHRASES[:1])
    together = judge.scores(PARAPHRASES + DIFFERENT)[:1]
    assert alone == pytest.approx(together, abs=1e-4)


def test_embed_rows_are_unit_vectors(judge: SameFactJudge) -> None:
    texts = [PARAPHRASES[0][0], PARAPHRASES[0][1], DIFFERENT[0][1]]
    vectors = judge.embed(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    assert judge.embed([]).shape == (0, 384)


def test_long_and_odd_texts_are_scored(judge: SameFactJudge) -> None:
    long = " ".join(["The minister said the plan would cost 3 billion euros."] * 40)
    odd = [(long, long[:200]), ("!!!", "???"), ("Да, это так.", "Yes, it is.")]
    scores = judge.scores(odd)
    assert len(scores) == 3
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_command_answers_each_line() -> None:
    lines = [f"{a}\t{b}" for a, b in (PARAPHRASES[0], DIFFERENT[0])]
    result = CliRunner().invoke(same_fact_command, [], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[0] for row in rows] == ["1", "0"]
    assert all(0.0 <= float(row[1]) <= 1.0 for row in rows)


def test_command_reports_malformed_lines_and_goes_on() -> None:
    text = (
        f"{PARAPHRASES[0][0]}\t{PARAPHRASES[0][1]}\n"
        "just one sentence without a tab\n"
        f"{DIFFERENT[0][0]}\t{DIFFERENT[0][1]}\n"
        "a\tb\tc\n"
    )
    result = CliRunner().invoke(same_fact_command, [], input=text)
    assert result.exit_code == 1
    # one output line per input line: the malformed ones are left empty
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["1", "", "0", ""]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "<stdin> line 2" in errors[0] and "found 1 field" in errors[0]
    assert "<stdin> line 4" in errors[1] and "found 3 field" in errors[1]


def test_command_threshold_option() -> None:
    text = f"{PARAPHRASES[0][0]}\t{PARAPHRASES[0][1]}\n"
    result = CliRunner().invoke(same_fact_command, ["--threshold", "1"], input=text)
    assert result.exit_code == 0
    label, score = result.stdout.strip().split("\t")
    assert label == str(int(float(score) >= 1.0))
    bad = CliRunner().invoke(same_fact_command, ["--threshold", "2"], input=text)
    assert bad.exit_code == 2


def test_command_on_empty_input() -> None:
    for text, answer in (("", ""), ("\n\n", "\n\n")):
        result = CliRunner().invoke(same_fact_command, [], input=text)
        assert result.exit_code == 0
        assert result.stdout == answer  # blank lines answered blank, in place
        assert result.stderr == ""
