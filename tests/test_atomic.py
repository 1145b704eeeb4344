"""Estimators change whole or not at all: ``set_params`` (``sk_colour_embed._atomic``).

The faults here were found by tests/test_properties.py; each is kept as the example it
found. (Fits that fail are in the tests of each estimator.)
"""

import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_union

from sk_colour_embed import PairSampler, PairSimilarityClassifier, PairSimilarityEmbedder


@pytest.mark.parametrize(
    "estimator", [PairSampler(), PairSimilarityEmbedder(), PairSimilarityClassifier()]
)
def test_an_unknown_name_sets_no_parameter(estimator):
    # scikit-learn's set_params had set random_state before it met "bogus".
    before = estimator.get_params()
    with pytest.raises(ValueError, match=r"Invalid parameter 'bogus'.* No parameter was set"):
        estimator.set_params(random_state=7, bogus=1)
    assert estimator.get_params() == before


@pytest.mark.parametrize("estimator", [PairSimilarityEmbedder(), PairSimilarityClassifier()])
def test_a_parameter_under_an_absent_vectorizer_is_named(estimator):
    # It was an AttributeError: 'NoneType' object has no attribute 'set_params'.
    with pytest.raises(
        ValueError, match=r"Cannot set parameter 'vectorizer__lowercase': vectorizer is None"
    ):
        estimator.set_params(vectorizer__lowercase=False)
    assert estimator.vectorizer is None
    estimator.set_params(vectorizer=TfidfVectorizer(), vectorizer__lowercase=False)
    assert estimator.vectorizer.lowercase is False


def test_a_bad_sampler_parameter_leaves_the_sampler_as_it_was():
    # The default sampler was put in place, or the given one changed, before the error.
    embedder = PairSimilarityEmbedder()
    with pytest.raises(ValueError, match=r"Invalid parameter 'sampler__bogus'"):
        embedder.set_params(sampler__threshold=0.1, sampler__bogus=1)
    assert embedder.sampler is None
    sampler = PairSampler()
    with pytest.raises(ValueError, match=r"PairSampler has no parameter 'bogus'"):
        PairSimilarityEmbedder(sampler=sampler).set_params(sampler__n_pairs=5, sampler__bogus=1)
    assert sampler.n_pairs == 100_000


def test_a_sampler_parameter_beside_sampler_none_sets_the_default_sampler():
    # None then replaced the default sampler, and its parameter met None.
    embedder = PairSimilarityEmbedder().set_params(sampler=None, sampler__threshold=0.1)
    assert embedder.sampler.get_params() == PairSampler(threshold=0.1).get_params()


def test_names_deep_inside_a_union_are_checked_before_any_is_set():
    union = make_union(CountVectorizer(), CountVectorizer(analyzer="char"))
    classifier = PairSimilarityClassifier(vectorizer=union)
    names = {"vectorizer__countvectorizer-1__lowercase": False}
    with pytest.raises(
        ValueError, match=r"'vectorizer__countvectorizer-2__bogus'.* No parameter was set"
    ):
        classifier.set_params(**names, **{"vectorizer__countvectorizer-2__bogus": 1})
    assert union.transformer_list[0][1].lowercase is True
    classifier.set_params(**names)
    assert union.transformer_list[0][1].lowercase is False
