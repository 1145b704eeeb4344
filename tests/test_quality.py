"""The tutorial's settings on the default dataset recover the colour structure."""

import pytest

from sk_colour_embed import PairSimilarityEmbedder, load_colours

# Reference: PCA of the true RGB to 2-D scores 0.90.
MINIMUM_SCORE = {2: 0.85, 3: 0.95}


@pytest.fixture(scope="module")
def xkcd():
    return load_colours(return_X_y=True)


@pytest.mark.parametrize("n_components", [2, 3])
@pytest.mark.parametrize("random_state", range(5))
def test_tutorial_settings_recover_rgb_geometry(xkcd, n_components, random_state):
    X, y = xkcd
    embedder = PairSimilarityEmbedder(n_components, random_state=random_state).fit(X, y)
    assert embedder.score(X, y) >= MINIMUM_SCORE[n_components]
