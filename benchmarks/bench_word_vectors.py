"""WordVectors (the ``words`` extra): what it installs, how fast it loads, which settings.

    python benchmarks/bench_word_vectors.py [--repeats 5] [--skip-regressions]

- the model files of the installed wordllama package and their sizes, its installed
  size, and that of every package the extra adds to the core's dependencies;
- the load, in fresh processes (medians of ``--repeats``): ``import wordllama``
  and reading the shipped model, as the first ``WordVectors.fit`` of a process does;
- the supervised regressions of ``bench_open_vocabulary.py`` (ridge, RBF kernel ridge,
  best setting kept) from each name's vector straight to RGB, xkcd, the same shuffled
  5 folds, held-out Spearman: unit vectors at each ``dim``, and raw ones
  (``normalize=False``) at 256, to choose the defaults.
"""

import argparse
import os
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sklearn.base import clone

from sk_colour_embed import WordVectors, load_colours

from _common import median
from bench_open_vocabulary import FOLDS, REGRESSIONS, spearman

ROOT = Path(__file__).parents[1]
CHILD = """
import time
import sk_colour_embed._word_vectors as module
start = time.perf_counter()
import wordllama
imported = time.perf_counter()
module._shipped_model()
print(imported - start, time.perf_counter() - imported)
"""


def installed(requirements):
    """The installed distributions that ``requirements`` need, with theirs, by name."""
    found, pending = {}, list(requirements)
    while pending:
        requirement = Requirement(pending.pop())
        name = canonicalize_name(requirement.name)
        if name in found or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        try:
            found[name] = distribution(name)
        except PackageNotFoundError:  # for another platform
            continue
        pending += found[name].requires or []
    return found


def megabytes(distributions):
    return sum(file.size or 0 for dist in distributions for file in dist.files) / 1e6


def model_files():
    import wordllama

    folder = Path(wordllama.__file__).parent
    for path in sorted(folder.glob("*/l2_supercat*")):
        print(f"  {path.relative_to(folder)}: {path.stat().st_size / 1e6:.1f} MB")
    core = installed(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    extra = {name: dist for name, dist in installed(["wordllama"]).items() if name not in core}
    own, added = megabytes([extra["wordllama"]]), megabytes(extra.values())
    print(
        f"  wordllama {wordllama.__version__} installed: {own:.1f} MB; with the {len(extra) - 1}"
        f" packages it adds to the core's: {added:.1f} MB ({', '.join(sorted(extra))})"
    )


def load_seconds(repeats):
    runs = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-c", CHILD],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        runs.append([float(value) for value in result.stdout.split()])
    imports, loads = zip(*runs, strict=True)
    totals = [a + b for a, b in runs]
    print(
        f"  import wordllama {median(imports):.2f} s, load the model {median(loads):.2f} s, "
        f"together {median(totals):.2f} s (median of {repeats}; "
        f"{min(totals):.2f}-{max(totals):.2f} s)"
    )


def regressions():
    X, y = load_colours("xkcd", return_X_y=True)
    rgb = y.to_numpy()
    settings = [(dim, True) for dim in (64, 128, 256)] + [(256, False)]
    for dim, normalize in settings:
        features = WordVectors(dim, normalize=normalize).fit_transform(X).astype(np.float64)
        best = {}
        for name, models in REGRESSIONS.items():
            scores = []
            for train, test in FOLDS.split(features):
                centre = rgb[train].mean(axis=0)  # the kernel ridge has no intercept
                scores.append(
                    [
                        spearman(
                            clone(model)
                            .fit(features[train], rgb[train] - centre)
                            .predict(features[test]),
                            rgb[test],
                        )
                        for model in models
                    ]
                )
            best[name] = np.max(np.mean(scores, axis=0))
        print(
            f"  dim={dim}, normalize={normalize}: "
            + ", ".join(f"{name} {score:.3f}" for name, score in best.items())
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-regressions", action="store_true")
    args = parser.parse_args()
    print("model files:")
    model_files()
    print("load in a fresh process:")
    load_seconds(args.repeats)
    if not args.skip_regressions:
        print("held-out Spearman of regressions to RGB (xkcd, 5 folds):")
        regressions()


if __name__ == "__main__":
    main()
