import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union

from sk_colour_embed._tokens import TokenReader, absolute, names_of, padded

NAMES = np.array(["red", "dark red", "light blue", "dark sea green"], dtype=object)


@pytest.mark.parametrize(
    "vectorizer",
    [
        CountVectorizer(),
        TfidfVectorizer(),
        HashingVectorizer(n_features=2**20),
        make_union(CountVectorizer(), CountVectorizer(analyzer="char_wb", ngram_range=(3, 4))),
    ],
)
def test_weights_are_the_vectorizers_over_the_tokens_training_used(vectorizer):
    tokens = TokenReader.fit(vectorizer, NAMES)
    weights = tokens.weights(NAMES)
    assert weights.shape[1] == len(tokens) < 200  # only used columns, even of 2**20
    full = abs(tokens.vectorizer.transform(NAMES)).toarray()
    np.testing.assert_allclose(weights.toarray(), full[:, tokens.columns])
    np.testing.assert_allclose(full.sum(axis=1), weights.sum(axis=1).A1)  # nothing lost
    assert tokens.weights(np.array(["purple"], dtype=object)).nnz == 0
    assert not hasattr(vectorizer, "vocabulary_")  # cloned, not fitted in place


def test_padded_rows_hold_ids_and_weights():
    matrix = sp.csr_matrix(np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    ids, weights = padded(matrix)
    assert ids.shape == weights.shape == (3, 2)
    np.testing.assert_array_equal(ids[0], [1, 2])
    np.testing.assert_array_equal(weights, [[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]])


def test_weights_are_absolute_values():
    out = absolute(np.array([[1.0, -3.0], [0.0, 0.0]])).toarray()
    np.testing.assert_allclose(out, [[1.0, 3.0], [0.0, 0.0]])


def test_names_must_be_one_column_of_strings():
    with pytest.raises(ValueError, match="one column of names; it has 2 columns"):
        names_of(np.array([["a", "b"]], dtype=object))
    with pytest.raises(ValueError, match=r"row 1 holds 3 \(int\), and 2 row\(s\)"):
        names_of(np.array([["a"], [3], [None]], dtype=object))


def test_name_vectors_add_one_token_per_distinct_training_name():
    names = np.array(["red", "Red", "dark red", "!!!"], dtype=object)
    tokens = TokenReader.fit(CountVectorizer(), names, name_vectors=True)
    words = TokenReader.fit(CountVectorizer(), names)
    assert len(tokens) == len(words) + 2  # 'red' (read like 'Red') and 'dark red'; '!!!' none
    weights = tokens.weights(
        np.array(["RED", " red ", "dark red", "light red", "!!!"], dtype=object)
    )
    dense = weights.toarray()
    np.testing.assert_array_equal(dense[0], dense[1])
    own = dense[:, len(words) :]
    assert own[0].sum() == own[2].sum() == 1 and own[0].argmax() != own[2].argmax()
    assert own[3].sum() == 0 and dense[3, : len(words)].sum() > 0  # a new name: words only
    assert dense[4].sum() == 0


def test_a_union_with_a_dropped_part_reads_names():
    union = FeatureUnion([("words", CountVectorizer()), ("unused", "drop")])
    tokens = TokenReader.fit(union, NAMES, name_vectors=True)
    assert len(tokens) == len(TokenReader.fit(CountVectorizer(), NAMES)) + len(NAMES)
