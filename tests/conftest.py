import gc
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours

DATA = Path(__file__).parent / "data"

# Property-based tests (tests/test_properties.py). "ci", the default, runs a bounded,
# fixed set of examples (the same on every run) so that the suite stays fast and
# repeatable, and skips the slow explanation of a failure (the shrunk example is shown);
# HYPOTHESIS_PROFILE=thorough runs ten times as many, freshly drawn.
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="module")
def long_lived_objects_frozen():
    """Collect the garbage of the modules before this one, then freeze what lives on.

    The suite runs in one process that holds TensorFlow, Keras and the session's fitted
    estimators: hundreds of thousands of objects that Python's garbage collector would
    walk again in every full collection, which made tests late in the suite several times
    slower than alone (a property test: 7.7 s, 6.3 s of it collecting). Frozen objects are
    left out of later collections; what a test leaves behind is collected at the start of
    the next module.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def kaggle_csv():
    return DATA / "kaggle_colours.csv"


@pytest.fixture(scope="session")
def css4():
    """The 148 CSS colours as (X, y)."""
    return load_colours("css4", return_X_y=True)


def nearest_name_regressor():
    """An ``unseen_regressor``: each name gets the vector of the training name that shares
    most 3-grams with it."""
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)), KNeighborsRegressor(1)
    )


def small_embedder(**params):
    """An embedder that fits in about a second: few pairs, few epochs."""
    defaults = dict(sampler=PairSampler(n_pairs=4_000), epochs=20, batch_size=128, random_state=0)
    return PairSimilarityEmbedder(**{**defaults, **params})


@pytest.fixture(scope="session")
def fitted_css4(css4):
    """A small embedder fitted once on the CSS colours."""
    X, y = css4
    return small_embedder(sampler=PairSampler(n_pairs=20_000), epochs=40).fit(X, y)


@pytest.fixture(scope="session")
def xkcd():
    """The 949 xkcd colours as (X, y)."""
    return load_colours(return_X_y=True)


@pytest.fixture(scope="session")
def xkcd_split(xkcd):
    """xkcd names split 80 / 20 at random: (X_train, y_train, X_test, y_test)."""
    X, y = xkcd
    test = np.random.default_rng(0).permutation(len(X))[: len(X) // 5]
    is_test = np.isin(np.arange(len(X)), test)
    return X[~is_test], y[~is_test], X[is_test], y[is_test]


def words_embedder(**params):
    """A token embedder on word TF-IDF that fits xkcd in a couple of seconds."""
    defaults = dict(
        n_components=3,
        vectorizer=TfidfVectorizer(),
        sampler=PairSampler(n_pairs=20_000),
        epochs=30,
        batch_size=256,
        learning_rate=0.01,
        handle_unknown="ignore",
        random_state=0,
    )
    return PairSimilarityEmbedder(**{**defaults, **params})


@pytest.fixture(scope="session")
def fitted_words(xkcd_split):
    """A word-token embedder fitted once on 80% of the xkcd names."""
    X_train, y_train, _, _ = xkcd_split
    return words_embedder().fit(X_train, y_train)


NO_TENSORFLOW = """
import sys
sys.modules['tensorflow'] = None  # any import of TensorFlow now fails
sys.modules['keras'] = None
import pickle, pandas as pd
embedder = pickle.loads(open({path!r}, 'rb').read())
print(embedder.transform(pd.DataFrame({{'name': [{name!r}]}})).tolist())
print(embedder.most_similar({name!r}, topn=1)[0][0])
"""


def query_in_a_process_without_tensorflow(embedder, name, tmp_path):
    """Unpickle ``embedder`` where TensorFlow cannot be imported; transform and query ``name``.

    Returns the printed vector of ``name`` (a string), checking that the process succeeded.
    """
    path = tmp_path / "embedder.pkl"
    path.write_bytes(pickle.dumps(embedder))
    code = NO_TENSORFLOW.format(path=str(path), name=name)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[0]


def distance_spearman(vectors, descriptors):
    """Spearman correlation of the squared distances of all pairs of vectors and descriptors."""
    from scipy.stats import spearmanr

    i, j = np.triu_indices(len(vectors), k=1)
    squared = ((vectors[i] - vectors[j]) ** 2).sum(1)
    return spearmanr(squared, ((descriptors[i] - descriptors[j]) ** 2).sum(1)).statistic


def product_table(X, y, n=40, seed=0):
    """A made-up table of products: a colour written as people write it, a price, a target.

    The target depends on the colour (its red minus its blue) and on the price;
    the names take other cases and spacings than the colour table's.
    """
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), size=n, replace=False)
    names = X["name"].to_numpy()[rows]
    written = [
        [name, name.upper(), name.title(), f" {name} "][i % 4] for i, name in enumerate(names)
    ]
    price = rng.uniform(5, 50, size=n)
    rgb = y.to_numpy()[rows]
    target = rgb[:, 0] - rgb[:, 2] + 0.01 * price
    return pd.DataFrame({"product_colour": written, "price": price}), target


def half_written_writes(monkeypatch, error_number):
    """Make the cache files' writes fail with ``error_number`` after half their bytes, as a
    full disk or a lost mount does."""
    from sk_colour_embed import _cache_files

    real_open = open

    class HalfWritten:
        def __init__(self, path, mode):
            self.file = real_open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.file.close()

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            raise OSError(error_number, os.strerror(error_number))

    def opened(path, mode="r", *args, **kwargs):
        if "x" in mode or "w" in mode:
            return HalfWritten(path, mode)
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(_cache_files, "open", opened, raising=False)
