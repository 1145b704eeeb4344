"""The estimators' training parameters: their constraints, and one training's settings.

Both estimators check their parameters against ``TRAINING_CONSTRAINTS`` and
make a :class:`TrainingConfig` of them with :meth:`TrainingConfig.of`, checked
and frozen: what the fit core and the engine read, so that nothing below the
estimators reads an estimator. This module imports neither TensorFlow nor
the package's estimators.
"""

from dataclasses import dataclass, fields
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval


def random_state_params(estimator):
    """``estimator``'s ``random_state`` parameters, its own and its sub-estimators', by name."""
    return {
        name: value
        for name, value in estimator.get_params(deep=True).items()
        if name == "random_state" or name.endswith("__random_state")
    }


# The constraints of the parameters both estimators train with.
TRAINING_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "vectorizer": [HasMethods(["fit", "transform"]), None],
    "name_vectors": ["boolean"],
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    "normalize": ["boolean"],
    "unseen_regressor": [HasMethods(["fit", "predict"]), None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def checked_sizes(hidden_layer_sizes):
    """``hidden_layer_sizes`` as a tuple of positive ints, or an error that says why not.

    An int is one hidden layer, as in ``MLPRegressor``.
    """
    sizes = [hidden_layer_sizes] if not np.ndim(hidden_layer_sizes) else hidden_layer_sizes
    sizes = list(sizes) if np.ndim(np.asarray(sizes, dtype=object)) == 1 else [None]
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must hold positive integers, the width of each hidden layer "
            f"(() for none); it is {hidden_layer_sizes!r}."
        )
    return tuple(int(size) for size in sizes)


# The estimators' default tol: a fall of the judged loss, per epoch, smaller than this
# counts as none. The loss is a mean binary cross-entropy of 0.3 to 0.4 at the end of
# the tutorial's fits, and their score still rises while it falls by 1e-4 an epoch:
# MLPClassifier's tol=1e-4 would stop the tutorial's fit (xkcd) after 165 of its 500
# epochs, scoring 0.858 instead of 0.867, and a table of 400 items with random
# descriptors after 147, scoring 0.806 instead of 0.846; 1e-5 stops them after 308 and
# 417 epochs, within 0.0013 of the full fits (benchmarks/bench_early_stopping.py).
TOL = 1e-5


@dataclass(frozen=True)
class Stopping:
    """When training has converged, and whether it then stops before its last epoch.

    The judged loss is the loss of ``validation_fraction`` of the pairs, held
    out of training, or without it (None) the training loss. With
    ``early_stopping``, training stops once the judged loss has not fallen
    below its best so far by at least ``tol`` for ``n_iter_no_change``
    consecutive epochs, as scikit-learn's ``MLPClassifier`` counts them, and
    the weights of the epoch of the best held-out loss are kept. Without it,
    every epoch runs (as ``HistGradientBoostingRegressor(early_stopping=False)``),
    and ``tol`` only says when a fit that ends has converged (see
    ``_fitting``).
    """

    early_stopping: bool = False
    tol: float = TOL
    n_iter_no_change: int = 10
    validation_fraction: float | None = None

    def split(self, n_pairs, rng):
        """Indices of the training and of the held-out pairs among ``n_pairs``, from ``rng``.

        All pairs train, and none is held out, without early stopping or
        without ``validation_fraction``.
        """
        if not self.early_stopping or self.validation_fraction is None:
            return np.arange(n_pairs), np.arange(0)
        n_held_out = int(np.ceil(self.validation_fraction * n_pairs))
        if n_held_out >= n_pairs:
            raise ValueError(
                f"early_stopping holds out validation_fraction={self.validation_fraction:g} of "
                f"the {n_pairs} training pair(s), {n_held_out}, which leaves none to train on. "
                "Give more pairs, or lower validation_fraction."
            )
        order = rng.permutation(n_pairs)
        return np.sort(order[n_held_out:]), np.sort(order[:n_held_out])


@dataclass(frozen=True)
class TrainingConfig:
    """The settings of one training, as the estimators' parameters of the same names.

    ``negative`` is the number of dissimilar partners drawn for each similar
    pair (``"auto"`` is resolved from the labels by the training core).
    ``lazy``, ``jit_compile`` and ``composed`` choose how the engine trains
    (``"auto"``: by the data; see ``_engine``); the estimators leave them so.
    """

    n_components: int = 2
    hidden_layer_sizes: tuple = ()
    normalize: bool = False
    epochs: int = 500
    batch_size: int = 512
    learning_rate: float = 0.001
    stopping: Stopping = Stopping()
    negative: int | str = 0
    ns_exponent: float = 0.75
    vectorizer: object = None
    name_vectors: bool = True
    record_every: int | None = None
    lazy: bool | str = "auto"
    jit_compile: bool | str = "auto"
    composed: bool | str = "auto"

    @classmethod
    def of(cls, estimator, **settings):
        """The configuration of ``estimator``'s parameters, with ``settings`` given instead.

        Reads the parameters named as the fields, and ``early_stopping``,
        ``tol``, ``n_iter_no_change`` and ``validation_fraction`` into
        ``stopping``; a parameter the estimator does not have keeps the
        field's default.
        """
        params = estimator.get_params(deep=False)
        stopping = Stopping(
            params["early_stopping"],
            params["tol"],
            params["n_iter_no_change"],
            params["validation_fraction"],
        )
        names = {field.name for field in fields(cls)}
        values = {name: value for name, value in params.items() if name in names}
        values = {**values, "stopping": stopping, **settings}
        values["hidden_layer_sizes"] = checked_sizes(values.get("hidden_layer_sizes", ()))
        return cls(**values)
