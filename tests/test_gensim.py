"""to_keyed_vectors: the vectors in gensim, whose own queries and files then apply."""

import sys

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer

from sk_colour_embed import ItemVectors, PairSampler, PairSimilarityEmbedder
from sk_colour_embed._readers import TokenReader

from conftest import small_embedder


def item_vectors(keys, vectors=None, **params):
    if vectors is None:
        vectors = np.random.default_rng(0).normal(size=(len(keys), 2))
    return ItemVectors(keys, vectors, distance_scale=1.0, similarity_bias=0.0, **params)


def neighbours(pairs):
    return [key for key, _ in pairs]


@pytest.fixture(scope="module")
def on_the_sphere(css4):
    X, y = css4
    return small_embedder(n_components=3, normalize=True, sampler=PairSampler(n_pairs=5_000)).fit(
        X, y
    )


def test_on_the_unit_sphere_gensim_ranks_neighbours_as_the_embedder(on_the_sphere):
    embedder = on_the_sphere
    kv = embedder.to_keyed_vectors()
    assert kv.index_to_key == embedder.index_to_key
    np.testing.assert_array_equal(kv.vectors, embedder.embedding_.to_numpy())
    # There, squared distance = 2 - 2 cosine: the same order, for every query.
    for key in kv.index_to_key:
        assert neighbours(kv.most_similar(key, topn=10)) == neighbours(
            embedder.most_similar(key, topn=10)
        ), key


def test_on_the_unit_sphere_gensim_ranks_means_and_analogies_as_the_embedder(on_the_sphere):
    # gensim's point is the sum of the unit vectors, negatives subtracted; the
    # embedder's 2 * mean(positive) - mean(negative): the same direction for positives
    # alone and for b + c - a, and on the sphere the nearest by distance to a point are
    # the nearest by cosine.
    embedder, kv = on_the_sphere, on_the_sphere.to_keyed_vectors()
    keys = kv.index_to_key
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b, c = rng.choice(keys, size=3, replace=False).tolist()
        for positive, negative in (([a, b], []), ([a, b, c], []), ([b, c], [a])):
            assert neighbours(kv.most_similar(positive, negative, topn=10)) == neighbours(
                embedder.most_similar(positive, negative, topn=10)
            ), (positive, negative)


def test_off_the_unit_sphere_cosine_and_distance_can_disagree(fitted_css4):
    kv = fitted_css4.to_keyed_vectors()
    differ = [
        key
        for key in kv.index_to_key
        if kv.most_similar(key, topn=1)[0][0] != fitted_css4.most_similar(key, topn=1)[0][0]
    ]
    assert differ  # 2-D vectors of different lengths: cosine ignores the length


def test_word2vec_text_format_round_trips_through_gensim(fitted_css4, tmp_path):
    kv = fitted_css4.to_keyed_vectors()
    kv.save_word2vec_format(tmp_path / "colours.txt")
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "colours.txt")
    assert loaded.index_to_key == kv.index_to_key
    np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-6, atol=1e-7)
    kv.save_word2vec_format(tmp_path / "colours.bin", binary=True)
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "colours.bin", binary=True)
    assert loaded.index_to_key == kv.index_to_key
    np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-6, atol=1e-7)


def test_names_with_spaces_take_a_key_to_str_for_the_word2vec_text_format(tmp_path):
    vectors = item_vectors(pd.Index(["dark blue", "red"]))
    vectors.to_keyed_vectors().save_word2vec_format(tmp_path / "spaces.txt")
    with pytest.raises(ValueError):  # gensim's text format ends a key at a space
        KeyedVectors.load_word2vec_format(tmp_path / "spaces.txt")
    kv = vectors.to_keyed_vectors(key_to_str=lambda name: name.replace(" ", "_"))
    kv.save_word2vec_format(tmp_path / "underscores.txt")
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "underscores.txt")
    assert loaded.index_to_key == ["dark_blue", "red"]


def test_names_without_a_vector_are_left_out_with_a_warning():
    names = np.array(["red", "dark red", "!!!", "blue"], dtype=object)
    tokens = TokenReader.from_names(CountVectorizer(), names)
    token_vectors = np.random.default_rng(0).normal(size=(len(tokens), 2))
    vectors = item_vectors(pd.Index(names), token_vectors, reader=tokens)
    with pytest.warns(UserWarning, match=r"leaves out 1 training name\(s\) .*: '!!!'"):
        kv = vectors.to_keyed_vectors()
    assert kv.index_to_key == ["red", "dark red", "blue"]
    np.testing.assert_array_equal(kv["blue"], vectors.get_vector("blue"))


def test_several_key_columns_are_joined_as_the_caller_says():
    keys = pd.MultiIndex.from_tuples([("red", "1"), ("red", "2"), ("blue", "1")])
    vectors = item_vectors(keys)
    with pytest.raises(ValueError, match="2 key columns.*key_to_str='/'.join"):
        vectors.to_keyed_vectors()
    assert vectors.to_keyed_vectors(key_to_str="/".join).index_to_key == [
        "red/1",
        "red/2",
        "blue/1",
    ]


def test_keys_that_would_merge_or_are_not_strings_are_errors():
    with pytest.raises(ValueError, match=r"1 gensim key\(s\) stand for several items.*'1'"):
        item_vectors(pd.Index([1, "1", 2], dtype=object)).to_keyed_vectors()
    with pytest.raises(TypeError, match="must return strings; it returned 1 "):
        item_vectors(pd.Index(["a", "b"])).to_keyed_vectors(key_to_str=len)


def test_an_unfitted_embedder_has_no_keyed_vectors():
    with pytest.raises(NotFittedError):
        PairSimilarityEmbedder().to_keyed_vectors()


def test_without_gensim_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match=r"pip install sk_colour_embed\[gensim\]"):
        item_vectors(pd.Index(["a", "b"])).to_keyed_vectors()


def test_a_key_to_str_that_fails_names_the_key_it_failed_on():
    # "/".join of a key with an int column was Python's own "sequence item 1: expected
    # str instance, int found", which says neither where nor what to do.
    vectors = item_vectors(pd.MultiIndex.from_tuples([("web", 1), ("web", 2)]))
    with pytest.raises(
        TypeError, match=r"key_to_str failed on the training key \('web', 1\): TypeError: "
    ) as error:
        vectors.to_keyed_vectors(key_to_str="/".join)
    assert "'/'.join(map(str, key))" in str(error.value)
    joined = vectors.to_keyed_vectors(key_to_str=lambda key: "/".join(map(str, key)))
    assert joined.index_to_key == ["web/1", "web/2"]
