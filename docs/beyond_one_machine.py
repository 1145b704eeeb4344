"""A grid search on a Dask cluster: the example of ``docs/beyond_one_machine.rst``.

    python docs/beyond_one_machine.py [--quick]

``--quick`` runs the same code with small settings (few pairs and epochs), as
the test suite does.
"""

import argparse

# [search]
import joblib
from dask.distributed import Client, LocalCluster
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV

from sk_colour_embed import PairSimilarityEmbedder, load_colours


def search_on_dask(X, y, **settings):
    """GridSearchCV's own search, its fits run by the Dask cluster of the current client."""
    embedder = PairSimilarityEmbedder(vectorizer=TfidfVectorizer(), random_state=0, **settings)
    grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
    with joblib.parallel_config(backend="dask"):
        return GridSearchCV(embedder, grid, n_jobs=-1).fit(X, y)


# [end-search]
if __name__ == "__main__":  # the workers are new processes, which import this file
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small settings, for the tests")
    settings = {}
    if parser.parse_args().quick:
        from sk_colour_embed import PairSampler

        settings = dict(epochs=5, sampler=PairSampler(n_pairs=5_000))
    X, y = load_colours(return_X_y=True)
    # One worker process per core, one thread each.
    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        search = search_on_dask(X, y, **settings)
    print(search.best_params_, f"held-out score {search.best_score_:.3f}")
