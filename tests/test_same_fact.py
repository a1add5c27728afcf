"""The same-fact judge with the real encoder and shipped weights, and its command."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest
from click.testing import CliRunner

from storylens.cli_same_fact import same_fact_command
from storylens.compare import same_fact as module
from storylens.compare import same_fact_lexical as lexical_module
from storylens.compare.same_fact import (
    CACHE_TEXTS,
    SameFactJudge,
    Sentence,
    default_judge,
    describe,
    pair_features,
    pair_features_many,
    same_fact,
    token_ids,
)
from storylens.compare.same_fact_blocks import Blocks, residual_side, tfkld_pair
from tests.conftest import EXAMPLES

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


def _example_sentences(name: str, limit: int) -> list[str]:
    text = (EXAMPLES / name).read_text("utf-8")
    found = [s.strip() for s in re.split(r"(?<=[.!?”])\s+|\n+", text) if len(s.split()) >= 3]
    return found[:limit]


def _reference_token_side(best: np.ndarray, weights: np.ndarray) -> list[float]:
    """The token-side features written plainly, one level at a time: the oracle."""
    total = float(weights.sum())
    if not len(best):
        return [0.0, 0.0, 0.0] + [1.0] * len(module._LEVELS) + [0.0] * len(module._LEVELS)
    share = [float((weights * (best < t)).sum() / max(total, 1e-9)) for t in module._LEVELS]
    mass = [float((weights * (best < t)).sum()) for t in module._LEVELS]
    weighted = float((best * weights).sum() / total) if total > 0 else float(best.mean())
    return [weighted, float(best.mean()), float(best.min()), *share, *mass]


def _reference_word_side(best: np.ndarray, side: Sentence, other: Sentence) -> list[float]:
    """The word-side features written plainly, one kind at a time: the oracle."""
    present = frozenset(other.word_list)
    missing = np.array([w not in present for w in side.word_list], dtype=bool)
    out: list[float] = []
    for kind in (module._NUMERIC, module._NAME, module._CONTENT):
        mask = (side.kinds == kind) & missing
        out += [float((mask & (best < 0.5)).sum()), float((mask & (best < 0.7)).sum())]
        out.append(float(mask.sum()))
    return out


def test_batched_features_equal_the_plain_ones(judge: SameFactJudge) -> None:
    """`pair_features_many` (what `scores` uses) gives each pair the values it gets alone,
    and its array operations give the plain per-level and per-kind sums exactly, on real
    sentences: the example corpus's two text dumps, against each other and themselves,
    with figures, names, quotes, a truncated long text and punctuation only."""
    ledger = _example_sentences("national-ledger.txt", 30)
    courier = _example_sentences("korvhaven-courier.txt", 30)
    odd = ["!!!", "No.", " ".join(ledger) * 3, *NUMBER_CHANGED[0]]
    texts = sorted({*ledger, *courier, *odd})
    vectors = judge.encoder.token_vectors(texts)
    sentence = {t: describe(t, v, judge.idf) for t, v in zip(texts, vectors, strict=True)}
    pairs = [(a, b) for a in ledger for b in courier]
    pairs += [(a, b) for i, a in enumerate(ledger) for b in ledger[i:]]
    pairs += [(a, b) for a in odd for b in [*odd, *courier[:5]]]
    described = [(sentence[a], sentence[b]) for a, b in pairs]
    many = pair_features_many(described)
    assert len(many) == len(pairs) > 500
    for (a, b), row in zip(described, many, strict=True):
        one = pair_features(a, b)
        assert list(row) == list(one)  # same names, same order
        assert row == one  # same values, to the last bit
        assert all(type(v) is float for v in row.values())
        sim = a.vectors @ b.vectors.T
        best = module._best(sim, 1, len(a.vectors))
        assert module._token_side(best, a.weights) == _reference_token_side(best, a.weights)
        word_best = module._best(a.word_vectors @ b.word_vectors.T, 1, len(a.word_list))
        fast = module._word_side(word_best, a, module._sides(a).kinds, module._sides(b))
        assert fast == _reference_word_side(word_best, a, b)


class _CountingEncoder:
    """Token vectors that depend on the text alone, recording which texts were encoded."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        self.encoded += texts
        out = []
        for text in texts:
            seed = sum(token_ids(text)) % (2**32)
            rows = np.random.default_rng(seed).standard_normal((len(token_ids(text)), 384))
            out.append(rows.astype(np.float32))
        return out


