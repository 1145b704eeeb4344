"""Time a search that tunes the embedding by a downstream model's score.

python benchmarks/bench_reference_search.py [--epochs 500] [--products 200]

A made-up product table (a free-text colour column written in other cases and
spacings than the xkcd names, a price, and a target that depends on both) and
a ``Pipeline`` of a ``ColumnTransformer`` (the embedder, with
``reference=(X, y)`` the 949 xkcd colours and the tutorial's reading of
names, on the colour column; the price passed through) before a ``Ridge``.
``GridSearchCV`` over ``n_components`` in {2, 3, 5} x ``sampler__threshold``
in {0.1, 0.2}, the tutorial's 100,000 pairs and 500 epochs.

The same search runs with 2 and with 5 folds, and with 5 folds and
``n_jobs=2`` sharing a ``memory`` folder, each in a fresh Python process
(timed from ``search.fit`` to its end, the first compilation included). With a
reference the vectors do not depend on the fold, so every search trains the
embedder once per setting: the 5-fold search should cost about what the
2-fold one does (target: at most 1.3x). The printed trainings count the
embedder's fits on descriptors in the parent process.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine

GRID = {
    "columns__colour__n_components": [2, 3, 5],
    "columns__colour__sampler__threshold": [0.1, 0.2],
}


def product_table(X, y, n, seed=0):
    """Products whose colour is written as people write it; the target follows the colour."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), size=n, replace=False)
    names = X["name"].to_numpy()[rows]
    written = [
        [name, name.upper(), name.title(), f" {name} "][i % 4] for i, name in enumerate(names)
    ]
    price = rng.uniform(5, 50, size=n)
    rgb = y.to_numpy()[rows]
    target = rgb[:, 0] - rgb[:, 2] + 0.01 * price + rng.normal(0, 0.05, size=n)
    return pd.DataFrame({"product_colour": written, "price": price}), target


def search(folds, n_jobs, memory, epochs, n_products):
    """Run the search in this process; its seconds, scores and trainings."""
    import time

    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline, make_union

    from sk_colour_embed import PairSimilarityEmbedder, load_colours

    X, y = load_colours(return_X_y=True)
    table, target = product_table(X, y, n_products)
    trainings = []
    fit = PairSimilarityEmbedder._fit

    def counted(self, *args):
        trainings.append(1)
        return fit(self, *args)

    PairSimilarityEmbedder._fit = counted
    reader = make_union(
        TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
    )
    embedder = PairSimilarityEmbedder(
        vectorizer=reader,
        epochs=epochs,
        handle_unknown="ignore",
        reference=(X, y),
        memory=memory,
        random_state=0,
    )
    pipeline = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [("colour", embedder, ["product_colour"]), ("price", "passthrough", ["price"])]
                ),
            ),
            ("impute", SimpleImputer()),
            ("ridge", Ridge(alpha=0.1)),
        ]
    )
    start = time.perf_counter()
    result = GridSearchCV(pipeline, GRID, cv=folds, n_jobs=n_jobs).fit(table, target)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "scores": result.cv_results_["mean_test_score"].tolist(),
        "best": {k.rsplit("__", 1)[-1]: v for k, v in result.best_params_.items()},
        "trainings": len(trainings),
    }


def in_fresh_process(folds, n_jobs, memory, epochs, n_products):
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from bench_reference_search import search; "
        f"print(json.dumps(search({folds}, {n_jobs}, {memory!r}, {epochs}, {n_products})))"
    )
    here = Path(__file__).parent
    result = subprocess.run(
        [sys.executable, "-c", code, str(here)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--products", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{args.products} products, reference: the 949 xkcd colours, {args.epochs} epochs, "
        f"grid of {len(GRID['columns__colour__n_components']) * 2} settings"
    )
    with tempfile.TemporaryDirectory() as memory:
        runs = {
            "2-fold": in_fresh_process(2, 1, None, args.epochs, args.products),
            "5-fold": in_fresh_process(5, 1, None, args.epochs, args.products),
            "5-fold, n_jobs=2, memory": in_fresh_process(5, 2, memory, args.epochs, args.products),
        }
    for name, run in runs.items():
        scores = ", ".join(f"{score:.3f}" for score in run["scores"])
        print(
            f"{name:26s} {run['seconds']:6.1f} s, {run['trainings']} trainings in the parent, "
            f"best {run['best']}, scores [{scores}]"
        )
    ratio = runs["5-fold"]["seconds"] / runs["2-fold"]["seconds"]
    print(f"5-fold / 2-fold search time: {ratio:.2f}x (target <= 1.3x)")
    same = runs["5-fold"]["scores"] == runs["5-fold, n_jobs=2, memory"]["scores"]
    print(f"n_jobs=2 with a memory gives the same scores as n_jobs=1: {same}")
    parallel = runs["5-fold, n_jobs=2, memory"]["seconds"] / runs["5-fold"]["seconds"]
    print(f"n_jobs=2 with a memory / n_jobs=1: {parallel:.2f}x")


if __name__ == "__main__":
    main()
