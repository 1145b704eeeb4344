import pickle
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union
from sklearn.preprocessing import FunctionTransformer

from sk_colour_embed._readers import ExactReader, TokenReader, check_names, padded, read_items

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
    tokens = TokenReader.from_names(vectorizer, NAMES)
    weights = tokens.read(NAMES)
    assert weights.shape[1] == len(tokens) < 200  # only used columns, even of 2**20
    full = tokens.vectorizer.transform(NAMES).toarray()
    np.testing.assert_allclose(weights.toarray(), full[:, tokens.columns])
    np.testing.assert_allclose(full.sum(axis=1), weights.sum(axis=1).A1)  # nothing lost
    assert tokens.read(np.array(["purple"], dtype=object)).nnz == 0
    assert not hasattr(vectorizer, "vocabulary_")  # cloned, not fitted in place


def test_padded_rows_hold_ids_and_weights():
    matrix = sp.csr_matrix(np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    ids, weights = padded(matrix)
    assert ids.shape == weights.shape == (3, 2)
    np.testing.assert_array_equal(ids[0], [1, 2])
    np.testing.assert_array_equal(weights, [[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]])


def signed_features(names):
    """Two signed features a name: +-1 by its first letter, and its length."""
    return np.array([[1.0 if name[0] < "m" else -1.0, -len(name)] for name in names])


def test_weights_keep_the_signs_of_dense_features():
    # Taken as absolute values, "red" and "blue" (+-1, -3 and -4) read alike in sign.
    tokens = TokenReader.from_names(FunctionTransformer(signed_features), NAMES)
    np.testing.assert_array_equal(tokens.read(NAMES).toarray(), signed_features(NAMES))


def test_names_must_be_one_column_of_strings():
    with pytest.raises(ValueError, match="one column of names; it has 2 columns"):
        check_names(np.array([["a", "b"]], dtype=object))
    with pytest.raises(ValueError, match=r"row 1 holds 3 \(int\), and 2 row\(s\)"):
        check_names(np.array([["a"], [3], [None]], dtype=object))


def test_name_vectors_add_one_token_per_distinct_training_name():
    names = np.array(["red", "Red", "dark red", "!!!"], dtype=object)
    tokens = TokenReader.from_names(CountVectorizer(), names, name_vectors=True)
    words = TokenReader.from_names(CountVectorizer(), names)
    assert len(tokens) == len(words) + 2  # 'red' (read like 'Red') and 'dark red'; '!!!' none
    weights = tokens.read(np.array(["RED", " red ", "dark red", "light red", "!!!"], dtype=object))
    dense = weights.toarray()
    np.testing.assert_array_equal(dense[0], dense[1])
    own = dense[:, len(words) :]
    assert own[0].sum() == own[2].sum() == 1 and own[0].argmax() != own[2].argmax()
    assert own[3].sum() == 0 and dense[3, : len(words)].sum() > 0  # a new name: words only
    assert dense[4].sum() == 0


def test_a_union_with_a_dropped_part_reads_names():
    union = FeatureUnion([("words", CountVectorizer()), ("unused", "drop")])
    tokens = TokenReader.from_names(union, NAMES, name_vectors=True)
    assert len(tokens) == len(TokenReader.from_names(CountVectorizer(), NAMES)) + len(NAMES)


def full_width_weights(tokens, names):
    """The token weights as they were taken before: the vectorizer's output as a CSC matrix
    over all its columns, then the kept ones."""
    names = np.where(pd.isna(names), "", names)
    matrix = sp.csc_matrix(tokens.vectorizer.transform(names))
    return sp.csr_matrix(matrix[:, tokens.columns], dtype=np.float64)


@pytest.mark.parametrize(
    "vectorizer",
    [
        CountVectorizer(),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)),
        HashingVectorizer(n_features=2**4),  # collisions, and signs that cancel
        HashingVectorizer(n_features=2**20, alternate_sign=False, norm=None),
        make_union(TfidfVectorizer(), HashingVectorizer(n_features=2**6, analyzer="char")),
    ],
)
def test_token_weights_are_bit_for_bit_those_of_the_full_width_selection(vectorizer):
    training = np.array([*NAMES, "red red", "Blue!", ""], dtype=object)
    tokens = TokenReader.from_names(vectorizer, training)
    used = sp.csc_matrix(tokens.vectorizer.transform(training))
    np.testing.assert_array_equal(tokens.columns, np.flatnonzero(np.diff(used.indptr) > 0))
    queries = np.array(["dark blue", "RED", None, "", "purple", "sea", "dark red"], dtype=object)
    for names in (training, queries, queries[:1]):
        new, old = tokens.read(names), full_width_weights(tokens, names)
        assert new.shape == old.shape and new.dtype == old.dtype == np.float64
        for part in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(new, part), getattr(old, part))


