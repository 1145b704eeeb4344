"""Time fits and the grid search over n_components x threshold, alone and in parallel.

python benchmarks/bench_grid_search.py [--epochs 500] [--skip-dask]

Single fits (the tutorial's lookup, 100,000 pairs): seconds per epoch in 2-D
and 3-D, and the first fit of a shape in a process (which traces and compiles
the epoch) against a second one (which reuses it).

The search: ``GridSearchCV`` over ``n_components`` in {2, 3} x
``sampler__threshold`` in {0.1, 0.2, 0.4}, with ``TfidfVectorizer()`` and the
default 5-fold cross-validation (30 fits and the refit, on the 949 xkcd
colours), run with ``n_jobs=1``, with ``n_jobs=2`` on joblib's default
(loky) workers, and with ``n_jobs=-1`` on a Dask ``LocalCluster`` of two
worker processes of one thread each. Each search runs in a fresh Python
process, timed from ``search.fit`` to its end (the workers' TensorFlow import
included; starting the Dask cluster is not); the scores must agree.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _common import draw_pairs, machine, median, timed_engine_fit

GRID = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
# The tol that stops the tutorial's 2-D fit within 0.005 of its 500-epoch score
# (benchmarks/results.md).
STOPPING_TOL = 2e-5
RUNS = {
    "n_jobs=1": ("loky", 1),
    "n_jobs=2, loky": ("loky", 2),
    "n_jobs=-1, Dask LocalCluster (2 x 1 thread)": ("dask", -1),
}


def single_fits(epochs):
    """Per-epoch seconds in 2-D and 3-D, and a fit's seconds before and after compiling."""
    from sk_colour_embed import load_colours

    X, y = load_colours(return_X_y=True)
    n_items, pairs, labels = draw_pairs(X, y, 100_000)
    results = {}
    for dims in (2, 3):
        fits = []
        for seed in range(3):  # the first compiles, the others reuse it
            start = time.perf_counter()
            _, seconds = timed_engine_fit(
                n_items, pairs, labels, n_components=dims, epochs=epochs, seed=seed
            )
            fits.append((time.perf_counter() - start, median(seconds[1:])))
        results[dims] = fits
    return results


def search(backend, n_jobs, epochs, tol=None):
    """Run the search in this process; its seconds and scores."""
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV

    from sk_colour_embed import PairSimilarityEmbedder, load_colours

    X, y = load_colours(return_X_y=True)
    # With a tol, early stopping on the training loss.
    stopping = dict(early_stopping=True, validation_fraction=None, tol=tol) if tol else {}
    embedder = PairSimilarityEmbedder(
        vectorizer=TfidfVectorizer(), epochs=epochs, random_state=0, **stopping
    )
    grid_search = GridSearchCV(embedder, GRID, n_jobs=n_jobs)
    if backend == "dask":
        from dask.distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
            Client(cluster),
            joblib.parallel_config(backend="dask"),
        ):
            start = time.perf_counter()
            grid_search.fit(X, y)
            seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        grid_search.fit(X, y)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "scores": grid_search.cv_results_["mean_test_score"].tolist(),
        "epochs run": int(grid_search.best_estimator_.n_iter_),
    }


def search_in_a_fresh_process(backend, n_jobs, epochs, tol=None):
    code = (
        f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from bench_grid_search import search; "
        f"print(json.dumps(search({backend!r}, {n_jobs}, {epochs}, {tol!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--early-stopping-only",
        action="store_true",
        help="only the search with tol against without",
    )
    args = parser.parse_args()
    if args.early_stopping_only:
        print(machine())
        early_stopping(args.epochs)
        return
    print(machine())

    print(f"\nSingle fits, {args.epochs} epochs, 100,000 pairs, lookup of 949 colours")
    fits = single_fits(args.epochs)
    for dims, runs in fits.items():
        (first, _), *later = runs
        print(
            f"  {dims}-D: {median([e for _, e in runs]):.4f} s/epoch; first fit of the shape "
            f"{first:.2f} s, later fits {median([s for s, _ in later]):.2f} s"
        )
    per_epoch = {dims: median([e for _, e in runs]) for dims, runs in fits.items()}
    print(f"  3-D / 2-D per epoch: {per_epoch[3] / per_epoch[2]:.2f}x")

    print(f"\nGridSearchCV {GRID}, TfidfVectorizer, 5-fold, {args.epochs} epochs: 31 fits")
    results = {}
    for name, (backend, n_jobs) in RUNS.items():
        if backend == "dask" and args.skip_dask:
            continue
        results[name] = search_in_a_fresh_process(backend, n_jobs, args.epochs)
    serial = results["n_jobs=1"]
    for name, result in results.items():
        difference = np.max(np.abs(np.subtract(result["scores"], serial["scores"])))
        print(
            f"  {name}: {result['seconds']:.1f} s, {result['seconds'] / serial['seconds']:.2f}x "
            f"n_jobs=1; scores differ from n_jobs=1's by at most {difference:.1e}"
        )
    early_stopping(args.epochs, without=serial)


def early_stopping(epochs, without=None):
    """The n_jobs=1 search with early stopping (tol=2e-5) against without."""
    without = without or search_in_a_fresh_process("loky", 1, epochs)
    with_tol = search_in_a_fresh_process("loky", 1, epochs, tol=STOPPING_TOL)
    print(f"\nThe same search, n_jobs=1, with tol={STOPPING_TOL:g} (early stopping on the loss):")
    for name, result in [("without", without), (f"tol={STOPPING_TOL:g}", with_tol)]:
        scores = ", ".join(f"{score:.3f}" for score in result["scores"])
        print(
            f"  {name}: {result['seconds']:.1f} s, the refit ran {result['epochs run']} "
            f"epochs; scores [{scores}]"
        )
    print(f"  speed-up: {without['seconds'] / with_tol['seconds']:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    main()
