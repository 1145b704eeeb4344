"""Names as people type them (``sk_colour_embed._names``), through the vectors that use them."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from sk_colour_embed import ItemVectors, RegressedItemVectors
from sk_colour_embed._names import NameIndex, edits, plain_name

KNOWN = ["burgundy", "navy blue", "puke", "light mint", "pink", "dark olive green"]


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("burgundy", "burgundy", 0),
        ("burgandy", "burgundy", 1),  # substituted
        ("lavendr", "lavender", 1),  # dropped
        ("magneta", "magenta", 1),  # neighbours swapped: one edit, not two
        ("fuschia", "fuchsia", 2),
        ("red", "blue", 3),  # more than 2: cut short
        ("a", "abcdefgh", 3),
    ],
)
def test_edits_count_letters_typed_wrong(a, b, expected):
    assert edits(a, b) == expected


def test_a_variant_of_a_known_name_is_found_and_known_words_are_never_corrected():
    index = NameIndex(KNOWN + [3])  # keys that are not strings are left out
    found = index.variant_of(
        [" Navy-Blue", "burgandy", "DARK  OLIVE_GREEN", "puce", "light pink", "teal", "bu"]
    )
    # "puce" is one letter from "puke" but a fifth of 4 letters is 0; "light pink" is
    # made of known words, so it is no typo of "light mint".
    np.testing.assert_array_equal(found, [1, 0, 5, -1, -1, -1, -1])
    assert plain_name("Dark\u00a0 Olive-Green") == "dark olive green"


class Origin(RegressorMixin, BaseEstimator):
    """Predicts the origin for every key."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros((len(X), 2))


def regressed():
    learned = ItemVectors(
        pd.Index(KNOWN),
        np.arange(12.0).reshape(6, 2) + 1,
        distance_scale=1.0,
        similarity_bias=0.0,
    )
    return learned, RegressedItemVectors(learned, Origin())


def test_a_misspelt_known_name_gets_its_learned_vector_and_others_the_regressors():
    learned, vectors = regressed()
    got = vectors.get_vectors(["burgandy", "Dark Olive-Green", "Rosso Corsa", "light pink"])
    np.testing.assert_array_equal(got[0], learned.get_vector("burgundy"))
    np.testing.assert_array_equal(got[1], learned.get_vector("dark olive green"))
    np.testing.assert_array_equal(got[2:], np.zeros((2, 2)))  # guessed
    assert vectors.most_similar("burgandy", topn=1)[0][0] == "burgundy"


def test_name_distance_is_zero_for_known_and_variants_and_one_for_nothing_shared():
    _, vectors = regressed()
    distance = vectors.name_distance(["pink", "Navy-Blue", "burgandy", "zzzz", None, 7])
    assert distance[0] == 0 and distance[1] == pytest.approx(0, abs=1e-12)
    assert 0 < distance[2] < 0.6
    np.testing.assert_array_equal(distance[3:], [1, 1, 1])
