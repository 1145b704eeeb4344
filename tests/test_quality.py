"""The tutorial's settings on the default dataset recover the colour structure."""

import warnings

import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sk_colour_embed import ItemVectors, PairSimilarityEmbedder

pytestmark = pytest.mark.slow  # the tutorial's fits, at real size

MINIMUM_SCORE = {2: 0.85, 3: 0.95}


def pca_of_rgb_score(X, y, n_components):
    """The score of the true RGB projected to ``n_components`` by PCA: 0.847 in 2-D."""
    vectors = PCA(n_components).fit_transform(y)
    keys = pd.Index(X["name"])
    return ItemVectors(keys, vectors, distance_scale=1.0, similarity_bias=0.0).score(
        keys, y.to_numpy()
    )


@pytest.mark.parametrize("n_components", [2, 3])
@pytest.mark.parametrize("random_state", range(5))
def test_tutorial_settings_recover_rgb_geometry(xkcd, n_components, random_state):
    X, y = xkcd
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the tutorial's fits converge
        embedder = PairSimilarityEmbedder(n_components, random_state=random_state).fit(X, y)
    score = embedder.score(X, y)
    assert score >= MINIMUM_SCORE[n_components]
    if n_components == 2:  # learned from labels alone, it beats PCA of the true colours
        assert score > pca_of_rgb_score(X, y, 2)
