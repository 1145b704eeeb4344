"""Where a fresh process's first fit spends its time, with and without the XLA cache.

python benchmarks/bench_startup.py [--repeats 3] [--skip-search]

Each case runs in a fresh Python process, ``--repeats`` times (medians):
``import sk_colour_embed``, importing TensorFlow and Keras, the first fit
of the tutorial (xkcd, ``PairSimilarityEmbedder(n_components=2,
random_state=0)``, 500 epochs), and a second, identical fit in the same
process, which reuses the traced, compiled epoch. The first fit less the
second is the tracing and compiling; the second is the training.

- cache off: ``SK_COLOUR_EMBED_XLA_CACHE=off``, every process compiles;
- empty cache: a fresh cache folder per run, which the fit fills;
- warm cache: a folder an earlier process filled, as a second process on
  the machine (or a worker of a parallel search) finds it.

The vectors of every run must agree bit for bit. Then ``GridSearchCV`` over
the tutorial's 6-point lookup grid with ``cv=InSampleSplit()``, with
``n_jobs=1``, ``n_jobs=2`` on joblib's default (loky) worker processes, and
``n_jobs=2`` on threads (``joblib.parallel_config(backend="threading")``),
each in a fresh process sharing a warm cache, timed from ``search.fit`` to
its end. Beside them, the least time two loky workers could take on this
machine's cores, from the processor time of this run's warm-cache processes:
each fresh worker imports TensorFlow, and so does the parent before it refits
the best candidate, so that the search's work is three imports and seven fits
(the 6 candidates and the refit, each at least a 2-D fit's processor time),
which the cores share at best evenly.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import median

CHILD = r"""
import hashlib, json, resource, time
def processor():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start = time.perf_counter()
import sk_colour_embed
package, package_cpu = time.perf_counter(), processor()
from sk_colour_embed._keras_env import tf
tensorflow, tensorflow_cpu = time.perf_counter(), processor()
from sk_colour_embed import PairSimilarityEmbedder, load_colours
X, y = load_colours("xkcd", return_X_y=True)
seconds, cpu = [], []
for _ in range(2):
    begin, begin_cpu = time.perf_counter(), processor()
    embedder = PairSimilarityEmbedder(n_components=2, random_state=0).fit(X, y)
    seconds.append(time.perf_counter() - begin)
    cpu.append(processor() - begin_cpu)
print(json.dumps({
    "import sk_colour_embed": package - start,
    "import TensorFlow": tensorflow - package,
    "first fit": seconds[0],
    "second fit": seconds[1],
    "import TensorFlow, processor": tensorflow_cpu - package_cpu,
    "second fit, processor": cpu[1],
    "vectors": hashlib.sha256(embedder.embedding_.to_numpy().tobytes()).hexdigest(),
}))
"""

SEARCH = r"""
import json, time
import joblib
from sklearn.model_selection import GridSearchCV
from sk_colour_embed import InSampleSplit, PairSimilarityEmbedder, load_colours
X, y = load_colours("xkcd", return_X_y=True)
grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
embedder = PairSimilarityEmbedder(random_state=0)
search = GridSearchCV(embedder, grid, cv=InSampleSplit(), n_jobs=N_JOBS)
start = time.perf_counter()
with joblib.parallel_config(backend="BACKEND"):
    search.fit(X, y)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "scores": search.cv_results_["mean_test_score"].tolist()}))
"""


SEARCHES = {
    "n_jobs=1": ("loky", 1),
    "n_jobs=2, loky": ("loky", 2),
    "n_jobs=2, threading": ("threading", 2),
}


def in_a_fresh_process(code, cache):
    env = dict(os.environ, SK_COLOUR_EMBED_XLA_CACHE=cache)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    warm = str(root / "warm")
    cases = {"cache off": [], "empty cache": [], "warm cache": []}
    for repeat in range(args.repeats):  # interleaved: a busy spell hits every case alike
        cases["cache off"].append(in_a_fresh_process(CHILD, "off"))
        cases["empty cache"].append(in_a_fresh_process(CHILD, str(root / f"empty{repeat}")))
        if repeat == 0:
            in_a_fresh_process(CHILD, warm)  # fills the warm cache
        cases["warm cache"].append(in_a_fresh_process(CHILD, warm))
    print("Fresh process, tutorial 2-D fit (xkcd, 500 epochs), medians of", args.repeats)
    columns = ["import sk_colour_embed", "import TensorFlow", "first fit", "second fit"]
    print("  " + " | ".join(["case".ljust(12), *columns, "compile (1st - 2nd)"]))
    for name, runs in cases.items():
        values = [median([run[c] for run in runs]) for c in columns]
        compile_ = median([run["first fit"] - run["second fit"] for run in runs])
        print(
            "  "
            + " | ".join([name.ljust(12), *(f"{v:.2f} s" for v in values), f"{compile_:.2f} s"])
        )
    first = {name: median([run["first fit"] for run in runs]) for name, runs in cases.items()}
    total = {
        name: median([sum(run[c] for c in columns[:3]) for run in runs])
        for name, runs in cases.items()
    }
    print(
        f"  first fit, warm / empty cache: {first['warm cache'] / first['empty cache']:.2f}x; "
        f"import and first fit: {total['warm cache'] / total['empty cache']:.2f}x"
    )
    hashes = {run["vectors"] for runs in cases.values() for run in runs}
    print(f"  vectors identical in every run: {len(hashes) == 1}")
    files = list(Path(warm).iterdir())
    print(
        f"  warm cache: {len(files)} file(s), {sum(f.stat().st_size for f in files) / 1e3:.0f} kB"
    )
    if args.skip_search:
        return
    print("\nGridSearchCV, 6-point lookup grid, cv=InSampleSplit(), warm cache")
    results = {}
    for name, (backend, n_jobs) in SEARCHES.items():
        code = SEARCH.replace("N_JOBS", str(n_jobs)).replace("BACKEND", backend)
        results[name] = in_a_fresh_process(code, warm)
    serial = results["n_jobs=1"]
    for name, result in results.items():
        print(
            f"  {name.ljust(20)} {result['seconds']:5.1f} s, "
            f"{result['seconds'] / serial['seconds']:.2f}x of n_jobs=1; "
            f"scores identical: {result['scores'] == serial['scores']}"
        )
    warm_runs = cases["warm cache"]
    tensorflow = median([run["import TensorFlow, processor"] for run in warm_runs])
    fit = median([run["second fit, processor"] for run in warm_runs])
    cores = min(2, os.cpu_count())
    least = (3 * tensorflow + 7 * fit) / cores
    print(
        f"  a fit keeps {fit / median([run['second fit'] for run in warm_runs]):.2f} cores "
        f"busy; the least two loky workers could take on {cores} cores: (3 x {tensorflow:.1f} "
        f"s of import + 7 x {fit:.1f} s of fit, processor time) / {cores} = {least:.1f} s, "
        f"{least / serial['seconds']:.2f}x of n_jobs=1"
    )


if __name__ == "__main__":
    main()
