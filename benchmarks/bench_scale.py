"""Scale: a 2-epoch fit over 1,000,000 items x 16 dims with 10,000,000 pairs.

Prints peak memory and seconds per epoch, then the cost per step for the
same pairs over 10,000, 100,000 and 1,000,000 items: with the lazy Adam
update it does not grow with the number of items.

    python benchmarks/bench_scale.py
"""

import argparse

import numpy as np

from _common import draw_pairs, machine, median, peak_memory_gib, timed_engine_fit


def synthetic_items(n_items, seed=0):
    """Integer item keys and uniform RGB-like descriptors."""
    return np.arange(n_items).reshape(-1, 1), np.random.default_rng(seed).uniform(size=(n_items, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--dims", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--step-pairs", type=int, default=1_000_000, help="pairs for the per-step comparison"
    )
    args = parser.parse_args()
    print(machine())

    n_items, pairs, labels = draw_pairs(*synthetic_items(args.items), args.pairs)
    _, seconds = timed_engine_fit(
        n_items, pairs, labels, n_components=args.dims, epochs=args.epochs
    )
    steps = -(-args.pairs // 512)
    print(
        f"{args.items:,} items x {args.dims} dims, {args.pairs:,} pairs, {args.epochs} epochs: "
        f"seconds per epoch {', '.join(f'{s:.1f}' for s in seconds)} "
        f"(the first includes compilation); {steps:,} steps per epoch"
    )
    print(f"peak memory: {peak_memory_gib():.2f} GiB")

    print(
        f"\ncost per step, {args.step_pairs:,} pairs, {args.dims} dims, "
        "median of 3 epochs after the first:"
    )
    steps = -(-args.step_pairs // 512)
    for n in (10_000, 100_000, args.items):
        n_items, pairs, labels = draw_pairs(*synthetic_items(n), args.step_pairs)
        lazy = per_step_us(n_items, pairs, labels, args.dims, True, steps)
        line = f"  {n:>9,} items: lazy Adam {lazy:7.1f} us"
        if n <= 100_000:  # dense Adam over a million rows takes minutes an epoch
            dense = per_step_us(n_items, pairs, labels, args.dims, False, steps)
            line += f", Keras's dense Adam {dense:7.1f} us"
        print(line)


def per_step_us(n_items, pairs, labels, dims, lazy, steps):
    _, seconds = timed_engine_fit(n_items, pairs, labels, n_components=dims, epochs=4, lazy=lazy)
    return median(seconds[1:]) / steps * 1e6


if __name__ == "__main__":
    main()
