"""The learned alignment relation: its features, its shipped weights, its fitting."""

from __future__ import annotations

import json

import numpy as np
import pytest

from storylens.compare.relation import (
    FEATURES,
    RELATION_PATH,
    RelationModel,
    fit_relation,
    load_relation,
    relation_features,
)
from storylens.compare.same_fact import default_judge

STORY = [
    "The Brest radar station and the Vileyka naval communications facility were named.",
    "Shoigu named the Vileyka naval communications centre and the Brest radar.",
    "Schools in the three districts were closed on Monday.",
    "Russia said NATO had suspended its mission on Monday.",
    "NATO suspended the Russian mission, Russia said.",
]


def _features(texts: list[str], positions: list[float] | None = None) -> dict[str, np.ndarray]:
    vectors = default_judge().embed(texts)
    return relation_features(texts, positions or [0.0] * len(texts), vectors @ vectors.T)


def test_every_feature_is_a_symmetric_matrix_over_the_units() -> None:
    features = _features(STORY, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert set(features) == set(FEATURES)
    for name, matrix in features.items():
        assert matrix.shape == (len(STORY), len(STORY)), name
        assert matrix.dtype == np.float32, name
        np.testing.assert_allclose(matrix, matrix.T, atol=1e-6, err_msg=name)


def test_counts_of_shared_words_names_and_numbers() -> None:
    texts = ["Police said 12 people died in Korvhaven.", "In Korvhaven 12 people died, police say."]
    features = _features(texts)
    # content words shared: police, died, korvhaven ("people", "said" are stopwords)
    assert features["shared_content"][0, 1] == pytest.approx(np.log1p(3), rel=1e-5)
    assert features["shared_names"][0, 1] == pytest.approx(np.log1p(1), rel=1e-5)  # Korvhaven
    assert features["shared_numbers"][0, 1] == pytest.approx(np.log1p(1), rel=1e-5)  # 12
    assert features["overlap_min"][0, 1] == pytest.approx(1.0)


def test_words_rare_in_the_story_weigh_more_than_common_ones() -> None:
    # unit 0 shares one word with unit 1 ("vileyka", in two units) and one with unit 2
    # ("russia", in four): the rarer shared word makes the closer pair
    texts = [
        "Russia criticised the Vileyka decision.",
        "Vileyka residents protested.",
        "Russia sent troops.",
        "Russia closed borders.",
        "Russia issued statement.",
    ]
    idf_cosine = _features(texts)["story_idf_cosine"]
    assert idf_cosine[0, 1] > idf_cosine[0, 2] > 0.0
    assert idf_cosine[1, 2] == pytest.approx(0.0, abs=1e-6)


def test_positions_enter_as_their_sum_and_gap() -> None:
    features = _features(STORY[:3], [0.0, 0.5, 1.0])
    assert features["position_sum"][0, 2] == pytest.approx(1.0)
    assert features["position_gap"][0, 2] == pytest.approx(1.0)
    assert features["position_gap"][1, 1] == 0.0


def test_shipped_relation_links_the_same_fact_and_not_a_different_one() -> None:
    spec = json.loads(RELATION_PATH.read_text("utf-8"))
    assert spec["features"] == list(FEATURES)
    assert spec["trained_on"]["positive"] > 0
    related = load_relation().probabilities(_features(STORY, [0.0, 0.25, 0.5, 0.75, 1.0]))
    assert related[0, 1] > 0.5  # the Brest radar and the Vileyka facility, twice
    assert related[0, 2] < 0.1  # radar vs schools
    assert related[2, 3] < 0.5  # "on Monday" alone is not a fact


def test_a_fitted_model_survives_its_json_round_trip() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 1] + 0.5 * x[:, 0] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = fit_relation(x, y)
    again = RelationModel.from_dict(json.loads(json.dumps(model.to_dict())))
    features = {name: x[:, i : i + 1].astype(np.float32) for i, name in enumerate(FEATURES)}
    np.testing.assert_allclose(
        again.probabilities(features), model.probabilities(features), atol=1e-5
    )
    # the fitted weights point the way the data do
    assert model.coef[1] > 0 and model.coef[0] > 0
    accuracy = ((model.probabilities(features)[:, 0] >= 0.5) == y).mean()
    assert accuracy > 0.8
