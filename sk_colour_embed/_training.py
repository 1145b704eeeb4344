"""The training core: from items, labelled index pairs and a configuration to fitted vectors.

Both estimators validate their own input, then call :func:`train_vectors`
with the distinct item keys, the pairs as indices into them, 0/1 labels, a
:class:`~sk_colour_embed._config.TrainingConfig` and the seeds; it reads the
items once, trains with the engine and returns a :class:`Training` of NumPy
objects. Neither estimator reaches into the other.
"""

from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from sk_colour_embed._callbacks import ProgressBar, Recorder
from sk_colour_embed._config import random_state_params
from sk_colour_embed._tokens import padded, read_items
from sk_colour_embed._vectors import ItemVectors, RegressedItemVectors
from sk_colour_embed._warnings import warn_user

# The loss over the last tenth of the epochs falling by more than this share
# of the tenth before: training has clearly not converged...
_STILL_FALLING = 0.01
_MIN_EPOCHS_TO_JUDGE = 20
# ... unless it falls by less than this per epoch, in loss units: as scikit-learn's
# tol, an absolute scale on which a loss of 0.001 falling by a fifth has converged.
_TOL = 1e-4
# The model starts with a probability of about 0.5 for every pair (zero bias, vectors
# near 0), a loss of log(2); a loss that ends this many times higher has diverged.
_START_LOSS = np.log(2.0)
_DIVERGED = 2.0
# Dissimilar partners drawn for each similar pair when every label is 1 (negative="auto").
_AUTO_NEGATIVE = 5


def spread_seeds(random_state, n):
    """``n`` seeds drawn from ``random_state``: one per random part of a fit."""
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n)


def check_regressor_keys(regressor, n_key_columns):
    """Refuse an ``unseen_regressor`` (None: none) for items of several key columns."""
    if regressor is not None and n_key_columns != 1:
        raise ValueError(
            f"unseen_regressor reads one column of keys, but the items of X have "
            f"{n_key_columns} key columns each. Give one key column (the names), or "
            "unseen_regressor=None."
        )


def with_regressor(vectors, regressor, seed):
    """``vectors`` with a clone of ``regressor`` fitted on its training keys and vectors.

    The estimators' ``unseen_regressor``. The clone's ``random_state``
    parameters left at None get ``seed``, as the sampler's does. Training
    names without a vector (with a vectorizer, no token kept) are left out
    of its fit.
    """
    regressor = clone(regressor)
    unseeded = [name for name, value in random_state_params(regressor).items() if value is None]
    regressor.set_params(**dict.fromkeys(unseeded, seed))
    known = ~np.isnan(vectors.vectors[:, 0])
    keys = np.asarray(vectors.keys[known], dtype=object)
    try:
        regressor.fit(keys, vectors.vectors[known])
    except (TypeError, ValueError) as error:  # the regressor's own words, and where
        raise ValueError(
            f"unseen_regressor could not be fitted on the training keys and their vectors: "
            f"{type(error).__name__}: {error}"
        ) from error
    return RegressedItemVectors(vectors, regressor)


def resolved_negative(negative, labels):
    """The number of negative partners of each similar pair: ``"auto"`` draws 5 when all are."""
    if negative == "auto":
        return _AUTO_NEGATIVE if np.all(labels == 1) else 0
    return negative


@dataclass(frozen=True)
class Training:
    """What a training leaves, NumPy only.

    Attributes
    ----------
    vectors : ItemVectors
    history : dict
        ``{"loss": list}``, and ``"val_loss"`` with early stopping.
    n_iter : int
        The epochs run.
    prior : float
        The share of similar pairs in training, negative partners included.
    recording : tuple (epochs, frames) or None
        The recorded vectors, with ``record_every``.
    """

    vectors: ItemVectors
    history: dict
    n_iter: int
    prior: float
    recording: tuple | None = None