def test_a_names_weights_cost_memory_for_its_tokens_not_for_the_hashing_width():
    tokens = TokenReader.from_names(HashingVectorizer(n_features=2**24), NAMES, name_vectors=True)
    tokens.read(np.array(["dark red"], dtype=object))  # imports and caches warmed up
    tracemalloc.start()
    try:
        weights = tokens.read(np.array(["dark red"], dtype=object))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert weights.nnz == 3  # "dark", "red" and the name's own token
    # The whole-width CSC matrix alone took 2**24 + 1 int32 column pointers: 64 MiB.
    assert peak < 2**20, f"{peak / 2**20:.1f} MiB"


@pytest.mark.parametrize(
    "vectorizer, names, message",
    [
        # Single letters: the default token_pattern reads nothing.
        (TfidfVectorizer(), ["a", "b"], "empty vocabulary"),
        # Each distinct name once: min_df=2 of rows repeated is still 1 name.
        (TfidfVectorizer(min_df=2), ["red", "light blue"], "no terms remain"),
    ],
)
def test_a_vectorizer_that_reads_nothing_is_named(vectorizer, names, message):
    # scikit-learn's message alone named neither the vectorizer nor the names.
    with pytest.raises(
        ValueError, match=rf"^the vectorizer, fitted on the 2 distinct training name.*{message}"
    ):
        TokenReader.from_names(vectorizer, np.array(names, dtype=object))


@pytest.mark.parametrize("vectorizer", [TfidfVectorizer(), HashingVectorizer(n_features=2**5)])
def test_no_names_have_no_weights(vectorizer):
    # The vectorizers refuse an empty list (ValueError, or HashingVectorizer's StopIteration).
    tokens = TokenReader.from_names(vectorizer, NAMES, name_vectors=True)
    weights = tokens.read(np.array([], dtype=object))
    assert weights.shape == (0, len(tokens)) and weights.nnz == 0


def test_an_exact_reader_gives_each_training_key_a_token_of_its_own():
    keys = pd.MultiIndex.from_tuples([("web", "red"), ("web", "blue"), ("x11", "red")])
    reader = ExactReader(keys)
    weights = reader.read(pd.MultiIndex.from_tuples([("x11", "red"), ("web", "Red")]))
    assert weights.shape == (2, 3) and weights.toarray().tolist() == [[0, 0, 1], [0, 0, 0]]
    # The same interface as a vectorizer's reader: any key columns, any key.
    reader.check(np.array([[1.5, None]], dtype=object))
    assert reader.reads(("web", 3)) and not reader.token_form and not reader.reads_alike
    again = pickle.loads(pickle.dumps(reader))
    assert again.keys.equals(keys) and isinstance(reader.__getstate__()["keys"], dict)


@pytest.mark.parametrize("vectorizer", [None, CountVectorizer(), TfidfVectorizer(norm="l1")])
def test_a_fit_reads_its_items_once_as_the_reader_reads_them_later(vectorizer, monkeypatch):
    keys = pd.Index([*NAMES, "red red"])
    counted = []
    original = TokenReader.read
    monkeypatch.setattr(
        TokenReader, "read", lambda self, names: counted.append(1) or original(self, names)
    )
    reader, weights = read_items(vectorizer, keys, name_vectors=True)
    assert counted == []  # the weights come from the fit's one reading
    later = reader.read(keys)
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(weights, part), getattr(later, part))


def test_training_names_without_a_token_are_named_and_too_few_refused():
    keys = pd.Index(["red", "dark red", "!!"])
    with pytest.warns(UserWarning, match=r"1 training name\(s\) have no token.*'!!'"):
        read_items(CountVectorizer(), keys)
    with pytest.raises(ValueError, match=r"finds a token in 1 training name\(s\); pairs need"):
        read_items(CountVectorizer(), pd.Index(["red", "!!", "??"]))
