"""The one fit: from checked items or pairs and a configuration to a :class:`FitResult`.

Both estimators validate their input once, at their edge, and make one call
to :func:`fit_vectors` with the distinct item keys, where the pairs come from
(:class:`GivenPairs`, the classifier's, or :class:`DrawnPairs`, drawn from
an item table by a sampler, the embedder's), a
:class:`~sk_colour_embed._params.TrainingConfig` and ``random_state``. It
owns the rest: the seeds (:func:`draw_seeds`), the pairs, the reading of the
items, the engine, the convergence checks and the ``unseen_regressor``, and
returns NumPy objects the estimator stores. Nothing here imports an
estimator; the engine (TensorFlow) is imported at the first fit.
"""

import functools
from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, get_tags

from sk_colour_embed._callbacks import Recorder
from sk_colour_embed._params import random_state_params
from sk_colour_embed._readers import padded, read_items
from sk_colour_embed._sampling import fitted_sampler
from sk_colour_embed._vectors import ItemVectors, RegressedItemVectors
from sk_colour_embed._warnings import warn_user

# A fit that ran all its epochs has not converged while its judged loss (the held-out
# pairs' with early stopping, the training loss otherwise) still falls at its end: while
# the least-squares slope over its last _JUDGED_EPOCHS * n_iter_no_change epochs (all of
# a shorter fit, at least _MIN_EPOCHS_TO_JUDGE) falls faster than tol an epoch, the fall
# that early stopping counts as none, and by more than _CLEAR_FALL standard errors of
# the slope. At the end of a fit, the loss of small batches, or of fresh negative
# partners every epoch, goes up and down by up to 1e-3 from one epoch to the next: the
# standard error keeps that noise from reading as a fall. On the tutorial's fit (xkcd,
# 500 epochs) the loss falls by 5e-3 an epoch after 20 epochs (scoring 0.447), by 4e-5
# after 200 (0.862) and by 1e-6 after 500 (0.867); see benchmarks/bench_early_stopping.py.
_JUDGED_EPOCHS = 2
_MIN_EPOCHS_TO_JUDGE = 3
_CLEAR_FALL = 2.0
# The model starts with a probability of about 0.5 for every pair (zero bias, vectors
# near 0), a loss of log(2); a loss that ends this many times higher has diverged.
_START_LOSS = np.log(2.0)
_DIVERGED = 2.0
# Dissimilar partners drawn for each similar pair when every label is 1 (negative="auto").
_AUTO_NEGATIVE = 5


# The random parts of a fit, in the order their seeds are drawn: a fit draws one seed
# for each part it has (the classifier has no sampler; a regressor is optional), so
# that the first seeds of every fit are drawn the same way.
SEED_PARTS = ("sampler", "init", "order", "regressor")
# The components whose random_state a fit seeds when it is None, by parameter name.
SEEDED_COMPONENTS = ("sampler", "unseen_regressor")


def draw_seeds(random_state, parts):
    """One seed for each random part of a fit in ``parts``, drawn from ``random_state``.

    Drawn in the order of ``SEED_PARTS``, one value each: an integer
    ``random_state`` gives a part the same seed whatever other parts the fit
    has. A ``RandomState`` instance moves on by one value a part, so the fit
    after it depends on how many parts this one had.

    >>> seeds = draw_seeds(0, {"init", "order"})
    >>> bool(seeds["init"] == draw_seeds(0, {"init", "order", "regressor"})["init"])
    True
    """
    parts = [part for part in SEED_PARTS if part in parts]
    values = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=len(parts))
    return dict(zip(parts, values, strict=True))


def is_seeded(estimator):
    """Whether every random part of ``estimator``'s fit is fixed by an integer seed.

    A ``random_state`` left None in a sub-estimator is unseeded, but for those
    of ``SEEDED_COMPONENTS`` (at any depth), which the fit seeds.
    """
    seeded_by_the_fit = tuple(f"{name}__" for name in SEEDED_COMPONENTS)
    return all(
        isinstance(value, Integral) or (value is None and name.startswith(seeded_by_the_fit))
        for name, value in random_state_params(estimator).items()
    )


