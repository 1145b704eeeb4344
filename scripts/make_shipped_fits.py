"""Make the fits that ship with the package: the recommended colour embedders, fitted.

    python scripts/make_shipped_fits.py [--check]

For each configuration of ``colour_embedder`` that ships (with and without
the ``words`` extra), this trains its reference fit, as ``fit`` would without
a shipped file, and writes it to ``sk_colour_embed/fits/<key>.fit`` (a file
of ``sk_colour_embed._state_files``: loading runs no pickle), where
``<key>`` is the fit cache's key of the estimator and its reference, and
``sk_colour_embed/fits/manifest.json`` with each file's SHA-256, configuration
and the versions that made it. Files
appear whole (written under a temporary name, then renamed).

On the machine that made them, running it again gives the same files' vectors
bit for bit; ``--check`` retrains and compares instead of writing, and exits 1
if a shipped fit differs from its retraining.
"""

import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np
from sklearn.base import clone

from sk_colour_embed import colour_embedder
from sk_colour_embed._reference import _VERSIONS, fit_key
from sk_colour_embed._shipped import FOLDER, MANIFEST
from sk_colour_embed._state_files import dumps, loads

CONFIGURATIONS = {"lookup+char3": dict(words=False), "lookup+words": dict(words=True)}


def training_of(name):
    """The estimator a reference fit of configuration ``name`` trains, and its reference."""
    embedder = colour_embedder(**CONFIGURATIONS[name])
    own = clone(embedder).set_params(reference=None, memory=None)
    return own, embedder.reference


def write_whole(path, data):
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="retrain and compare; write nothing")
    args = parser.parse_args()
    manifest = {}
    differs = False
    for name in CONFIGURATIONS:
        own, (X, y) = training_of(name)
        key = fit_key(own, X, y)
        fitted = own.fit(X, y)  # trains: fit itself never looks for a shipped fit
        path = FOLDER / f"{key}.fit"
        if args.check:
            shipped = loads(path.read_bytes())
            same = np.array_equal(shipped.transform(X), fitted.transform(X))
            differs |= not same
            print(f"{name}: {path.name} {'the same' if same else 'DIFFERS'}")
            continue
        data = dumps(fitted)
        write_whole(path, data)
        manifest[path.name] = {
            "configuration": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        print(f"{name}: wrote {path.name} ({len(data) / 1e6:.2f} MB)")
    if args.check:
        sys.exit(1 if differs else 0)
    for stale in {p.name for p in FOLDER.glob("*.fit")} - set(manifest):
        (FOLDER / stale).unlink()
    manifest = {
        # The versions in the fits' keys: with others, the same settings train.
        "made_with": {"versions": list(_VERSIONS), "machine": platform.machine()},
        "fits": manifest,
    }
    write_whole(MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


if __name__ == "__main__":
    main()
