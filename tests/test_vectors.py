import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.feature_extraction.text import CountVectorizer

from sk_colour_embed import ItemVectors, build_pair_model
from sk_colour_embed._keras_env import keras
from sk_colour_embed._model import trained_weights
from sk_colour_embed._readers import TokenReader, padded

NAMES = ["red", "dark red", "light blue", "blue", "sea blue", "dark sea green"]


def random_model(n_rows, tokens_per_item, normalize, seed=0, hidden_layer_sizes=()):
    """A model with random, far-from-initial weights, so the formula is tested everywhere."""
    model = build_pair_model(
        n_rows,
        3,
        tokens_per_item=tokens_per_item,
        hidden_layer_sizes=hidden_layer_sizes,
        normalize=normalize,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    for layer in ("embedding", "encoder")[: 1 + bool(hidden_layer_sizes)]:
        shapes = [w.shape for w in model.get_layer(layer).get_weights()]
        model.get_layer(layer).set_weights([rng.normal(size=shape) for shape in shapes])
    model.get_layer("distance_to_probability").set_weights([np.array(0.7), np.array(1.3)])
    return model


def token_vectors_from(model, keys, tokens, normalize):
    embedding, scale, bias, encoder = trained_weights(model)
    return ItemVectors(
        pd.Index(keys),
        embedding,
        distance_scale=scale,
        similarity_bias=bias,
        reader=tokens,
        normalize=normalize,
        encoder=encoder,
    )


HIDDEN = [(), (4,), (5, 4)]


@pytest.mark.parametrize("hidden_layer_sizes", HIDDEN)
@pytest.mark.parametrize("normalize", [False, True])
def test_numpy_probability_is_the_keras_models_own(normalize, hidden_layer_sizes):
    tokens = TokenReader.from_names(CountVectorizer(), np.array(NAMES, dtype=object))
    weights = tokens.read(np.array(NAMES, dtype=object))
    ids, slot_weights = padded(weights)
    model = random_model(len(tokens), ids.shape[1], normalize, 0, hidden_layer_sizes)
    vectors = token_vectors_from(model, NAMES, tokens, normalize)
    pairs = np.array([[i, j] for i in range(len(NAMES)) for j in range(len(NAMES))])
    keras_probability = model.predict(
        {"tokens": ids[pairs], "weights": slot_weights[pairs]}, verbose=0
    )[:, 0]
    squared = np.sum((vectors.vectors[pairs[:, 0]] - vectors.vectors[pairs[:, 1]]) ** 2, axis=1)
    np.testing.assert_allclose(vectors.probability(squared), keras_probability, rtol=1e-5)
    # and the squared distances themselves, read off the model's own layer
    distance_model = keras.Model(model.inputs, model.get_layer("squared_distance").output)
    keras_squared = distance_model.predict(
        {"tokens": ids[pairs], "weights": slot_weights[pairs]}, verbose=0
    )[:, 0]
    np.testing.assert_allclose(squared, keras_squared, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hidden_layer_sizes", HIDDEN)
@pytest.mark.parametrize("normalize", [False, True])
def test_numpy_probability_matches_the_lookup_model(normalize, hidden_layer_sizes):
    model = random_model(5, None, normalize, 0, hidden_layer_sizes)
    vectors = token_vectors_from(model, list("abcde"), None, normalize)
    pairs = np.array([[0, 1], [2, 4], [3, 3]])
    squared = np.sum((vectors.vectors[pairs[:, 0]] - vectors.vectors[pairs[:, 1]]) ** 2, axis=1)
    np.testing.assert_allclose(
        vectors.probability(squared), model.predict(pairs, verbose=0)[:, 0], rtol=1e-5
    )


@pytest.fixture
def lookup():
    return ItemVectors(
        pd.Index(["a", "b", "c", "d"]),
        np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 1.0], [3.0, 3.0]]),
        distance_scale=2.0,
        similarity_bias=0.5,
    )


@pytest.fixture
def named():
    names = np.array(NAMES, dtype=object)
    tokens = TokenReader.from_names(CountVectorizer(), names)
    rng = np.random.default_rng(1)
    return ItemVectors(
        pd.Index(NAMES),
        rng.normal(size=(len(tokens), 2)),
        distance_scale=1.0,
        similarity_bias=0.0,
        reader=tokens,
    )


def test_similarity_is_one_for_an_item_and_itself_and_falls_with_distance(lookup):
    assert lookup.similarity("a", "a") == 1.0
    values = [lookup.similarity("a", key) for key in "bcd"]
    assert values == sorted(values, reverse=True)
    assert 0 <= values[-1] < 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow far apart
        assert lookup.similarity_of(np.array([0.0, 1e9])).tolist() == [1.0, 0.0]


