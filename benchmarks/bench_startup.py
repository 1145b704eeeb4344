"""Where a fresh process's first fit spends its time, with and without the XLA cache.

python benchmarks/bench_startup.py [--repeats 3] [--skip-search]

Each case runs in a fresh Python process, ``--repeats`` times (medians):
importing the estimators (scikit-learn with them), importing TensorFlow and
Keras, the first fit of the tutorial (xkcd,
``PairSimilarityEmbedder(n_components=2, random_state=0)``, 500 epochs), and
a second, identical fit in the same process, which reuses the traced,
compiled epoch: the second is the training. Of the first fit's first compiled
call, the trace (``get_concrete_function``, timed before it) and the rest
less a later call's time: lowering the graph to XLA and compiling it, or
loading it from the cache.

- cache off: ``SK_COLOUR_EMBED_XLA_CACHE=off``, every process compiles;
- empty cache: a fresh cache folder per run, which the fit fills;
- warm cache: a folder an earlier process filled, as a second process on
  the machine (or a worker of a parallel search) finds it. The benchmark
  counts the warm processes that wrote no new entry: those loaded every
  compiled epoch instead of compiling it.

Beside the first fit, the cache's own work: copying the shared folder's
checked entries into TensorFlow's folder in memory before the first
compiled fit, and publishing the entries a fit compiled after it.

Beside them, the warm first fit less its whole trace: the least a warm first
fit could take if the trace were kept between processes too, since
TensorFlow lowers the graph in every process before it looks in its cache.

The vectors of every run must agree bit for bit. Then ``GridSearchCV`` over
the tutorial's 6-point lookup grid with ``cv=InSampleSplit()``, with
``n_jobs=1``, ``n_jobs=2`` on joblib's default (loky) worker processes, and
``n_jobs=2`` on threads (``joblib.parallel_config(backend="threading")``),
each in a fresh process sharing a warm cache, timed from ``search.fit`` to
its end. Beside them, the least time two loky workers could take on this
machine's cores, however fast the fits: the parallel search does the serial
one's work (its processor time, less its import of TensorFlow), and two fresh
workers' starts and imports of TensorFlow more (the parent too imports
TensorFlow, before it refits the best candidate), in processor time that the
cores share at best evenly.
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
import hashlib, json, resource, statistics, time
def processor():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start = time.perf_counter()
from sk_colour_embed import PairSimilarityEmbedder, load_colours
package, package_cpu = time.perf_counter(), processor()
from sk_colour_embed._engine.xla_cache import COMPILATION_CACHE, CompilationCache
COMPILATION_CACHE.prepare()  # as the first fit does, before TensorFlow's import
from sk_colour_embed._keras_env import tf
tensorflow, tensorflow_cpu = time.perf_counter(), processor()
from sk_colour_embed._engine.trainers import EpochTrainer
# The cache's own work: copying the shared entries in, publishing the new ones.
cache_seconds = {"load": 0.0, "publish": 0.0}
def timed_step(name):
    step = getattr(CompilationCache, name)
    def timed(self):
        begin = time.perf_counter()
        step(self)
        cache_seconds[name] += time.perf_counter() - begin
    setattr(CompilationCache, name, timed)
timed_step("load")
timed_step("publish")
X, y = load_colours("xkcd", return_X_y=True)
# Each compiled call of the epochs timed; before a trainer's first, its whole
# trace (get_concrete_function: what the call would trace) timed on its own.
calls, traces, train_epochs = [], [], EpochTrainer.train_epochs
def timed(self, pairs, labels, orders, start, count):
    if not self._run_epochs.experimental_get_tracing_count():
        begin = time.perf_counter()
        self._run_epochs.get_concrete_function(
            pairs, labels, orders, tf.constant(start), tf.constant(count), self.table
        )
        traces.append(time.perf_counter() - begin)
    begin = time.perf_counter()
    result = train_epochs(self, pairs, labels, orders, start, count)
    calls.append(time.perf_counter() - begin)
    return result
EpochTrainer.train_epochs = timed
seconds, cpu, first_calls, later_calls = [], [], [], []
for _ in range(2):
    calls.clear()
    begin, begin_cpu = time.perf_counter(), processor()
    embedder = PairSimilarityEmbedder(n_components=2, random_state=0).fit(X, y)
    seconds.append(time.perf_counter() - begin)
    cpu.append(processor() - begin_cpu)
    first_calls.append(calls[0])
    later_calls.append(statistics.median(calls[1:]))
print(json.dumps({
    "import the estimators": package - start,
    "import TensorFlow": tensorflow - package,
    "first fit": seconds[0],
    "second fit": seconds[1],
    "trace": traces[0],
    # The first call less a later one: what the first call does before it trains.
    "lower and compile": first_calls[0] - later_calls[0],
    # What a fresh worker does before it imports TensorFlow.
    "start and import the estimators, processor": package_cpu,
    "import TensorFlow, processor": tensorflow_cpu - package_cpu,
    "second fit, processor": cpu[1],
    "copy in the shared entries": cache_seconds["load"],
    "publish new entries": cache_seconds["publish"],
    "vectors": hashlib.sha256(embedder.embedding_.to_numpy().tobytes()).hexdigest(),
}))
"""

SEARCH = r"""
import json, resource, time
import joblib
from sklearn.model_selection import GridSearchCV
from sk_colour_embed import InSampleSplit, PairSimilarityEmbedder, load_colours
X, y = load_colours("xkcd", return_X_y=True)
grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
embedder = PairSimilarityEmbedder(random_state=0)
search = GridSearchCV(embedder, grid, cv=InSampleSplit(), n_jobs=N_JOBS)
def processor():  # this process's: the workers' are not collected while they live
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start, start_cpu = time.perf_counter(), processor()
with joblib.parallel_config(backend="BACKEND"):
    search.fit(X, y)
print(json.dumps({"seconds": time.perf_counter() - start, "processor": processor() - start_cpu,
                  "scores": search.cv_results_["mean_test_score"].tolist()}))
"""


