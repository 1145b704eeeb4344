"""Fits that must give the same vectors, bit for bit, across a change of the code.

Run it on the code before the change with ``--save before.npz``, then on the
code after it with ``--compare before.npz``: it fits the same configurations
with the same seeds and reports, for each, whether the vectors, the token
vectors, the head and the losses are equal to the last bit, and how long the
fits took (the median of the seeds, in each run; compare the two on one
machine, one run after the other).

    python benchmarks/bench_same_vectors.py --save before.npz
    python benchmarks/bench_same_vectors.py --compare before.npz

The configurations are public estimator fits on the xkcd colours: the
tutorial's lookup (100,000 pairs, 500 epochs) and the tutorial's reading of
names (words and character 3-grams, per-name vectors; 200 epochs), each in
2-D and 3-D, the pair classifier on similar pairs alone (negative
partners) and with a hidden layer, and an embedder learning from
``reference=`` with an ``unseen_regressor`` (its vectors of names it never
saw compared too), 3 seeds each.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline, make_union

from sk_colour_embed import (
    PairSampler,
    PairSimilarityClassifier,
    PairSimilarityEmbedder,
    load_colours,
)

SEEDS = (0, 1, 2)


def words_and_trigrams():
    return make_union(
        TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
    )


def embedder(dims, vectorizer=None, epochs=500):
    def fit(X, y, seed):
        return PairSimilarityEmbedder(
            dims,
            vectorizer=vectorizer() if vectorizer else None,
            sampler=PairSampler(n_pairs=100_000),
            epochs=epochs,
            random_state=seed,
        ).fit(X, y)

    return fit


def classifier(**params):
    def fit(X, y, seed):
        pairs, labels = PairSampler(n_pairs=20_000, random_state=seed).fit_resample(X, y)
        similar = pairs[labels == 1]
        return PairSimilarityClassifier(3, epochs=100, random_state=seed, **params).fit(
            similar, np.ones(len(similar), dtype=int)
        )

    return fit


# Names the reference fit never saw, placed by its unseen_regressor.
UNSEEN = ["dark sea blue", "burgandy", "pale lime", "rosso corsa", "midnight black"]


def with_reference(dims):
    def fit(X, y, seed):
        return PairSimilarityEmbedder(
            dims,
            sampler=PairSampler(n_pairs=20_000),
            unseen_regressor=make_pipeline(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), Ridge()
            ),
            epochs=100,
            reference=(X, y),
            random_state=seed,
        ).fit(X)

    return fit


CONFIGS = {
    "lookup 2-D": embedder(2),
    "lookup 3-D": embedder(3),
    "tokens 2-D": embedder(2, words_and_trigrams, epochs=200),
    "tokens 3-D": embedder(3, words_and_trigrams, epochs=200),
    "classifier, negatives 3-D": classifier(),
    "classifier, tokens + hidden 3-D": classifier(
        vectorizer=TfidfVectorizer(), hidden_layer_sizes=(8,)
    ),
    "reference + unseen_regressor 3-D": with_reference(3),
}


def arrays_of(estimator):
    vectors = estimator.vectors_
    return {
        "vectors": vectors.vectors,
        "token_vectors": vectors.token_vectors,
        "head": np.array([vectors.distance_scale, vectors.similarity_bias]),
        "loss": np.array(estimator.history_["loss"]),
        "unseen": vectors.get_vectors(UNSEEN, "ignore"),
    }


def run():
    # The classifier's short fits have not converged, and say so: only sameness counts here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_colours(return_X_y=True)
    results, seconds = {}, {}
    for name, fit in CONFIGS.items():
        times = []
        for seed in SEEDS:
            start = time.perf_counter()
            estimator = fit(X, y, seed)
            times.append(time.perf_counter() - start)
            for part, values in arrays_of(estimator).items():
                results[f"{name}|{seed}|{part}"] = values
        seconds[name] = float(np.median(times))
        print(f"{name:34s} median fit {seconds[name]:6.2f} s", flush=True)
    return results, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", help="write the fits' arrays to this .npz file")
    group.add_argument("--compare", help="compare the fits with the arrays of this .npz file")
    args = parser.parse_args()
    results, seconds = run()
    if args.save:
        np.savez(args.save, **results, **{f"{k}|seconds": v for k, v in seconds.items()})
        return
    before = np.load(args.compare)
    header = f"{'configuration':34s} {'same bit for bit':>18s} {'seconds before':>15s}"
    print(f"\n{header} {'after':>7s}")
    all_same = True
    for name in CONFIGS:
        same = all(
            np.array_equal(before[f"{name}|{seed}|{part}"], values, equal_nan=True)
            for key, values in results.items()
            for seed in SEEDS
            for part in [key.split("|")[2]]
            if key.startswith(f"{name}|{seed}|")
        )
        all_same &= same
        print(
            f"{name:34s} {str(same) + f' ({len(SEEDS)} seeds)':>18s} "
            f"{float(before[f'{name}|seconds']):15.2f} {seconds[name]:7.2f}"
        )
    print("all the same, bit for bit" if all_same else "SOME FITS DIFFER")


if __name__ == "__main__":
    main()