def check_regressor(regressor, n_key_columns):
    """Refuse an ``unseen_regressor`` (None: none) that is not a regressor of one key column.

    Before training, so that a fit refused for its regressor costs nothing. A
    regressor is what scikit-learn's tags call one (``RegressorMixin``, or a
    ``Pipeline`` ending in one): a clusterer or a classifier also has ``fit``
    and ``predict``, and would give each key a label, not a vector.
    """
    if regressor is None:
        return
    try:
        kind = get_tags(regressor).estimator_type
    except AttributeError:  # not a scikit-learn estimator: it has no tags
        kind = None
    if kind != "regressor":
        what = f"a {kind}" if kind else "not tagged as a regressor"
        raise ValueError(
            f"unseen_regressor must be a scikit-learn regressor, which predicts a vector for "
            f"each key, but {type(regressor).__name__} is {what}. Give a regressor (or a "
            "Pipeline ending in one); a class of your own inherits RegressorMixin and "
            "BaseEstimator."
        )
    if n_key_columns != 1:
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
class FitResult:
    """What a fit leaves, NumPy only: the estimators store it as their fitted attributes.

    Attributes
    ----------
    vectors : ItemVectors
        A :class:`RegressedItemVectors` with an ``unseen_regressor``.
    history : dict
        ``{"loss": list}``, and ``"val_loss"`` with early stopping.
    n_iter : int
        The epochs run.
    prior : float
        The share of similar pairs in training, negative partners included.
    recording : tuple (epochs, frames) or None
        The recorded vectors, with ``record_every``.
    sampler : PairSampler or None
        The fitted sampler that drew the pairs (:class:`DrawnPairs`).
    """

    vectors: ItemVectors
    history: dict
    n_iter: int
    prior: float
    recording: tuple | None = None
    sampler: object = None


@dataclass(frozen=True)
class GivenPairs:
    """Labelled pairs as the user gave them (the classifier's).

    ``pairs`` holds item indices into the fit's keys, shape (n_pairs, 2);
    ``labels`` 1 for a similar pair, 0 otherwise.
    """

    pairs: np.ndarray
    labels: np.ndarray
    random_parts = frozenset()

    def draw(self, seeds):
        return self.pairs, self.labels, None


@dataclass(frozen=True)
class DrawnPairs:
    """Pairs that a sampler draws from an item table (the embedder's).

    ``sampler`` is an unfitted ``PairSampler``, a clone of the user's: a
    ``random_state`` left None gets the fit's ``"sampler"`` seed. ``items``
    is the validated :class:`ItemTable`, made of ``n_samples`` rows whose
    ``X`` had ``columns`` (``_sampling.fitted_columns``).
    """

    sampler: object
    items: object
    columns: dict
    n_samples: int
    random_parts = frozenset({"sampler"})

    def draw(self, seeds):
        sampler = self.sampler
        if sampler.random_state is None:
            sampler.set_params(random_state=seeds["sampler"])
        sampler = fitted_sampler(sampler, self.items, self.columns, self.n_samples)
        (first, second), _, similar = sampler.draw_index_pairs()
        return np.column_stack([first, second]), similar, sampler


def fit_vectors(keys, pairs, config, random_state, *, regressor=None, on_epoch=None):
    """The one fit: learn the vectors of the items ``keys`` from labelled pairs of them.

    Parameters
    ----------
    keys : pandas.Index
        The distinct items, validated.
    pairs : GivenPairs or DrawnPairs
        Where the labelled pairs come from.
    config : TrainingConfig
    random_state : int, RandomState instance or None
        Seeds every random part of the fit (see :func:`draw_seeds`).
    regressor : regressor or None, default=None
        The ``unseen_regressor``, checked (``check_regressor``): a clone is
        fitted on the training keys and their vectors.
    on_epoch : callable or None, default=None
        As :func:`train_vectors` takes it (its results have no regressor).

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        As :func:`train_vectors` does.
    """
    parts = {"init", "order"} | pairs.random_parts
    seeds = draw_seeds(random_state, parts | ({"regressor"} if regressor is not None else set()))
    index_pairs, labels, sampler = pairs.draw(seeds)
    if on_epoch is not None:
        told = on_epoch

        def on_epoch(epoch, made):  # the epochs' results carry the sampler that drew the pairs
            return told(epoch, lambda: replace(made(), sampler=sampler))

    result = train_vectors(
        keys, index_pairs, labels, config, (seeds["init"], seeds["order"]), on_epoch=on_epoch
    )
    vectors = result.vectors
    if regressor is not None:
        vectors = with_regressor(vectors, regressor, seeds["regressor"])
    return replace(result, vectors=vectors, sampler=sampler)


