"""Memory and time of a one-name transform and query with a wide HashingVectorizer.

A name's vector reads the vectorizer's output only at the columns that training used:
the cost should follow the name's tokens and the training vocabulary, not
``n_features``. For ``HashingVectorizer(n_features=2**16, 2**20, 2**24)`` fitted on
the xkcd names (one epoch: the vectors' values do not matter here), prints the peak
memory (tracemalloc) and median time of ``transform`` of one new name and of
``most_similar`` of it, now and with the selection this package used before (the
vectorizer's output as a CSC matrix over all ``n_features`` columns), and the ratios.

    python benchmarks/bench_memory.py
"""

import argparse
import time
import tracemalloc
from contextlib import contextmanager

import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
from sk_colour_embed._readers import TokenReader

from _common import machine, median

NAME = "dusty sea blue"


def full_width_weights(self, matrix):
    """The selection as it was: a CSC matrix over every column of the vectorizer."""
    return sp.csr_matrix(sp.csc_matrix(matrix)[:, self.columns])


@contextmanager
def selection(before):
    """Token weights taken as now, or (``before``) as the full-width selection."""
    now = TokenReader._kept
    if before:
        TokenReader._kept = full_width_weights
    try:
        yield
    finally:
        TokenReader._kept = now


def measure(call, repeats):
    """Peak traced memory (MiB) of one call, and the median seconds over ``repeats``."""
    call()  # caches and lazy imports out of the way
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return peak / 2**20, median(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    X, y = load_colours(return_X_y=True)
    one = pd.DataFrame({"name": [NAME]})
    print(f"one name ({NAME!r}), {len(X)} training names, HashingVectorizer of n_features:")
    print("n_features | call          | now: peak MiB, ms | before: peak MiB, ms | before/now")
    figures = {}
    for exponent in (16, 20, 24):
        embedder = PairSimilarityEmbedder(
            vectorizer=HashingVectorizer(n_features=2**exponent),
            sampler=PairSampler(n_pairs=10_000),
            epochs=1,
            random_state=0,
        ).fit(X, y)
        calls = {
            "transform": lambda e=embedder: e.transform(one),
            "most_similar": lambda e=embedder: e.most_similar(NAME, topn=5),
        }
        for label, call in calls.items():
            with selection(before=False):
                now = measure(call, args.repeats)
            with selection(before=True):
                before = measure(call, args.repeats)
            figures[exponent, label] = now
            print(
                f"2**{exponent:<7} | {label:<13} | {now[0]:8.2f}, {now[1] * 1e3:6.2f} "
                f"| {before[0]:10.2f}, {before[1] * 1e3:7.2f} "
                f"| {before[0] / now[0]:5.0f}x memory, {before[1] / now[1]:4.1f}x time"
            )
    for label in ("transform", "most_similar"):
        (low_mib, low_s), (high_mib, high_s) = figures[16, label], figures[24, label]
        print(
            f"{label}: 2**24 against 2**16 now takes {high_mib / low_mib:.2f}x the memory "
            f"and {high_s / low_s:.2f}x the time"
        )


if __name__ == "__main__":
    main()