SEARCHES = {
    "n_jobs=1": ("loky", 1),
    "n_jobs=2, loky": ("loky", 2),
    "n_jobs=2, threading": ("threading", 2),
}


def entries(folder):
    """The files under the cache folder ``folder``, by path under it."""
    return {str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file()}


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
    # New entries each warm process wrote: none when it loaded every compiled epoch.
    written = []
    for repeat in range(args.repeats):  # interleaved: a busy spell hits every case alike
        cases["cache off"].append(in_a_fresh_process(CHILD, "off"))
        cases["empty cache"].append(in_a_fresh_process(CHILD, str(root / f"empty{repeat}")))
        if repeat == 0:
            in_a_fresh_process(CHILD, warm)  # fills the warm cache
        before = entries(warm)
        cases["warm cache"].append(in_a_fresh_process(CHILD, warm))
        written.append(len(entries(warm) - before))
    print("Fresh process, tutorial 2-D fit (xkcd, 500 epochs), medians of", args.repeats)
    columns = [
        "import the estimators",
        "import TensorFlow",
        "first fit",
        "second fit",
        "trace",
        "lower and compile",
        "copy in the shared entries",
        "publish new entries",
    ]
    print("  " + " | ".join(["case".ljust(12), *columns]))
    for name, runs in cases.items():
        values = [median([run[c] for run in runs]) for c in columns]
        print("  " + " | ".join([name.ljust(12), *(f"{v:.2f} s" for v in values)]))
    first = {name: median([run["first fit"] for run in runs]) for name, runs in cases.items()}
    total = {
        name: median([sum(run[c] for c in columns[:3]) for run in runs])
        for name, runs in cases.items()
    }
    loaded = sum(count == 0 for count in written)
    print(
        f"  warm processes that loaded every compiled epoch instead of compiling: "
        f"{loaded} of {len(written)} (new entries written: {written})"
    )
    print(
        f"  first fit, warm / empty cache: {first['warm cache'] / first['empty cache']:.2f}x; "
        f"import and first fit: {total['warm cache'] / total['empty cache']:.2f}x"
    )
    # What a warm first fit would take if its whole trace cost nothing (kept
    # between processes): TensorFlow still lowers the traced graph to XLA in
    # every process before it looks in the cache, and loads what it finds.
    untraced = median([run["first fit"] - run["trace"] for run in cases["warm cache"]])
    print(
        f"  warm first fit less its trace: {untraced:.2f} s, "
        f"{untraced / first['empty cache']:.2f}x of the empty cache's first fit"
    )
    hashes = {run["vectors"] for runs in cases.values() for run in runs}
    print(f"  vectors identical in every run: {len(hashes) == 1}")
    files = [Path(warm) / name for name in entries(warm)]
    print(
        f"  warm cache: {len(files)} file(s), {sum(f.stat().st_size for f in files) / 1e3:.0f} kB"
    )
    if args.skip_search:
        return
    print("\nGridSearchCV, 6-point lookup grid, cv=InSampleSplit(), warm cache")
    results, written = {}, {}
    for name, (backend, n_jobs) in SEARCHES.items():
        code = SEARCH.replace("N_JOBS", str(n_jobs)).replace("BACKEND", backend)
        before = entries(warm)
        results[name] = in_a_fresh_process(code, warm)
        written[name] = len(entries(warm) - before)
    # The same parallel search again: what its workers load of what the first compiled.
    before = entries(warm)
    again = in_a_fresh_process(SEARCH.replace("N_JOBS", "2").replace("BACKEND", "loky"), warm)
    written_again = len(entries(warm) - before)
    serial = results["n_jobs=1"]
    for name, result in results.items():
        print(
            f"  {name.ljust(20)} {result['seconds']:5.1f} s, "
            f"{result['seconds'] / serial['seconds']:.2f}x of n_jobs=1; "
            f"scores identical: {result['scores'] == serial['scores']}; "
            f"new cache entries: {written[name]}"
        )
    print(
        f"  n_jobs=2, loky, again: {again['seconds']:5.1f} s, new cache entries: "
        f"{written_again}; scores identical: {again['scores'] == serial['scores']}"
    )
    # The least two loky workers could take, however fast the fits: the
    # parallel search does the serial one's work (its processor time less its
    # one import of TensorFlow), and two fresh workers' starts and imports of
    # TensorFlow more, and the parent's import before the refit.
    warm_runs = cases["warm cache"]
    tensorflow = median([run["import TensorFlow, processor"] for run in warm_runs])
    worker = median([run["start and import the estimators, processor"] for run in warm_runs])
    rest = serial["processor"] - tensorflow
    cores = min(2, os.cpu_count())
    least = (3 * tensorflow + 2 * worker + rest) / cores
    fit = median([run["second fit, processor"] for run in warm_runs])
    print(
        f"  a fit keeps {fit / median([run['second fit'] for run in warm_runs]):.2f} cores "
        f"busy; the least two loky workers could take on {cores} cores: (3 x {tensorflow:.1f} s "
        f"of TensorFlow's import + 2 x {worker:.1f} s of a worker's start + {rest:.1f} s of "
        f"n_jobs=1 less its import, processor time) / {cores} = {least:.1f} s, "
        f"{least / serial['seconds']:.2f}x of n_jobs=1"
    )


if __name__ == "__main__":
    main()