def test_scores_reuse_every_text_embed_encoded() -> None:
    """The alignment embeds a story's units, then scores pairs of them: a story with more
    units than CACHE_TEXTS is not encoded twice, and the cache shrinks back after."""
    encoder = _CountingEncoder()
    judge = SameFactJudge(encoder=encoder)  # type: ignore[arg-type]
    texts = [f"Unit {i} of the story says the minister spoke on day {i}." for i in range(700)]
    assert len(texts) > CACHE_TEXTS
    judge.embed(texts)
    assert sorted(encoder.encoded) == sorted(texts)
    encoder.encoded.clear()
    pairs = [(texts[i], texts[699 - i]) for i in range(350)]
    scores = judge.scores(pairs)
    assert encoder.encoded == []
    assert len(judge._cache) == CACHE_TEXTS
    fresh = SameFactJudge(encoder=_CountingEncoder())  # type: ignore[arg-type]
    assert fresh.scores(pairs) == scores
    judge.forget()
    # (to rounding: the classifier's matrix product runs over the whole batch of pairs)
    assert judge.scores(pairs[:3]) == pytest.approx(scores[:3], rel=1e-9)
    assert sorted(encoder.encoded) == sorted({t for pair in pairs[:3] for t in pair})


def test_word_pieces_are_the_tokeniser_s() -> None:
    vocab = module._vocab()
    for text in ("Peskov's 4.2% rise, “unprecedented”!", "naïve café déjà vu", ""):
        pieces = module._word_pieces(text)
        assert [w for w, _ in pieces] == module.basic_words(text)
        assert [list(p) for _, p in pieces] == [
            module.wordpiece(w, vocab) for w in module.basic_words(text)
        ]


def _lexical_row(a: str, b: str) -> dict[str, float]:
    return dict(
        zip(
            lexical_module.LEXICAL_NAMES,
            lexical_module.lexical_features(lexical_module.lexical(a), lexical_module.lexical(b)),
            strict=True,
        )
    )


def test_lexical_features_on_hand_made_pairs() -> None:
    same = _lexical_row("The cat sat on the mat.", "The cat sat on the mat.")
    for name, value in same.items():
        if name.endswith(("_min", "_max", "_f")) or name.startswith(("char_lcs", "fuzz")):
            assert value == 1.0, name
    assert same["char_levenshtein"] == 1.0
    assert same["word_run"] == 6.0 and same["word_run_share"] == 1.0
    assert same["char_length_diff"] == 0.0 and same["dates_mismatch"] == 0.0

    row = _lexical_row("The cat sat on the mat", "The cat sat on a mat")
    # words {the cat sat on mat} vs {the cat sat on a mat}: 5 shared of 5 and of 6
    assert row["word1_min"] == pytest.approx(5 / 6)
    assert row["word1_max"] == 1.0
    assert row["word1_f"] == pytest.approx(2 * (5 / 6) / (1 + 5 / 6))
    # bigrams: the cat, cat sat, sat on shared; on the / the mat against on a / a mat
    assert row["word2_min"] == row["word2_max"] == pytest.approx(3 / 5)
    assert row["word4_min"] == row["word4_max"] == pytest.approx(1 / 3)
    assert row["word_run"] == 4.0  # "the cat sat on"
    assert row["word_run_share"] == pytest.approx(4 / 6)
    assert row["char_length_diff"] == 2.0
    # content words (stopwords dropped): {cat sat mat} on both sides
    assert row["content1_min"] == 1.0

    stems = _lexical_row("Police reported arrests", "Police report arrest")
    assert stems["word1_max"] == pytest.approx(1 / 3)  # only "police" as written
    assert stems["stem1_min"] == stems["stem2_min"] == 1.0  # stems meet
    assert lexical_module.stem("reported") == lexical_module.stem("reports") == "report"

    dates = _lexical_row("He may resign on Monday, 10% of staff said", "He resigned on Tuesday")
    assert dates["dates_unmatched"] == 2.0 and dates["dates_mismatch"] == 1.0
    assert dates["percent_mismatch"] == 1.0 and dates["dollar_mismatch"] == 0.0
    may = _lexical_row("Prices may rise.", "Prices may fall.")
    assert may["dates_mismatch"] == 0.0  # "may" the verb is no month
    quoted = _lexical_row('"We will win," he said.', "He said they would win?")
    assert quoted["quote_mismatch"] == 2.0 and quoted["question_mismatch"] == 1.0
    assert lexical_module.longest_run(("a", "b", "c", "d"), ("x", "b", "c", "y", "c", "d")) == 2