def test_most_similar_by_key_and_by_vector(lookup):
    assert [key for key, _ in lookup.most_similar("a", topn=2)] == ["b", "c"]
    by_vector = lookup.most_similar(np.array([0.1, 0.9]), topn=2)
    assert [key for key, _ in by_vector] == ["c", "b"]
    assert lookup.similar_by_vector([3.0, 3.0], topn=1) == [("d", 1.0)]
    with pytest.raises(ValueError, match=r"shape \(2,\); got \(3,\)"):
        lookup.similar_by_vector([1.0, 2.0, 3.0])
    with pytest.raises(KeyError, match="'z'"):
        lookup.most_similar("z")
    with pytest.raises(ValueError, match="topn must be a positive integer"):
        lookup.most_similar("a", topn=0)


def test_lookup_keys_are_exact_and_unknown_keys_follow_the_switch(lookup):
    np.testing.assert_array_equal(lookup.get_index(["c", "a"]), [2, 0])
    assert lookup.get_index(["A"], handle_unknown="ignore").tolist() == [-1]
    with pytest.raises(KeyError, match="'A'"):
        lookup.get_index(["A"])
    out = lookup.get_vectors(["a", "A"], handle_unknown="ignore")
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()
    with pytest.raises(
        ValueError, match=r"1 item\(s\) have no vector \(the first at row 1\): 'A'.*'A' is not 'a'"
    ):
        lookup.get_vectors(["a", "A"])


def test_names_are_read_by_the_vectorizer(named):
    variants = named.get_vectors(["RED", " red ", "Red", "red"])
    np.testing.assert_array_equal(variants, np.repeat(variants[:1], 4, axis=0))
    # an unseen name is the weighted sum of its known tokens (counts here)
    expected = named.get_vectors(["dark", "blue"]).sum(axis=0)
    np.testing.assert_allclose(named.get_vectors(["Dark  Blue"])[0], expected)
    out = named.get_vectors(["purple", "dark purple"], handle_unknown="ignore")
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    with pytest.raises(ValueError, match="'purple'.*no token in them that fit saw"):
        named.get_vectors(["purple"])
    with pytest.raises(KeyError, match="'purple'"):
        named.get_vector("purple")
    np.testing.assert_array_equal(named.get_vector("RED"), variants[0])


def test_queries_take_any_readable_name_and_never_return_it(named):
    neighbours = [key for key, _ in named.most_similar("RED", topn=10)]
    assert "red" not in neighbours and len(neighbours) == len(NAMES) - 1
    assert named.most_similar("Sea  Green", topn=1)[0][0] in NAMES
    assert named.similarity("Dark Red", "dark red") == 1.0
    with pytest.raises(KeyError, match="'purple'"):
        named.similarity("red", "purple")


def test_score_of_unseen_lookup_items_is_nan_and_names_the_ways_out(lookup):
    descriptors = np.random.default_rng(0).uniform(size=(4, 3))
    with pytest.warns(UndefinedMetricWarning, match=r"InSampleSplit\(\).*vectorizer.*reference"):
        assert np.isnan(lookup.score(pd.Index(["w", "x", "y", "z"]), descriptors))
    with pytest.warns(UserWarning, match=r"leaves out 1 item\(s\) .*'z'"):
        partial = lookup.score(pd.Index(["a", "b", "c", "z"]), descriptors)
    assert partial == lookup.score(pd.Index(["a", "b", "c"]), descriptors[:3])


def test_a_lookup_query_leaves_out_itself_only():
    vectors = ItemVectors(
        pd.Index(["a", "b", "c"]),
        np.array([[1.0], [1.0], [-1.0]]),
        distance_scale=1.0,
        similarity_bias=0.0,
    )
    assert [key for key, _ in vectors.most_similar("a")] == ["b", "c"]


def test_names_without_a_token_are_never_neighbours():
    names = np.array(["red", "dark red", "!!!"], dtype=object)
    tokens = TokenReader.from_names(CountVectorizer(), names)
    vectors = ItemVectors(
        pd.Index(names),
        np.ones((len(tokens), 2)),
        distance_scale=1.0,
        similarity_bias=0.0,
        reader=tokens,
    )
    assert np.isnan(vectors.vectors[2]).all()
    assert "!!!" not in [key for key, _ in vectors.similar_by_vector([0.0, 0.0], topn=5)]
    assert "!!!" not in [key for key, _ in vectors.most_similar("dark", topn=5)]


@pytest.fixture
def corners():
    """Four colours at the corners of a square: red and blue, light and dark."""
    return ItemVectors(
        pd.Index(["red", "dark red", "blue", "dark blue", "grey"]),
        np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [-1.0, 1.0], [0.0, 0.4]]),
        distance_scale=1.0,
        similarity_bias=0.0,
    )


