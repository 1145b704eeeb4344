"""The tutorial's fit on two checkouts of the package, alternated, in fresh processes.

For a change of the code that must not change the speed of a fit (a
restructuring): each round runs one fresh process per checkout, in turn, each
importing the package from its checkout (``PYTHONPATH``), fitting once to
compile (the compilation cache off) and then timing the best of three fits of
the tutorial's 2-D lookup (xkcd, 100,000 pairs, 500 epochs, seed 0). Printed:
each process's wall and processor seconds, then the medians and their ratio.
Processor time is the steadier on a shared machine.

    python benchmarks/bench_two_checkouts.py BEFORE_DIR AFTER_DIR [--rounds 5]

A checkout made with ``git worktree add --detach DIR COMMIT`` serves as one.
"""

import argparse
import os
import statistics
import subprocess
import sys

FIT = """
import time, warnings
warnings.simplefilter("ignore")
from sk_colour_embed import PairSimilarityEmbedder, load_colours
X, y = load_colours(return_X_y=True)
def fit():
    wall, cpu = time.perf_counter(), time.process_time()
    PairSimilarityEmbedder(2, random_state=0).fit(X, y)
    return time.perf_counter() - wall, time.process_time() - cpu
fit()  # the compilation
runs = [fit() for _ in range(3)]
print(min(r[0] for r in runs), min(r[1] for r in runs))
"""


def timed(checkout):
    env = {**os.environ, "PYTHONPATH": checkout, "SK_COLOUR_EMBED_XLA_CACHE": "off"}
    result = subprocess.run(
        [sys.executable, "-c", FIT], env=env, capture_output=True, text=True, check=True
    )
    wall, cpu = map(float, result.stdout.split())
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times = {args.before: [], args.after: []}
    for _ in range(args.rounds):
        for checkout in times:
            times[checkout].append(timed(checkout))
            wall, cpu = times[checkout][-1]
            print(f"{checkout}: wall {wall:.3f} s, processor {cpu:.3f} s", flush=True)
    (wall_before, cpu_before), (wall_after, cpu_after) = (
        [statistics.median(column) for column in zip(*runs, strict=True)] for runs in times.values()
    )
    for name, before, after in [
        ("wall", wall_before, wall_after),
        ("processor", cpu_before, cpu_after),
    ]:
        print(f"median {name}: {before:.3f} -> {after:.3f} s ({after / before:.2f}x)")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