def test_gram_sets_match_their_definitions() -> None:
    """The fast n-gram builders give exactly the sets their plain definitions give."""
    multiplier = int(lexical_module._MULTIPLIER)
    for text in [*PARAPHRASES[0], *NUMBER_CHANGED[0], "", "a", "ab b", "ab cd", "Zürich’s"]:
        words = tuple(text.lower().split())
        for n in (1, 2, 3, 4, 5):
            plain = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
            assert lexical_module._grams(words, n) == plain
        for n, grams in zip(
            lexical_module.CHAR_ORDERS, lexical_module._char_grams(text), strict=True
        ):
            hashes: set[int] = set()
            for i in range(len(text) - n + 1):
                value = 0
                for ch in text[i : i + n]:
                    value = (value * multiplier + ord(ch)) % 2**64
                hashes.add(value)
            assert grams == hashes, (text, n)


def test_lexical_features_are_symmetric_and_bounded() -> None:
    texts = [*PARAPHRASES[0], *DIFFERENT[1], *NUMBER_CHANGED[0], "", "!!!", "No."]
    shares = [n for n in lexical_module.LEXICAL_NAMES if n.endswith(("_min", "_max", "_f"))]
    for a in texts:
        for b in texts:
            forward, backward = _lexical_row(a, b), _lexical_row(b, a)
            assert forward == backward, (a, b)
            assert all(0.0 <= forward[n] <= 1.0 for n in shares)


def test_tfkld_and_residual_blocks_by_hand() -> None:
    blocks = Blocks(
        vocab={"cat": 0, "sat": 1, "cat sat": 2},
        projection=np.array([[1, 0], [0, 2], [3, 3]], dtype=np.float32),
        tfkld_coef=np.array([1.0, 1.0, 0.0, 0.0, 2.0]),
        tfkld_bias=-1.0,
        residual_coef=np.ones(4),
        residual_bias=0.5,
    )
    a = blocks.tfkld_vector(frozenset({"cat", "cat sat", "dog"}))  # "dog" is not kept
    b = blocks.tfkld_vector(frozenset({"sat"}))
    assert a.tolist() == [4.0, 3.0] and b.tolist() == [0.0, 2.0]
    cosine = 6.0 / (5.0 * 2.0)
    assert tfkld_pair(a, b).tolist() == pytest.approx([4, 5, 4, 1, cosine])
    assert blocks.tfkld_logit(a, b) == pytest.approx(9.0 + 2 * cosine - 1.0)
    assert blocks.tfkld_logit(a, b) == blocks.tfkld_logit(b, a)
    empty = blocks.tfkld_vector(frozenset())
    assert tfkld_pair(empty, b)[-1] == 0.0
    # a token matched at 0.7 or better adds nothing; one at 0.2 adds half its vector
    vectors = np.array([[1, 0], [0, 1]], dtype=np.float32)
    side = residual_side(np.array([0.9, 0.2], dtype=np.float32), vectors)
    assert side.tolist() == pytest.approx([0.0, 0.5])
    other = residual_side(np.array([0.7, 0.7], dtype=np.float32), vectors)
    assert other.tolist() == [0.0, 0.0]
    assert blocks.residual_logit(side, other) == pytest.approx(0.5 + 0.5 + 0.5)
    assert residual_side(np.zeros(0, np.float32), np.zeros((0, 2), np.float32)).shape == (2,)


