"""Shared helpers of the benchmark scripts."""

import os
import platform
import resource

import numpy as np


def machine():
    """A one-line description of this machine and the library versions."""
    import sklearn

    from sk_colour_embed._keras_env import keras, tf

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, scikit-learn {sklearn.__version__}"
    )


def peak_memory_gib():
    """Peak resident memory of this process so far, in GiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def median(values):
    return float(np.median(values))


def draw_pairs(X, y, n_pairs, seed=0, threshold=0.2):
    """The tutorial's labelled pairs as item-index pairs, as ``fit`` draws them."""
    from sk_colour_embed import PairSampler

    sampler = PairSampler(n_pairs=n_pairs, threshold=threshold, random_state=seed).fit(X, y)
    (first, second), _, similar = sampler.draw_index_pairs()
    return len(sampler.items_), np.column_stack([first, second]), similar


def timed_engine_fit(n_items, pairs, labels, *, n_components=2, epochs=500, sparse="auto", seed=0):
    """Train with the package's engine; return losses and seconds of each epoch.

    The first epoch's time includes the one-off XLA compilation.
    """
    import time

    from sk_colour_embed import build_pair_model
    from sk_colour_embed._engine import train

    model = build_pair_model(n_items, n_components, seed=seed)
    stamps = [time.perf_counter()]
    losses = train(
        model,
        pairs,
        labels,
        epochs=epochs,
        batch_size=512,
        learning_rate=0.001,
        rng=np.random.default_rng(seed),
        sparse=sparse,
        on_epoch_end=lambda *_: stamps.append(time.perf_counter()),
    )
    return losses, np.diff(stamps)