def train_vectors(keys, pairs, labels, config, seeds, callbacks=()):
    """Learn the vectors of the items ``keys`` from labelled pairs of them.

    Parameters
    ----------
    keys : pandas.Index
        The distinct items, validated.
    pairs : ndarray of shape (n_pairs, 2), int
        Item indices into ``keys``.
    labels : ndarray of shape (n_pairs,)
        1 for a similar pair, 0 otherwise.
    config : TrainingConfig
    seeds : tuple of two ints
        The seed of the initial weights, and of the epochs' orders (and of
        the negative partners and held-out pairs).
    callbacks : sequence of callables, default=()
        Called as ``callback(epoch, loss, variables)`` before the first
        epoch and after each (see ``_callbacks``), after the recording and
        the progress bar that ``config`` asks for.

    Returns
    -------
    Training

    Raises
    ------
    ValueError
        When the reader places fewer than 2 items, no pair is left, or
        training diverges to non-numbers.
    """
    from sk_colour_embed._xla_cache import COMPILATION_CACHE

    # Before TensorFlow's import: it reads the cache's flag once.
    COMPILATION_CACHE.prepare()
    from sk_colour_embed._engine import fit_pair_model  # imports TensorFlow

    reader, item_weights = read_items(config.vectorizer, keys, config.name_vectors)
    pairs, labels = _pairs_of_placed_items(item_weights, pairs, labels)
    negative = resolved_negative(config.negative, labels)
    if negative and not np.any(labels == 1):
        raise ValueError(
            "no similar pair is left to draw negative partners for: every similar pair "
            "has a name with no token. Read more of the names, or give more pairs."
        )
    recorder = None
    if config.record_every:
        recorder = Recorder(config.record_every, item_weights, config.normalize)
    progress = ProgressBar(config.epochs) if config.verbose else None
    callbacks = [c for c in (recorder, progress) if c is not None] + list(callbacks)
    init_seed, order_seed = seeds
    trained = fit_pair_model(
        *padded(item_weights),
        pairs,
        labels,
        replace(config, negative=negative),
        n_tokens=len(reader),
        seed=int(init_seed),
        rng=np.random.default_rng(order_seed),
        callbacks=callbacks,
    )
    if progress is not None:
        progress.close()
    _check_training(trained, config.learning_rate)
    vectors = ItemVectors(
        keys,
        trained.token_vectors,
        distance_scale=trained.distance_scale,
        similarity_bias=trained.similarity_bias,
        reader=reader,
        normalize=config.normalize,
        encoder=trained.encoder,
        _item_weights=item_weights,
    )
    history = {"loss": trained.losses.tolist()}
    if trained.val_losses is not None:
        history["val_loss"] = trained.val_losses.tolist()
    similar = np.sum(labels == 1)
    return Training(
        vectors,
        history,
        n_iter=len(trained.losses),
        prior=similar / (len(labels) + negative * similar),
        recording=None if recorder is None else recorder.result(),
    )


def _pairs_of_placed_items(item_weights, pairs, labels):
    """The pairs whose two items have a token (``read_items`` said which have none)."""
    placed = np.diff(item_weights.indptr) > 0
    if placed.all():
        return pairs, labels
    keep = placed[pairs[:, 0]] & placed[pairs[:, 1]]
    if not keep.any():
        raise ValueError(
            "every pair has a name with no token, so nothing is left to train on; "
            "give more pairs or read more of the names."
        )
    return pairs[keep], labels[keep]


def _check_training(trained, learning_rate):
    """Refuse a fit that diverged to non-numbers; warn once if it diverged or has not converged.

    ``trained`` is the engine's ``TrainedWeights``. A fit that stopped by
    ``tol`` (its judged loss had stopped falling) has converged by that rule.
    """
    losses = trained.losses
    weights = (
        trained.token_vectors,
        *trained.encoder,
        trained.distance_scale,
        trained.similarity_bias,
    )
    if not all(np.isfinite(w).all() for w in (losses, *weights)):
        bad = np.flatnonzero(~np.isfinite(losses))
        when = f"in epoch {bad[0] + 1} of {len(losses)}" if len(bad) else "in the last step"
        raise ValueError(
            f"training diverged: the loss or the weights stopped being numbers {when}, so "
            f"there are no vectors to keep. Lower learning_rate (now {learning_rate:g})."
        )
    if losses[-1] > _DIVERGED * _START_LOSS:
        warn_user(
            f"training diverged: the loss ends at {losses[-1]:.4g}, far above the "
            f"{_START_LOSS:.3f} it starts from (a probability of 0.5 for every pair), so the "
            f"vectors mean little. Lower learning_rate (now {learning_rate:g}).",
            ConvergenceWarning,
        )
    elif len(losses) >= _MIN_EPOCHS_TO_JUDGE and not trained.converged:
        tenth = len(losses) // 10
        before, last = np.mean(losses[-2 * tenth : -tenth]), np.mean(losses[-tenth:])
        drop = (before - last) / before
        if drop > _STILL_FALLING and (before - last) / tenth > _TOL:
            warn_user(
                f"training has not converged: the loss fell by {drop:.1%} over the last "
                f"{tenth} of {len(losses)} epochs, so the vectors (and most_similar) are not "
                "settled yet. Raise epochs, or learning_rate.",
                ConvergenceWarning,
            )