def test_most_similar_takes_lists_of_keys_and_vectors_as_gensim(corners):
    def keys(result):
        return [key for key, _ in result]

    # The mean of the positives, never returning them: grey is nearest to (0, 0).
    assert keys(corners.most_similar(["red", "blue"], topn=1)) == ["grey"]
    assert keys(corners.most_similar(positive=["red", "blue"], topn=1)) == ["grey"]
    # An analogy: dark red is to red as ? is to blue -> 2 * mean(dark red, blue) - red.
    analogy = corners.most_similar(positive=["dark red", "blue"], negative=["red"], topn=1)
    assert analogy == [("dark blue", 1.0)]
    assert corners.most_similar(positive=["dark red", "blue"], negative="red", topn=1) == analogy
    # Keys and vectors mix; a 2-D array is a list of vectors; one key is a list of one.
    mixed = corners.most_similar(positive=["dark red", np.array([-1.0, 0.0])], negative="red")
    assert mixed[0] == ("dark blue", 1.0) and "blue" in keys(mixed)  # a vector is not left out
    rows = corners.most_similar(np.array([[1.0, 1.0], [-1.0, 1.0]]), topn=1)
    assert keys(rows) == ["grey"]
    assert corners.most_similar("red", topn=2) == corners.most_similar(["red"], topn=2)
    with pytest.raises(ValueError, match="needs at least one key or vector in positive"):
        corners.most_similar(negative=["red"])
    with pytest.raises(KeyError, match="'purple'"):
        corners.most_similar(["red", "purple"])


def test_query_vectors_that_are_not_numbers_are_named(corners):
    with pytest.raises(ValueError, match=r"positive\[1\] must be a vector of numbers.*'a', 'b'"):
        corners.most_similar(["red", np.array(["a", "b"])])
    with pytest.raises(ValueError, match=r"negative\[0\] must hold finite numbers; got \[nan, 1"):
        corners.most_similar("red", negative=np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"vector must be a vector of numbers; it holds object"):
        corners.similar_by_vector(np.array([None, "x"], dtype=object))
    with pytest.raises(ValueError, match=r"vector must hold finite numbers"):
        corners.similar_by_vector([np.inf, 0.0])
    # An object array of numbers is a vector of numbers.
    assert corners.similar_by_vector(np.array([1, 0], dtype=object), topn=1) == [("red", 1.0)]


def test_in_asks_whether_a_key_has_a_vector(corners, named):
    assert "red" in corners and "Red" not in corners and 3 not in corners
    assert "RED" in named and "dark purple" in named  # a name with a known token
    assert "purple" not in named and 3 not in named and None not in named


@pytest.mark.parametrize(
    "shapes",
    [[(3,)], [(2,), (2, 3)], [(2,), (3, 3), (3,)], [(2,), (2, 3), (2,)], [(2, 2)]],
    ids=["bias-width", "no-bias", "kernel-rows", "bias-columns", "not-a-bias"],
)
def test_encoder_weights_that_cannot_apply_are_refused(shapes):
    encoder = [np.zeros(shape) for shape in shapes]
    with pytest.raises(ValueError, match="encoder must hold the first hidden layer's bias"):
        ItemVectors(
            pd.Index(["a", "b"]),
            np.zeros((2, 2)),
            distance_scale=1.0,
            similarity_bias=0.0,
            encoder=encoder,
        )


def test_log_odds_are_the_formula_the_probability_follows(lookup):
    squared = np.array([0.0, 0.5, 4.0])
    np.testing.assert_allclose(lookup.log_odds(squared), 0.5 - 2.0 * squared)
    np.testing.assert_allclose(lookup.probability(squared), 1 / (1 + np.exp(-(0.5 - 2 * squared))))


def test_token_vectors_must_match_the_reader():
    with pytest.raises(ValueError, match=r"one row per token of the reader \(2; .*it has 3"):
        ItemVectors(pd.Index(["a", "b"]), np.zeros((3, 2)), distance_scale=1.0, similarity_bias=0.0)


def test_given_item_vectors_are_kept_and_must_have_their_shape():
    keys, scales = pd.Index(["a", "b"]), dict(distance_scale=1.0, similarity_bias=0.0)
    given = np.array([[1.0, 2.0], [3.0, 4.0]])
    vectors = ItemVectors(keys, np.eye(2), **scales, vectors=given)
    assert vectors.vectors is given  # kept as given, not composed again
    with pytest.raises(ValueError, match=r"one row of 2 per key, for the 2 keys; .*\(2, 3\)"):
        ItemVectors(keys, np.zeros((2, 2)), **scales, vectors=np.zeros((2, 3)))


