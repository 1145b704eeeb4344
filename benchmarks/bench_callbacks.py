"""What scikit-learn's callbacks cost a fit: none set, a progress bar, a callback doing nothing.

python benchmarks/bench_callbacks.py [--repeats 3] [--rounds 3] [--baseline DIR]

The tutorial's fit (949 xkcd colours, 100,000 pairs, 500 epochs,
``PairSimilarityEmbedder(random_state=0)``), timed in wall-clock and in
processor seconds (all the process's threads: less sensitive to other work on
a shared machine). Each round is a fresh process of this package that fits
once to compile the epochs, then fits each variant in turn, ``--repeats``
times, so that the variants share the machine's ups and downs:

- no callbacks: ``fit``, nothing set (the estimator still opens its task and
  closes it, as scikit-learn's callback support does on every fit);
- ProgressBar: ``set_callbacks(sklearn.callback.ProgressBar())``, drawn by
  rich (the output, not a terminal here, is thrown away);
- a callback doing nothing: one whose hooks return at once, so the cost is
  the epochs' tasks themselves.

Beside them, what a fit without callbacks does for them, alone: open and
close its task (``_callbacks.fit_task``), timed with ``timeit``; the engine
adds nothing an epoch when no callback is set.

With ``--baseline DIR``, each round also runs a process that fits without
callbacks, the package imported from ``DIR``: a checkout without callback
support (``git archive <commit> sk_colour_embed | tar -x -C DIR``). The
medians over all rounds are printed, with their ratio to the fit without
callbacks. Every variant must give the same vectors, bit for bit.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _common import machine, median

ROOT = Path(__file__).parents[1]

CHILD = r"""
import hashlib, json, time
from sk_colour_embed import PairSimilarityEmbedder, load_colours

class Nothing:
    def setup(self, estimator, context): pass
    def on_fit_task_begin(self, estimator, context): pass
    def on_fit_task_end(self, estimator, context): pass
    def teardown(self, estimator, context): pass

def callbacks(variant):
    if variant == "ProgressBar":
        from sklearn.callback import ProgressBar
        return [ProgressBar()]
    if variant == "a callback doing nothing":
        return [Nothing()]
    return []

def fit(variant):
    embedder = PairSimilarityEmbedder(random_state=0)
    if callbacks(variant):
        embedder.set_callbacks(*callbacks(variant))
    wall, cpu = time.perf_counter(), time.process_time()
    embedder.fit(X, y)
    times[variant].append((time.perf_counter() - wall, time.process_time() - cpu))
    digests.add(hashlib.sha256(embedder.embedding_.to_numpy().tobytes()).hexdigest())

X, y = load_colours(return_X_y=True)
variants = {variants!r}
times, digests = {{variant: [] for variant in variants}}, set()
fit(variants[0])  # compiles the epochs
times[variants[0]].clear()
for _ in range({repeats}):
    for variant in variants:
        fit(variant)
print("RESULT " + json.dumps({{"times": times, "digests": sorted(digests)}}))
"""


def run(variants, repeats, path):
    code = CHILD.format(variants=variants, repeats=repeats)
    env = {**os.environ, "PYTHONPATH": str(path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout without callback support")
    args = parser.parse_args()
    variants = ["no callbacks", "ProgressBar", "a callback doing nothing"]
    baseline = f"baseline ({args.baseline}), no callback support" if args.baseline else None
    times = {name: [] for name in [*variants, baseline] if name}
    digests = set()
    for _ in range(args.rounds):
        result = run(variants, args.repeats, ROOT)
        if baseline:
            before = run(["no callbacks"], args.repeats, args.baseline)
            result["times"][baseline] = before["times"]["no callbacks"]
            result["digests"] += before["digests"]
        for name, values in result["times"].items():
            times[name] += values
        digests.update(result["digests"])
    print(machine())
    print(f"the tutorial's fit, 500 epochs; {args.rounds} rounds x {args.repeats} fits a variant")
    wall = median([w for w, _ in times["no callbacks"]])
    cpu = median([c for _, c in times["no callbacks"]])
    for name, values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(
            f"  {name}: wall median {median(walls):.3f} s (ratio {median(walls) / wall:.3f}), "
            f"processor median {median(cpus):.3f} s (ratio {median(cpus) / cpu:.3f})"
        )
    print("the same vectors in every variant:", len(digests) == 1)
    print(f"a fit's task without callbacks, opened and closed: {task_seconds() * 1e6:.0f} us")


def task_seconds(number=2000):
    """The median seconds of opening and closing a fit's task with no callback set."""
    import timeit

    from sk_colour_embed import PairSimilarityEmbedder
    from sk_colour_embed._callbacks import fit_task

    embedder = PairSimilarityEmbedder()

    def open_and_close():
        with fit_task(embedder, None, None, 500) as task:
            task.epoch_tasks(dict)
        del embedder._callback_fit_ctx, embedder._skl_callbacks_to_teardown  # as fit's end does

    return median(timeit.repeat(open_and_close, number=number, repeat=5)) / number


if __name__ == "__main__":
    main()
