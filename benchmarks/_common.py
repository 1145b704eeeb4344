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


def lookup_table(n_items):
    """Each item its own token of weight 1: the engine's tables for a lookup."""
    return np.arange(n_items)[:, None], np.ones((n_items, 1))


def token_table(X, vectorizer, name_vectors=True):
    """The engine's tables for the names of ``X`` read by ``vectorizer``, and the token count."""
    from sk_colour_embed._readers import TokenReader, padded

    names = X["name"].to_numpy(dtype=object)
    tokens = TokenReader.from_names(vectorizer, names, name_vectors)
    return (*padded(tokens.read(names)), len(tokens))


# The callbacks of the epochs of one compiled call follow each other within
# microseconds; a call takes at least a few hundred.
_SAME_CALL_SECONDS = 5e-5


def epoch_seconds(stamps):
    """Seconds of each epoch from the times of the engine's callbacks, epoch 0 first.

    The engine runs several epochs in one compiled call and then calls the
    callbacks of each in turn: a call's time is shared evenly among its epochs.
    """
    stamps = np.asarray(stamps)
    gaps = np.diff(stamps)
    ends = np.flatnonzero(np.append(gaps[1:] > _SAME_CALL_SECONDS, True))  # last epoch of a call
    seconds = np.empty_like(gaps)
    start = 0
    for end in ends:
        seconds[start : end + 1] = (stamps[end + 1] - stamps[start]) / (end + 1 - start)
        start = end + 1
    return seconds


def timed_engine_fit(
    n_items, pairs, labels, *, n_components=2, epochs=500, lazy="auto", seed=0, table=None
):
    """Train with the package's engine; return losses and seconds of each epoch.

    ``table`` is ``(item_tokens, item_weights, n_tokens)``; None is a lookup
    of ``n_items`` items. The first call's epochs include the one-off XLA
    compilation (see :func:`epoch_seconds`).
    """
    import time

    from sk_colour_embed._engine import fit_pair_model
    from sk_colour_embed._params import TrainingConfig

    item_tokens, item_weights, n_tokens = table or (*lookup_table(n_items), n_items)
    config = TrainingConfig(
        n_components=n_components, epochs=epochs, batch_size=512, learning_rate=0.001, lazy=lazy
    )
    stamps = []
    trained = fit_pair_model(
        item_tokens,
        item_weights,
        pairs,
        labels,
        config,
        n_tokens=n_tokens,
        seed=seed,
        rng=np.random.default_rng(seed),
        callbacks=[lambda *_: stamps.append(time.perf_counter())],
    )
    return trained.history.losses, epoch_seconds(stamps)