def test_regressed_vectors_fill_keys_without_a_vector_and_leave_the_learned_ones():
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline

    from sk_colour_embed import RegressedItemVectors

    keys = pd.Index(["red", "dark red", "navy"])
    learned = ItemVectors(
        keys,
        np.array([[0.0, 1.0], [np.nan, np.nan], [2.0, 2.0]]),  # "dark red": no token kept
        distance_scale=1.0,
        similarity_bias=2.0,
    )
    nearest = make_pipeline(CountVectorizer(analyzer="char_wb"), KNeighborsRegressor(1))
    regressed = RegressedItemVectors(learned, nearest.fit(["red", "navy"], [[0, 1], [2, 2]]))
    np.testing.assert_array_equal(regressed.vectors[1], [0.0, 1.0])
    np.testing.assert_array_equal(regressed.get_vector("reddish"), [0.0, 1.0])
    assert "reddish" in regressed and "reddish" not in learned
    assert np.isnan(learned.vectors[1]).all()  # the learned vectors are left as they were


# -- gensim's habits: in, [], index_to_key, key_to_index -----------------------


def test_keys_index_and_look_up_vectors_as_in_gensim(lookup):
    assert "a" in lookup and "z" not in lookup and None not in lookup
    np.testing.assert_array_equal(lookup["c"], [0.0, 1.0])
    assert lookup["c"].shape == (2,)
    both = lookup[["d", "a"]]
    np.testing.assert_array_equal(both, lookup.vectors[[3, 0]])
    for keys in (np.array(["d", "a"]), pd.Series(["d", "a"]), pd.Index(["d", "a"])):
        np.testing.assert_array_equal(lookup[keys], both)
    assert lookup[[]].shape == (0, 2)
    assert lookup.index_to_key == ["a", "b", "c", "d"]
    assert lookup.key_to_index == {"a": 0, "b": 1, "c": 2, "d": 3}
    for key, index in lookup.key_to_index.items():
        np.testing.assert_array_equal(lookup[key], lookup.vectors[index])


def test_a_key_without_a_vector_is_a_key_error_naming_it(lookup):
    with pytest.raises(KeyError, match="no vector for 'z'"):
        lookup["z"]
    with pytest.raises(KeyError, match=r"no vector for 'y', 'z': .*only for the items of fit"):
        lookup[["a", "y", "z", "y"]]


def test_item_vectors_are_not_a_sequence(lookup):
    # With __getitem__ and __len__ Python would iterate lookup[0], lookup[1], ...
    with pytest.raises(TypeError, match="not iterable"):
        iter(lookup)


def test_a_tuple_is_one_key_of_several_columns():
    keys = pd.MultiIndex.from_tuples([("red", 1), ("red", 2), ("blue", 1)])
    vectors = ItemVectors(keys, np.eye(3), distance_scale=1.0, similarity_bias=0.0)
    assert ("red", 2) in vectors and ("red", 3) not in vectors
    np.testing.assert_array_equal(vectors[("red", 2)], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(vectors[[("blue", 1), ("red", 1)]], np.eye(3)[[2, 0]])
    assert vectors.index_to_key == [("red", 1), ("red", 2), ("blue", 1)]
    assert vectors.key_to_index[("blue", 1)] == 2


def test_with_a_vectorizer_any_readable_name_has_a_vector_but_no_index(named):
    # As gensim's FastTextKeyedVectors: a name never seen has a vector, not a row.
    assert "Dark  Blue" in named and "Dark  Blue" not in named.key_to_index
    np.testing.assert_array_equal(named["Dark  Blue"], named.get_vector("dark blue"))
    assert named.index_to_key == NAMES
    assert "purple" not in named and 1 not in named
    with pytest.raises(KeyError, match="'purple'"):
        named[["red", "purple"]]


def test_the_keys_and_vectors_are_gensims_own_on_the_export(lookup):
    kv = lookup.to_keyed_vectors()
    assert kv.index_to_key == lookup.index_to_key
    assert kv.key_to_index == lookup.key_to_index
    for key in lookup.index_to_key:
        assert (key in kv) == (key in lookup)
        np.testing.assert_array_equal(kv[key], lookup[key])
    np.testing.assert_array_equal(kv[["d", "a"]], lookup[["d", "a"]])


def test_queries_take_series_of_keys(lookup):
    by_list = lookup.most_similar(positive=["a", "c"], negative=["b"], topn=2)
    assert lookup.most_similar(pd.Series(["a", "c"]), pd.Series(["b"]), topn=2) == by_list
    assert lookup.most_similar(pd.Index(["a", "c"]), ["b"], topn=2) == by_list