def train_vectors(keys, pairs, labels, config, seeds, callbacks=(), on_epoch=None):
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
        epoch and after each (see ``_callbacks``), after the recording that
        ``config`` asks for.
    on_epoch : callable or None, default=None
        Called as ``on_epoch(epoch, training)`` before the first epoch and
        after each, ``training()`` giving the :class:`FitResult` as it stands
        then (built on demand): scikit-learn's callbacks (see
        ``_callbacks.EpochTasks``). True after an epoch ends training there.

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        When the reader places fewer than 2 items, no pair is left, or
        training diverges to non-numbers.
    """
    from sk_colour_embed._engine import fit_pair_model

    reader, item_weights = read_items(config.vectorizer, keys, config.name_vectors)
    pairs, labels = _pairs_of_placed_items(item_weights, pairs, labels)
    negative = resolved_negative(config.negative, labels)
    if negative and not np.any(labels == 1):
        raise ValueError(
            "no similar pair is left to draw negative partners for: every similar pair "
            "has a name with no token. Read more of the names, or give more pairs."
        )
    similar = np.sum(labels == 1)
    prior = similar / (len(labels) + negative * similar)
    recorder = None
    if config.record_every:
        recorder = Recorder(config.record_every, item_weights, config.normalize)
    callbacks = ([] if recorder is None else [recorder]) + list(callbacks)
    if on_epoch is not None:
        made = functools.partial(
            _training_so_far, keys, reader, item_weights, config.normalize, prior
        )
        callbacks.append(_TellEachEpoch(on_epoch, made))
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
    _check_training(trained, config)
    vectors = ItemVectors(
        keys,
        trained.token_vectors,
        distance_scale=trained.distance_scale,
        similarity_bias=trained.similarity_bias,
        reader=reader,
        normalize=config.normalize,
        encoder=trained.encoder,
        item_weights=item_weights,
    )
    losses, val_losses = trained.history.losses, trained.history.val_losses
    history = {"loss": losses.tolist()}
    if val_losses is not None:
        history["val_loss"] = val_losses.tolist()
    return FitResult(
        vectors,
        history,
        n_iter=len(losses),
        prior=prior,
        recording=None if recorder is None else recorder.result(),
    )


class _TellEachEpoch:
    """The engine's callback that gives ``on_epoch`` the :class:`FitResult` of each epoch."""

    def __init__(self, on_epoch, made):
        self.on_epoch, self.made = on_epoch, made
        self.losses = []

    def __call__(self, epoch, loss, variables):
        if epoch:
            self.losses.append(loss)
        # Built while on_epoch runs, if a callback asks: the weights are this epoch's.
        return self.on_epoch(epoch, lambda: self.made(variables(), list(self.losses)))


def _training_so_far(keys, reader, item_weights, normalize, prior, variables, losses):
    """The :class:`FitResult` of the model's trainable weights ``variables``, after ``losses``."""
    from sk_colour_embed._model import distance_scale

    token_vectors, *encoder, raw_scale, bias = variables
    vectors = ItemVectors(
        keys,
        token_vectors,
        distance_scale=distance_scale(raw_scale),
        similarity_bias=float(bias),
        reader=reader,
        normalize=normalize,
        encoder=encoder,
        item_weights=item_weights,
    )
    return FitResult(vectors, {"loss": losses}, n_iter=len(losses), prior=prior)


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


def _check_training(trained, config):
    """Refuse a fit that diverged to non-numbers; warn once if it diverged or has not converged.

    ``trained`` is the engine's ``TrainedWeights``, ``config`` the
    ``TrainingConfig`` it trained with. A fit that early stopping ended (its
    judged loss had stopped falling) has converged by that rule; one that a
    callback ended was ended on purpose. Otherwise, see ``_JUDGED_EPOCHS``.
    """
    history, learning_rate = trained.history, config.learning_rate
    losses = history.losses
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
    elif not (history.stopped_early or history.interrupted):
        judged = history.val_losses if history.val_losses is not None else losses
        name = "held-out loss" if history.val_losses is not None else "loss"
        stopping = config.stopping
        window = min(len(judged), _JUDGED_EPOCHS * stopping.n_iter_no_change)
        fall = _still_falling(judged[-window:], stopping.tol)
        if fall is not None:
            warn_user(
                f"training has not converged: the {name} still falls by {fall:.2g} an epoch "
                f"over the last {window} of {len(losses)} epochs (more than tol={stopping.tol:g}), "
                "so the vectors (and most_similar) are not settled yet. Raise epochs, or "
                "learning_rate.",
                ConvergenceWarning,
            )


def _still_falling(losses, tol):
    """The fall of ``losses`` an epoch if it is clearly more than ``tol``, else None.

    Its least-squares slope, when steeper than ``tol`` and than ``_CLEAR_FALL``
    times its standard error; None for fewer than ``_MIN_EPOCHS_TO_JUDGE`` epochs.

    >>> _still_falling([0.50, 0.40, 0.31, 0.20], tol=1e-5) > 0.09
    True
    >>> _still_falling([0.30, 0.31, 0.29, 0.30, 0.30], tol=1e-5) is None
    True
    """
    losses = np.asarray(losses, dtype=np.float64)
    n = len(losses)
    if n < _MIN_EPOCHS_TO_JUDGE:
        return None
    epochs = np.arange(n) - (n - 1) / 2
    slope = epochs @ losses / (epochs @ epochs)
    residuals = losses - losses.mean() - slope * epochs
    standard_error = np.sqrt(residuals @ residuals / (n - 2) / (epochs @ epochs))
    fall = -slope
    if fall > tol and fall > _CLEAR_FALL * standard_error:
        return float(fall)
    return None
