"""PairSimilarityEmbedder with a vectorizer: any name with a known token gets a vector."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer

from sk_colour_embed import PairSampler

from conftest import query_in_a_process_without_tensorflow, small_embedder, words_embedder


def names(*values):
    return pd.DataFrame({"name": list(values)})


def test_held_out_names_score_well_above_the_untrained_model(fitted_words, xkcd_split):
    X_train, y_train, X_test, y_test = xkcd_split
    untrained = words_embedder(learning_rate=1e-12).fit(X_train, y_train)
    assert not set(X_test["name"]) & set(X_train["name"])
    with pytest.warns(UserWarning, match="leaves out"):  # names with no known word
        trained_score = fitted_words.score(X_test, y_test)
    with pytest.warns(UserWarning, match="leaves out"):
        untrained_score = untrained.score(X_test, y_test)
    assert trained_score > 0.45
    assert trained_score > untrained_score + 0.3


def test_case_and_spaces_do_not_change_a_names_vector(fitted_words):
    out = fitted_words.transform(names("red", "RED", " red ", "Red"))
    np.testing.assert_array_equal(out, np.repeat(out[:1], 4, axis=0))
    assert np.isfinite(out).all()


def test_the_recommended_reading_keeps_case_and_spaces_out_of_a_name(xkcd_split):
    # Words and 3-grams within words (the docs' recommendation): character
    # 3-grams across the whole name would read " red " as " re", "red", "ed ".
    X_train, y_train, _, _ = xkcd_split
    reader = make_union(
        TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
    )
    embedder = words_embedder(vectorizer=reader, epochs=3).fit(X_train, y_train)
    variants = ["dusty rose", "Dusty Rose", " dusty  rose ", "DUSTY ROSE\t"]
    out = embedder.transform(names(*variants))
    np.testing.assert_array_equal(out, np.repeat(out[:1], len(variants), axis=0))
    assert np.isfinite(out).all()
    assert embedder.similarity("Red", " red ") == 1.0


def test_unseen_names_get_the_vectors_of_their_tokens(fitted_words):
    out = fitted_words.transform(names("Dusty Rose Pink", "dark sky blue-ish", "qwxz"))
    assert np.isfinite(out[:2]).all() and np.isnan(out[2]).all()
    with pytest.raises(
        ValueError,
        match=r"1 item\(s\) have no vector \(the first at row 0\): 'qwxz'.*handle_unknown",
    ):
        fitted_words.set_params(handle_unknown="error").transform(names("qwxz"))
    fitted_words.set_params(handle_unknown="ignore")


def test_queries_take_new_names_and_return_training_names(fitted_words, xkcd_split):
    X_train = xkcd_split[0]
    neighbours = fitted_words.most_similar("Deep Red", topn=5)
    assert len(neighbours) == 5
    assert {key for key, _ in neighbours} <= set(X_train["name"])
    assert "red" not in [key for key, _ in fitted_words.most_similar("RED", topn=20)]
    assert fitted_words.similarity("Red", "red") == 1.0
    assert fitted_words.similarity("dark red", "light red") < 1.0


def test_vectorizer_is_cloned_and_its_parameters_searchable(xkcd_split):
    X_train, y_train, _, _ = xkcd_split
    vectorizer = CountVectorizer()
    embedder = words_embedder(vectorizer=vectorizer, epochs=2)
    embedder.set_params(vectorizer__ngram_range=(1, 2))
    assert embedder.get_params()["vectorizer__ngram_range"] == (1, 2)
    embedder.fit(X_train, y_train)
    assert not hasattr(vectorizer, "vocabulary_")
    fitted = embedder.vectors_.reader.vectorizer
    assert fitted.ngram_range == (1, 2) and "dark red" in fitted.vocabulary_


def test_hashing_vectorizer_keeps_only_the_tokens_training_used(xkcd_split):
    X_train, y_train, X_test, _ = xkcd_split
    embedder = words_embedder(vectorizer=HashingVectorizer(n_features=2**20), epochs=2)
    embedder.fit(X_train, y_train)
    words = CountVectorizer().fit(X_train["name"])
    n_names = len({tuple(words.build_analyzer()(name)) for name in X_train["name"]})
    # one row per word of the training names and one per name, not 2**20 rows
    assert embedder.vectors_.token_vectors.shape == (len(words.vocabulary_) + n_names, 3)
    assert embedder.transform(X_test).shape == (len(X_test), 3)


def test_names_without_tokens_are_left_out_of_training_with_a_warning(xkcd_split):
    X_train, y_train, _, _ = xkcd_split
    X = pd.concat([X_train, names("!!!")], ignore_index=True)
    y = pd.concat([y_train, pd.DataFrame({"r": [0.5], "g": [0.5], "b": [0.5]})], ignore_index=True)
    with pytest.warns(UserWarning, match=r"1 training name\(s\) have no token .*'!!!'"):
        embedder = words_embedder(epochs=2).fit(X, y)
    assert np.isnan(embedder.embedding_.loc["!!!"]).all()


@pytest.mark.parametrize(
    "X, message",
    [
        (pd.DataFrame({"a": ["red"] * 4, "b": ["x"] * 4}), "one column of names; it has 2 columns"),
        (pd.DataFrame({"name": ["red", 3, "blue", "teal"]}), r"row 1 holds 3 \(int\)"),
    ],
)
def test_a_vectorizer_needs_one_column_of_strings(X, message):
    with pytest.raises(ValueError, match=message):
        words_embedder(epochs=1).fit(X, np.zeros((4, 3)))


@pytest.mark.slow  # a fresh Python process
def test_pickled_token_embedder_reads_new_names_without_tensorflow(fitted_words, tmp_path):
    printed = query_in_a_process_without_tensorflow(fitted_words, "Dusty Rose Pink", tmp_path)
    assert printed == str(fitted_words.transform(names("Dusty Rose Pink")).tolist())


def test_training_names_add_their_own_vector_to_their_words(fitted_words, xkcd_split):
    # The gain in fit is measured at full settings in benchmarks/bench_open_vocabulary.py.
    vectors = fitted_words.vectors_
    n_words = len(vectors.reader.columns)
    words_of = vectors.reader.read(np.array(["dark red", "Dark Sky Blue-ish"], dtype=object))
    own = words_of[:, n_words:].toarray()
    assert own[0].sum() == 1 and own[1].sum() == 0  # a training name; a new one
    words_only = words_of[:, :n_words] @ vectors.token_vectors[:n_words]
    out = fitted_words.transform(names("dark red", "Dark Sky Blue-ish"))
    assert np.abs(out[0] - words_only[0]).max() > 0.05
    np.testing.assert_allclose(out[1], words_only[1])
    assert np.ptp(vectors.token_vectors[n_words:]) > 0.2  # trained, not left at their start


def test_too_few_names_with_tokens_is_a_clear_error():
    X = names("a", "b", "red")
    with pytest.raises(ValueError, match=r"finds a token in 1 training name\(s\); pairs need"):
        words_embedder(vectorizer=CountVectorizer(), epochs=1).fit(X, [[0.0], [0.1], [0.2]])


def test_score_reads_names_only(fitted_words):
    with pytest.raises(ValueError, match=r"must hold names as strings; row 0 holds"):
        fitted_words.score(pd.DataFrame({"name": [3, 4, 5]}), np.eye(3))


def test_names_as_a_list_or_series_with_a_vectorizer(fitted_words, xkcd_split):
    X_train, y_train, _, _ = xkcd_split
    names = ["red", "navy blue", "Dusty Rose Pink"]
    expected = fitted_words.transform(pd.DataFrame({"name": names}))
    for column in (names, tuple(names), np.array(names), pd.Series(names, name="colour")):
        np.testing.assert_array_equal(fitted_words.transform(column), expected)
    refit = words_embedder(epochs=2).fit(X_train["name"], y_train)
    np.testing.assert_array_equal(
        refit.transform(names), words_embedder(epochs=2).fit(X_train, y_train).transform(names)
    )


def signed_features(names):
    """Names that start with "dark" read as -1, the others as +1: one signed feature."""
    return np.array([[-1.0 if name.startswith("dark") else 1.0] for name in names])


def test_dense_features_keep_their_signs(xkcd):
    # Read as absolute values every name had the same feature, hence the same vector.
    X, y = xkcd
    embedder = small_embedder(
        n_components=2, vectorizer=FunctionTransformer(signed_features), name_vectors=False
    ).fit(X, y)
    light, dark = embedder.transform(names("light red", "dark red"))
    np.testing.assert_allclose(dark, -light)
    assert np.linalg.norm(light - dark) > 1e-3


@pytest.mark.slow  # judged on the 949 xkcd colours
def test_reduced_dense_features_place_held_out_names(xkcd_split):
    X_train, y_train, X_test, y_test = xkcd_split
    reading = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), TruncatedSVD(30, random_state=0)
    )
    embedder = small_embedder(
        n_components=3, vectorizer=reading, epochs=40, sampler=PairSampler(n_pairs=20_000)
    ).fit(X_train, y_train)
    untrained = clone(embedder).set_params(epochs=1, learning_rate=1e-9).fit(X_train, y_train)
    assert embedder.score(X_test, y_test) > untrained.score(X_test, y_test) + 0.1


@pytest.mark.parametrize("vectorizer", [None, TfidfVectorizer()])
def test_hidden_layers_encode_the_vectors_the_estimator_gives(xkcd, vectorizer):
    X, y = xkcd
    embedder = small_embedder(
        n_components=3, hidden_layer_sizes=[8, 5], vectorizer=vectorizer, record_every=10
    ).fit(X, y)
    one_layer = small_embedder(hidden_layer_sizes=4, epochs=2).fit(X[:100], y[:100])
    assert [w.shape for w in one_layer.vectors_.encoder] == [(4,), (4, 2), (2,)]  # as MLP
    vectors = embedder.vectors_
    assert vectors.token_vectors.shape[1] == 8 and vectors.n_components == 3
    assert [w.shape for w in vectors.encoder] == [(8,), (8, 5), (5,), (5, 3), (3,)]
    # The recording's last frame is the fitted embedding, through the same encoder.
    np.testing.assert_allclose(embedder.recording_[-1], embedder.embedding_, rtol=1e-5, atol=1e-6)
    again = clone(embedder).fit(X, y)
    np.testing.assert_array_equal(again.transform(X[:50]), embedder.transform(X[:50]))
    assert embedder.transform(X[:3]).shape == (3, 3)


@pytest.mark.parametrize("sizes", [(0,), (4, -1), ("8",), (2.5,), (True,), [[8, 5]]])
def test_hidden_layer_sizes_must_be_positive_integers(xkcd, sizes):
    X, y = xkcd
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold positive integers"):
        small_embedder(hidden_layer_sizes=sizes).fit(X[:50], y[:50])
