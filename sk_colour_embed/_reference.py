"""``reference=``: an embedder that learns from a table of its own, and its kept fits.

An embedder given ``reference=(X, y)`` learns its vectors from the reference
alone (:func:`fitted_state`), so its fitted state depends on its settings and
the reference, not on the rows that ``fit`` gets. ``reference`` is a
parameter, not a wrapper estimator: it is what a user writes in a
``Pipeline`` step, ``get_params`` and ``clone`` carry it as any parameter,
and ``GridSearchCV`` searches the embedder's own parameter names
(``embedder__n_components``) rather than a wrapper's nested ones.

A search over a pipeline fits the embedder once per fold; here the first fit
of a setting trains and the others take a copy of its result. In one process
that needs nothing from the user; worker processes (``n_jobs``, Dask) share
fits through a folder the user names (``memory``), as
``Pipeline(memory=...)`` shares its transformers.

Only seeded fits are kept (see :func:`is_seeded`): an unseeded fit is a new
draw each time, and serving an earlier one would change what it means.

The folder never costs a fit: each fit is one file, written whole or not at
all with its checksum (``_cache_files``). A folder that cannot be read or
written, and a kept fit that is damaged, mean fitting again, with one
warning that names ``memory`` and the folder.
"""

import copy
import os
import pickle
import platform
import threading

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone

import sk_colour_embed
from sk_colour_embed import _cache_files
from sk_colour_embed._cache import BoundedCache
from sk_colour_embed._fitting import is_seeded
from sk_colour_embed._items import refuse_one_shot
from sk_colour_embed._shipped import shipped_fit
from sk_colour_embed._warnings import warn_user

# Fitted estimators kept in a process, the least recently used leaving first.
MAX_FITS = 8


FITS = BoundedCache(MAX_FITS)

# A kept fit is read back by the versions that wrote it only.
_VERSIONS = (
    sk_colour_embed.__version__,
    sklearn.__version__,
    np.__version__,
    pd.__version__,
    platform.python_version(),
)


class SharedFits:
    """Fits kept in a folder that processes share, by key.

    ``location`` is the folder that ``memory`` names: the fits are kept in
    ``joblib/sk_colour_embed/fits`` under it, one folder per fit, as
    ``joblib.Memory`` keeps its results, so that ``Memory.reduce_size`` and
    ``Memory.clear`` bound and clear them too. The temporary files of
    writers are made in the ``fits`` folder, where the next writer removes
    those of writers that died.
    """

    # Folders that failed in this process, not tried again; folders reported.
    _failed = set()
    _warned = set()
    _lock = threading.Lock()

    def __init__(self, location):
        self.location = os.fspath(location)
        self.folder = os.path.join(self.location, "joblib", "sk_colour_embed", "fits")

    def _path(self, key):
        return os.path.join(self.folder, key, "output.pkl")

    def get(self, key):
        """The fit kept under ``key``, or None: none kept, damaged, or the folder unusable."""
        if self.location in self._failed:
            return None
        try:
            return pickle.loads(_cache_files.read_entry(self._path(key)))
        except FileNotFoundError:
            return None
        except OSError as error:
            self._give_up(error)
        except Exception as error:  # damaged, or pickled by code that is not this one
            self._warn(
                f"a fit kept in it cannot be read ({error}), so it is fitted again and "
                "replaced: the same fit."
            )
        return None

    def put(self, key, fitted):
        """Keep ``fitted`` under ``key``; a folder that cannot take it is reported once."""
        if self.location in self._failed:
            return
        try:
            payload = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # a part that cannot be pickled (a lambda, a lock)
            self._warn(f"this fit cannot be kept in a file ({error}): it is not shared.")
            return
        try:
            os.makedirs(os.path.dirname(self._path(key)), exist_ok=True)
            _cache_files.remove_debris(self.folder)
            _cache_files.write_entry(self._path(key), payload, scratch=self.folder)
        except OSError as error:
            self._give_up(error)

    def _give_up(self, error):
        with self._lock:
            self._failed.add(self.location)
        self._warn(
            f"the folder cannot be used ({error.strerror or error}), so fits are not shared "
            "with other processes; they are the same. Give memory a folder that can be read "
            "and written, or None."
        )

    def _warn(self, message):
        with self._lock:
            if self.location in self._warned:
                return
            self._warned.add(self.location)
        warn_user(f"memory={self.location!r}: {message}", RuntimeWarning)


def _shared_fits(memory):
    """The :class:`SharedFits` of ``memory`` (None, a folder or a ``joblib.Memory``), or None."""
    location = getattr(memory, "location", memory)
    return None if location is None else SharedFits(location)


def fitted_copy(estimator, X, y, memory=None):
    """``estimator`` fitted on ``X, y``: a copy of the same fit made before, if any.

    The fit is looked up in this process first, then among the fits that
    ship with the package (``_shipped``), then in ``memory`` (None, a folder
    or a ``joblib.Memory``), and made and kept in this process and
    ``memory`` when it is in none. The caller gets its own copy, so that changing it changes no
    other estimator. Unseeded estimators are fitted afresh every time. A
    ``memory`` that cannot be used costs no fit (see :class:`SharedFits`).

    Parameters
    ----------
    estimator : unfitted estimator
    X, y : the arguments of its ``fit``
    memory : None, str, path or joblib.Memory, default=None

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
        shared = _shared_fits(memory)
        fitted = shipped_fit(key) or (None if shared is None else shared.get(key))
        if fitted is None:
            fitted = estimator.fit(X, y)
            if shared is not None:
                shared.put(key, fitted)
        FITS.put(key, fitted)
    return copy.deepcopy(fitted)


def fit_key(estimator, X, y):
    """The key of ``estimator``'s fit on ``X, y``: the same for the same settings, data and
    library versions (see ``_VERSIONS``)."""
    return joblib.hash((_VERSIONS, estimator, X, y))


def fitted_state(embedder, n_features_in):
    """The fitted attributes of ``embedder``'s fit on its ``reference``, but its columns.

    A copy of the same fit made before, if any (:func:`fitted_copy`, through
    ``embedder.memory``), of a clone without ``reference`` and ``memory``,
    and without this fit's callbacks and progress bar, which see the
    reference fit as one task. ``n_features_in`` is the number of key
    columns of the ``X`` given to ``fit``, which ``transform`` will take:
    the reference's must be the same. The fit's own ``n_features_in_`` and
    ``feature_names_in_`` stay the embedder's.
    """
    reference = embedder.reference
    if len(reference) != 2:
        raise ValueError(
            "reference must be (X, y), the item keys and descriptors that the vectors "
            f"are learned from; it holds {len(reference)} value(s)."
        )
    for value, name in zip(reference, ("reference[0] (X)", "reference[1] (y)"), strict=True):
        refuse_one_shot(value, name)  # before the fit cache reads it to make a key
    own = clone(embedder).set_params(reference=None, memory=None, verbose=0).set_callbacks()
    try:
        fitted = fitted_copy(own, *reference, memory=embedder.memory)
    except ValueError as error:
        raise ValueError(f"reference=(X, y) cannot be learned from: {error}") from None
    if fitted.n_features_in_ != n_features_in:
        raise ValueError(
            f"X has {n_features_in} key column(s), but the reference's X has "
            f"{fitted.n_features_in_}: transform reads keys as the reference gives them."
        )
    return {
        name: value
        for name, value in vars(fitted).items()
        if name.endswith("_") and name not in ("n_features_in_", "feature_names_in_")
    }
