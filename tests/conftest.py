from pathlib import Path

import pytest

from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def kaggle_csv():
    return DATA / "kaggle_colours.csv"


@pytest.fixture(scope="session")
def css4():
    """The 148 CSS colours as (X, y)."""
    return load_colours("css4", return_X_y=True)


def small_embedder(**params):
    """An embedder that fits in about a second: few pairs, few epochs."""
    defaults = dict(sampler=PairSampler(n_pairs=4_000), epochs=20, batch_size=128, random_state=0)
    return PairSimilarityEmbedder(**{**defaults, **params})


@pytest.fixture(scope="session")
def fitted_css4(css4):
    """A small embedder fitted once on the CSS colours."""
    X, y = css4
    return small_embedder(sampler=PairSampler(n_pairs=20_000), epochs=40).fit(X, y)
