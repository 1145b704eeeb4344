"""The least time an epoch of the vectorizer reading with word vectors can take here.

With ``WordVectors`` as the ``vectorizer`` and a hidden layer of 32 (the best
reading of names inside the pair model, with the ``words`` extra), every Adam step
multiplies the dense features of all the names by the first layer's matrix
(the names' first hidden layer), and the update takes two more products of
the same size: the gradient of the matrix, and the sum of the squared
gradients of each feature's occurrences, which Keras's Adam takes for an
embedding read in several slots and which the engine reproduces, as its
tests hold it to ``model.fit``. That is 949 x 256 by 256 x 32, three times a
step, 49 steps an epoch of 100,000 pairs in batches of 2,048.

This times those three products alone, float32 in NumPy (the machine's
BLAS), best of ``--repeats`` epochs, against the tutorial's lookup epoch
through the engine (3-D, median of 100 epochs) in the same run: the ratio is
a floor under that fit's epoch over the lookup's, whatever the
engine does around the products.

    python benchmarks/bench_dense_products.py [--repeats 20]
"""

import argparse
import time

import numpy as np

from sk_colour_embed import load_colours

from _common import draw_pairs, machine, median, timed_engine_fit

N_FEATURES, WIDTH, BATCH_SIZE, N_PAIRS = 256, 32, 2048, 100_000


def products_epoch_seconds(n_items, repeats):
    """Best time of one epoch's products: forward, and the two of the gradient."""
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n_items, N_FEATURES), dtype=np.float32)
    kernel = rng.standard_normal((N_FEATURES, WIDTH), dtype=np.float32)
    upstream = rng.standard_normal((n_items, WIDTH), dtype=np.float32)
    squared = np.square(features)  # the engine keeps them too
    steps = -(-N_PAIRS // BATCH_SIZE)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            features @ kernel  # the names' first hidden layer
            features.T @ upstream  # the gradient of the kernel
            squared.T @ upstream  # the squared gradients, summed per feature
        best = min(best, time.perf_counter() - start)
    return best, steps, 3 * steps * 2 * n_items * N_FEATURES * WIDTH


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    X, y = load_colours(return_X_y=True)
    n_items, pairs, labels = draw_pairs(X, y, N_PAIRS)
    _, seconds = timed_engine_fit(n_items, pairs, labels, n_components=3, epochs=100)
    lookup = median(seconds[1:])
    products, steps, flop = products_epoch_seconds(n_items, args.repeats)
    print(f"lookup epoch through the engine (3-D, median of 99): {lookup * 1e3:.2f} ms")
    print(
        f"the three products of {steps} steps ({n_items} x {N_FEATURES} by {N_FEATURES} x "
        f"{WIDTH}), best of {args.repeats}: {products * 1e3:.1f} ms, {flop / 1e9:.2f} GFLOP at "
        f"{flop / products / 1e9:.0f} GFLOP/s"
    )
    print(
        f"  the products alone are {products / lookup:.1f}x the lookup's epoch; 3x would "
        f"need {flop / (3 * lookup) / 1e9:.0f} GFLOP/s"
    )


if __name__ == "__main__":
    main()
