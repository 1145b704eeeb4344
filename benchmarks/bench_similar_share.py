"""What the share of similar pairs does to a fit: the bounds of the sampler's warning.

python benchmarks/bench_similar_share.py [--seeds 2]

The tutorial's fit of the 949 xkcd colours (100,000 pairs, 500 epochs, 2-D),
its ``threshold`` moved from 0.0002 to 10,000, so that the share of similar
pairs between different items goes from almost none to almost all. For each,
the share and the score (Spearman of vector and RGB distances; 1 is perfect,
0 is nothing learned), averaged over seeds. Then: the same with ten times the
pairs (and a tenth of the epochs, the same steps) at a share below 1%, and
RGB in 0-255 with the default threshold and with it multiplied by 255**2.
The warning's bounds (``_sampling.MIN_SIMILAR_SHARE`` and
``MAX_SIMILAR_SHARE``) come from this table.
"""

import argparse
import warnings

import numpy as np

from _common import machine

THRESHOLDS = [0.0002, 0.001, 0.005, 0.01, 0.015, 0.02, 0.05, 0.2, 1, 5, 20, 30, 100, 10_000]


def fit(X, y, seed, threshold=0.2, n_pairs=100_000, epochs=500):
    """Share of similar pairs between different items, and score, of one fit."""
    from sk_colour_embed import PairSampler, PairSimilarityEmbedder

    sampler = PairSampler(n_pairs=n_pairs, threshold=threshold)
    embedder = PairSimilarityEmbedder(sampler=sampler, epochs=epochs, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warnings this script measures the reason for
        embedder.fit(X, y)
        (first, second), _, similar = embedder.sampler_.draw_index_pairs()
    different = first != second
    return similar[different].mean(), embedder.score(X, y)


def row(label, X, y, seeds, **settings):
    shares, scores = zip(*(fit(X, y, seed, **settings) for seed in range(seeds)), strict=True)
    print(f"| {label} | {np.mean(shares):.2%} | {np.mean(scores):.3f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    from sk_colour_embed import load_colours

    X, y = load_colours(return_X_y=True)
    print(machine())
    print(f"xkcd, 2-D, mean of {args.seeds} seeds\n")
    print("| setting | similar, between different items | score |\n|---|---|---|")
    for threshold in THRESHOLDS:
        row(f"threshold={threshold:g}", X, y, args.seeds, threshold=threshold)
    many = dict(threshold=0.01, n_pairs=1_000_000, epochs=50)
    row("threshold=0.01, 1,000,000 pairs, 50 epochs", X, y, args.seeds, **many)
    y255 = (y * 255).round()
    row("RGB in 0-255, threshold=0.2", X, y255, args.seeds)
    row("RGB in 0-255, threshold=0.2 * 255**2", X, y255, args.seeds, threshold=0.2 * 255**2)


if __name__ == "__main__":
    main()
