"""Fits kept for their settings: one training per setting in a search.

An embedder given ``reference=(X, y)`` learns its vectors from the reference
alone, so its fitted state depends on its settings and the reference, not on
the rows that ``fit`` gets. A search over a pipeline fits it once per fold;
here the first fit of a setting trains and the others take a copy of its
result. In one process that needs nothing from the user; worker processes
(``n_jobs``, Dask) share fits through a ``joblib.Memory`` the user names, as
``Pipeline(memory=...)`` shares its transformers.

Only seeded fits are kept (see :func:`is_seeded`): an unseeded fit is a new
draw each time, and serving an earlier one would change what it means.
"""

import copy
import threading
from collections import OrderedDict
from numbers import Integral

import joblib
from sklearn.utils.validation import check_memory

from sk_colour_embed._config import random_state_params
from sk_colour_embed._shipped import shipped_fit

# Fitted estimators kept in a process, the least recently used leaving first.
MAX_FITS = 8


def is_seeded(estimator):
    """Whether every random part of ``estimator``'s fit is fixed by an integer seed.

    A ``random_state`` left None in a sub-estimator is unseeded, but for the
    sampler's and the ``unseen_regressor``'s (at any depth), which the
    estimator's own seeds.
    """
    seeds = random_state_params(estimator)
    seeded_by_the_estimator = ("sampler__random_state", "unseen_regressor__")
    return all(
        isinstance(value, Integral) or (value is None and name.startswith(seeded_by_the_estimator))
        for name, value in seeds.items()
    )


def _fit(estimator, X, y):
    # Module level, so that joblib.Memory can key its results on the arguments.
    return estimator.fit(X, y)


class _FitsInProcess:
    """At most ``max_fits`` fitted estimators of this process, by key."""

    def __init__(self, max_fits=MAX_FITS):
        self.max_fits = max_fits
        self._fits = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            fitted = self._fits.get(key)
            if fitted is not None:
                self._fits.move_to_end(key)
            return fitted

    def put(self, key, fitted):
        with self._lock:
            self._fits[key] = fitted
            self._fits.move_to_end(key)
            while len(self._fits) > self.max_fits:
                self._fits.popitem(last=False)

    def clear(self):
        with self._lock:
            self._fits.clear()


FITS = _FitsInProcess()


def fitted_copy(estimator, X, y, memory=None):
    """``estimator`` fitted on ``X, y``: a copy of the same fit made before, if any.

    The fit is looked up in this process first, then in ``memory`` (None, a
    folder or a ``joblib.Memory``), and made and kept in both when it is in
    neither. The caller gets its own copy, so that changing it changes no
    other estimator. Unseeded estimators are fitted afresh every time.

    Parameters
    ----------
    estimator : unfitted estimator
    X, y : the arguments of its ``fit``
    memory : None, str or joblib.Memory, default=None

    Returns
    -------
    fitted : estimator
        Bit for bit what ``estimator.fit(X, y)`` gives.
    """
    if not is_seeded(estimator):
        return estimator.fit(X, y)
    key = fit_key(estimator, X, y)
    fitted = FITS.get(key)
    if fitted is None:
        fitted = shipped_fit(key) or check_memory(memory).cache(_fit)(estimator, X, y)
        FITS.put(key, fitted)
    return copy.deepcopy(fitted)


def fit_key(estimator, X, y):
    """The key of ``estimator``'s fit on ``X, y``: the same for the same settings and data."""
    return joblib.hash((estimator, X, y))