def test_shipped_model_has_its_blocks() -> None:
    spec = module.load_model()
    assert spec["features"][-2:] == ["tfkld_logit", "residual_logit"]
    members = spec["members"]
    for member in members:
        assert len(spec["features"]) == len(spec["mean"]) == len(member["layers"][0]["weights"])
        assert len(member["layers"][-1]["bias"]) == 1
    assert module.BLOCKS_PATH.stat().st_size < 3_000_000
    blocks = Blocks.from_arrays(spec["blocks"])
    assert 0 < len(blocks.vocab) <= 5000
    assert blocks.projection.shape[0] == len(blocks.vocab)
    assert blocks.tfkld_coef.shape == (2 * blocks.projection.shape[1] + 1,)
    assert blocks.residual_coef.shape == (2 * 384,)
    hyper = spec["hyperparameters"]
    assert hyper["tfkld_prior"] in (10.0, 100.0, 1000.0, 10000.0)
    kind = hyper["final"].split(" ")[0]
    assert kind in ("logistic", "mlp")
    assert len(members) == (1 if kind == "logistic" else 5)


def test_classifier_averages_its_nets_by_hand() -> None:
    """A regression member and a one-hidden-unit ReLU member: the probability is the
    mean of the two sigmoids, after standardising."""
    regression = {"layers": [{"weights": [[2.0], [0.0]], "bias": [-1.0]}]}
    net = {
        "layers": [
            {"weights": [[1.0], [-1.0]], "bias": [0.0]},
            {"weights": [[3.0]], "bias": [-2.0]},
        ]
    }
    spec = {"features": ["a", "b"], "mean": [1.0, 0.0], "scale": [2.0, 1.0]}
    classifier = module.Classifier({**spec, "members": [regression, net]})
    rows = [{"a": 3.0, "b": 0.5}, {"a": 1.0, "b": 2.0}]
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    # row 1: standard (1, 0.5): regression 2 - 1 = 1; net relu(0.5) * 3 - 2 = -0.5
    # row 2: standard (0, 2): regression -1; net relu(-2) = 0 -> -2
    expected = [(sigmoid(1.0) + sigmoid(-0.5)) / 2, (sigmoid(-1.0) + sigmoid(-2.0)) / 2]
    assert classifier.probabilities(rows).tolist() == pytest.approx(expected)
    single = module.Classifier({**spec, "members": [regression]})
    assert single.probabilities(rows).tolist() == pytest.approx([sigmoid(1.0), sigmoid(-1.0)])
    assert classifier.probabilities([]).shape == (0,)


def test_blocks_enter_the_features(judge: SameFactJudge) -> None:
    assert judge.blocks is not None
    texts = sorted({t for pair in PARAPHRASES + DIFFERENT for t in pair})
    vectors = judge.encoder.token_vectors(texts)
    sentence = {t: describe(t, v, judge.idf) for t, v in zip(texts, vectors, strict=True)}
    pairs = [(sentence[a], sentence[b]) for a, b in PARAPHRASES + DIFFERENT]
    many = pair_features_many(pairs, judge.blocks)
    for (a, b), row in zip(pairs, many, strict=True):
        assert row == pair_features(a, b, judge.blocks)
        assert row == pytest.approx(pair_features(b, a, judge.blocks), rel=1e-9)  # symmetric
        assert list(row) == judge.classifier.features
    # paraphrases get higher block logits than unrelated pairs
    para, diff = many[: len(PARAPHRASES)], many[len(PARAPHRASES) :]
    for name in ("tfkld_logit", "residual_logit"):
        assert min(r[name] for r in para) > max(r[name] for r in diff), name


def test_scores_do_not_depend_on_a_large_batch(judge: SameFactJudge) -> None:
    pairs = PARAPHRASES + DIFFERENT + NUMBER_CHANGED
    together = judge.scores(pairs * 7)
    for index, pair in enumerate(pairs):
        alone = judge.scores([pair])[0]
        assert all(abs(s - alone) < 1e-12 for s in together[index :: len(pairs)])
