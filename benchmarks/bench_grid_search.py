"""Time a GridSearchCV over n_components x threshold with the tutorial's settings.

python benchmarks/bench_grid_search.py
"""

import time

import matplotlib

matplotlib.use("Agg")

from sklearn.model_selection import GridSearchCV  # noqa: E402

from sk_colour_embed import InSampleSplit, PairSimilarityEmbedder, load_colours  # noqa: E402

from _common import machine  # noqa: E402

GRID = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}


def main():
    print(machine())
    X, y = load_colours(return_X_y=True)
    search = GridSearchCV(PairSimilarityEmbedder(random_state=0), GRID, cv=InSampleSplit())
    start = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - start
    print(f"GridSearchCV over {GRID}: 6 fits and the refit, {seconds:.1f} s in all")
    for params, score, fit_time in zip(
        search.cv_results_["params"],
        search.cv_results_["mean_test_score"],
        search.cv_results_["mean_fit_time"],
        strict=True,
    ):
        print(f"  {params}: score {score:.3f}, fit {fit_time:.1f} s")
    print(f"best: {search.best_params_}, score {search.best_score_:.3f}")


if __name__ == "__main__":
    main()
