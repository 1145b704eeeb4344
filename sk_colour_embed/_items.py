"""Item tables: the rows of ``X`` are item keys, the rows of ``y`` descriptors.

A row's values together identify an item. Repeated keys are one item, whose
descriptor is the mean of its rows.
"""

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import validate_data

from sk_colour_embed._warnings import warn_user

_MAX_KEYS_SHOWN = 5


def set_item_tags(tags):
    """Tags shared by the estimators whose ``X`` holds item keys."""
    tags.input_tags.categorical = True
    tags.input_tags.string = True
    tags.target_tags.required = True
    tags.target_tags.single_output = True
    tags.target_tags.multi_output = True
    return tags


# Squared differences of descriptors beyond this overflow float64.
_MAX_DESCRIPTOR = 6e153


def missing_rows(X):
    """Positions of the rows of the validated 2-D array ``X`` with a missing key (None, NaN)."""
    return np.flatnonzero(pd.isna(pd.DataFrame(X)).to_numpy().any(axis=1))


def check_no_missing(X, way_out=""):
    """Raise the one error for missing keys (None, NaN) in the validated 2-D ``X``, if any.

    It says how many rows and the first; ``way_out`` is a sentence that
    follows it, what the caller can do instead.
    """
    missing = missing_rows(X)
    if len(missing):
        raise ValueError(
            f"X has a missing key (None or NaN) in {len(missing)} row(s), the first at row "
            f"{missing[0]}.{' ' + way_out if way_out else ''}"
        )


# -- items without a vector: one vocabulary ------------------------------------


# The constraint of an estimator's ``handle_unknown``.
HANDLE_UNKNOWN = StrOptions({"error", "ignore"})


def ignores_unknown(handle_unknown):
    """Whether ``handle_unknown`` lets items without a vector through (``"ignore"``).

    What "ignore" gives such an item is the uninformative answer of each
    method: a NaN vector, the prior probability of similar, the index -1.
    """
    if handle_unknown not in ("error", "ignore"):
        raise ValueError(f"handle_unknown must be 'error' or 'ignore'; got {handle_unknown!r}.")
    return handle_unknown == "ignore"


def _is_infinite(value):
    return isinstance(value, float | np.floating) and bool(np.isinf(value))


def reject_infinite_keys(X):
    """Raise a ``ValueError`` naming the first row of the validated 2-D ``X`` that holds inf."""
    if X.dtype.kind in "fc":
        infinite = ~np.isfinite(X)
    elif X.dtype.kind == "O":  # floats among other keys
        infinite = np.frompyfunc(_is_infinite, 1, 1)(X).astype(bool)
    else:
        return
    if infinite.any():
        row = np.flatnonzero(infinite.any(axis=1))[0]
        raise ValueError(f"X must hold finite keys, but row {row} holds inf: {X[row].tolist()}.")


def _kept(given, converted):
    """Whether NumPy's ``converted`` value is the ``given`` key: equal, and a bool only if
    it was one (pandas looks a bool up among bools alone)."""
    if isinstance(given, bool) != isinstance(converted, bool):
        return False
    try:
        return bool(given == converted)
    except (TypeError, ValueError):  # pandas.NA has no truth value
        return False


def keys_as_given(X):
    """``X``, with a list or tuple of rows made an array that keeps every key as given.

    NumPy gives a list one dtype: in ``[["a"], [1]]`` the int becomes the string ``"1"``
    (one item with ``["1"]``), a NaN among strings the string ``"nan"`` (no longer
    missing), a large int among floats a nearby float, ``False`` among floats ``0.0``
    (which pandas no longer finds for ``False``). When NumPy's array changes a value or
    makes a bool a number, the keys are kept as the objects given, as in a DataFrame's
    object column. Arrays, DataFrames and Series keep their own dtypes.
    """
    if not isinstance(X, list | tuple):
        return X
    try:
        converted = np.asarray(X)
        given = np.array(X, dtype=object)
    except ValueError:  # rows of different lengths: validate_data says so
        return X
    if converted.dtype.kind == "O" or given.shape != converted.shape:
        return X
    changed = not all(map(_kept, given.ravel(), converted.ravel().tolist()))
    return given if changed else converted


def _is_polars(X, kind):
    """Whether ``X`` is a polars ``kind`` ("Series", "DataFrame"), without importing polars."""
    polars = sys.modules.get("polars")
    return polars is not None and isinstance(X, getattr(polars, kind))


def _is_one_column(X):
    """Whether ``X`` is a 1-D sequence of keys: a Series (pandas or polars), a 1-D array, a
    flat list or tuple."""
    if isinstance(X, pd.Series) or _is_polars(X, "Series"):
        return True
    if isinstance(X, np.ndarray):
        return X.ndim == 1
    return isinstance(X, list | tuple) and not any(
        isinstance(value, list | tuple | np.ndarray) for value in X
    )


def _table_column(X):
    """The one column of a one-column table (pandas or polars DataFrame), else None."""
    if isinstance(X, pd.DataFrame) and X.shape[1] == 1:
        return X.iloc[:, 0]
    if _is_polars(X, "DataFrame") and X.width == 1:
        return X.to_series()
    return None


def as_columns(estimator, X, reset):
    """``X`` with its columns: a 1-D sequence of keys becomes a table of one column.

    scikit-learn's text vectorizers and skrub's encoders take a column of
    names as a list, an array or a Series (pandas or polars); here it is
    the one key column. Its values keep their types (``["1", 1]`` stays a
    string and an integer, as :func:`keys_as_given` keeps them). A Series
    keeps its name as the column's at fit.

    After a fit on one key column, that column is taken under any name, as
    a text vectorizer takes any column of text: a 1-D column, and a table of
    one column too (``df[["paint"]]`` after a fit on ``df[["name"]]``, or on
    a list), which becomes the fitted column. scikit-learn's rule that the
    columns' names match those of fit holds from two key columns on, where
    the names say which column is which.
    """
    if not reset and getattr(estimator, "n_features_in_", None) == 1:
        column = _table_column(X)
        X = X if column is None else column
    if not _is_one_column(X):
        return X
    n_fitted = getattr(estimator, "n_features_in_", 1)
    if not reset and n_fitted != 1:
        raise ValueError(
            f"X is 1-D, one column of keys, but fit saw {n_fitted} key columns. Reshape your "
            f"data: one row per item, with its {n_fitted} keys."
        )
    series_name = None
    if _is_polars(X, "Series"):  # its values as Python objects, as a list's
        series_name, X = X.name or None, X.to_list()  # polars names a Series "" by default
    if isinstance(X, list | tuple):  # through keys_as_given: ["1", 1] stays two keys
        X = np.asarray(keys_as_given([[value] for value in X])).reshape(len(X), 1)[:, 0]
    column = pd.Series(X, copy=False, name=series_name)
    fitted = getattr(estimator, "feature_names_in_", None)
    if reset:
        name = column.name if isinstance(column.name, str) else None
    else:
        name = fitted[0] if fitted is not None and len(fitted) == 1 else None
    if name is None:
        # No column name: scikit-learn records feature names only when all are strings.
        return pd.DataFrame({0: column.to_numpy()})
    return pd.DataFrame({name: column.to_numpy()})


def refuse_one_shot(value, name):
    """Raise a ``TypeError`` naming ``name`` if ``value`` (or one of its rows) can be read once.

    A generator, ``map``, ``zip`` or file is used up by its first reading; a fit
    reads its input more than once (to check it, to key the fit cache, to
    train), and would find it empty or fail deep inside.
    """
    rows = value if isinstance(value, list | tuple) else ()
    where, one_shot = next(
        ((f"{name}[{i}]", row) for i, row in enumerate(rows) if isinstance(row, Iterator)),
        (name, value),
    )
    if isinstance(one_shot, Iterator):
        raise TypeError(
            f"{where} is a {type(one_shot).__name__}, which can be read only once: give a "
            "list, an array, a Series or a DataFrame instead (list(...) reads it into one)."
        )


def validate_keys(estimator, X, reset=False):
    """``validate_data`` for item keys ``X`` of any dtype; missing keys are left in.

    ``X`` may be 2-D (rows of key columns) or a 1-D column of keys; after a
    fit on one key column, its one column under any name (see :func:`as_columns`).
    """
    refuse_one_shot(X, "X")
    X = keys_as_given(as_columns(estimator, X, reset))
    return validate_data(estimator, X, reset=reset, dtype=None, ensure_all_finite=False)


def _n_rows(X):
    """The number of rows of ``X``, or None when it has none to count (validate_data says why)."""
    shape = getattr(X, "shape", None)
    if shape is not None:
        return shape[0] if len(shape) else None
    return len(X) if isinstance(X, Sequence) and not isinstance(X, str) else None


def validate_items(estimator, X, y, reset=True):
    """``validate_data`` for item keys ``X`` (any dtype) and descriptors ``y``.

    Every row must name an item, and the descriptors must be numbers whose
    squared differences are finite. ``X`` may be a 1-D column of keys; after
    a fit on one key column, its one column under any name (see :func:`as_columns`).
    """
    refuse_one_shot(X, "X")
    refuse_one_shot(y, "y")
    X = as_columns(estimator, X, reset)
    if y is not None:
        y = np.asarray(y)
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported: y must hold real descriptors.")
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"y must hold numeric descriptors: {error}") from None
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError(
                f"y must hold at least one descriptor column; it has none (shape {y.shape})."
            )
        n_rows = _n_rows(X)
        if n_rows is not None and y.ndim and len(y) != n_rows:
            raise ValueError(
                f"y must hold one row of descriptors for each row of X; X has {n_rows} "
                f"row(s), y {len(y)}."
            )
    X = keys_as_given(X)
    X, y = validate_data(
        estimator, X, y, reset=reset, dtype=None, ensure_all_finite=False, multi_output=True
    )
    check_no_missing(X)
    reject_infinite_keys(X)
    largest = float(np.max(np.abs(y), initial=0.0))
    if not largest <= _MAX_DESCRIPTOR:
        raise ValueError(
            f"y must hold finite descriptors below {_MAX_DESCRIPTOR:.0e} in size, whose "
            f"squared differences are finite; its largest is {largest!r}. Rescale it."
        )
    return X, y


def keys_of(X):
    """The item key of each row of the validated 2-D array ``X``.

    A ``pandas.Index`` of scalars for one key column, a ``MultiIndex`` of
    tuples for several.
    """
    if X.shape[1] == 1:
        return pd.Index(X[:, 0], tupleize_cols=False)
    return pd.MultiIndex.from_arrays([X[:, column] for column in range(X.shape[1])])


def index_state(index):
    """``index`` as plain NumPy arrays and names, for pickle and skops alike.

    skops refuses pandas objects (it cannot check what they load), so the
    fitted objects store their keys in this form.
    """
    levels = [np.asarray(index.get_level_values(level)) for level in range(index.nlevels)]
    return {"levels": levels, "names": list(index.names)}


def index_from_state(state):
    """The ``pandas.Index`` (a ``MultiIndex`` for several levels) of :func:`index_state`."""
    levels, names = state["levels"], state["names"]
    if len(levels) == 1:
        return pd.Index(levels[0], name=names[0], tupleize_cols=False)
    return pd.MultiIndex.from_arrays(levels, names=names)


def describe_keys(keys):
    """A short, readable list of keys for messages."""
    keys = list(keys)
    shown = ", ".join(repr(key) for key in keys[:_MAX_KEYS_SHOWN])
    if len(keys) > _MAX_KEYS_SHOWN:
        shown += f", ... ({len(keys)} in all)"
    return shown


def descriptor_distances(descriptors, first, second):
    """Mean squared difference of the descriptors of items ``first[i]`` and ``second[i]``.

    The distance that labels pairs and that scores embeddings.
    """
    return np.mean(np.square(descriptors[first] - descriptors[second]), axis=1)


@dataclass(frozen=True)
class ItemTable:
    """Distinct items and their descriptors.

    Attributes
    ----------
    keys : pandas.Index
        One key per item, unique, in order of first appearance.
    descriptors : ndarray of shape (n_items, n_descriptors)
    """

    keys: pd.Index
    descriptors: np.ndarray

    @classmethod
    def from_rows(cls, X, y):
        """Merge the rows of validated ``X`` (keys) and ``y`` (descriptors).

        Warns when a key appears with different descriptors.
        """
        codes, keys = keys_of(X).factorize()
        y = np.asarray(y, dtype=np.float64).reshape(len(codes), -1)
        if len(keys) == len(codes):
            return cls(keys, y)
        groups = pd.DataFrame(y).groupby(codes, sort=True)
        spread = (groups.max() - groups.min()).to_numpy().max(axis=1)
        conflicting = keys[spread > 0]
        if len(conflicting):
            warn_user(
                f"{len(conflicting)} item key(s) appear with different descriptors "
                f"in y, and their descriptors were averaged: {describe_keys(conflicting)}."
            )
        return cls(keys, groups.mean().to_numpy())

    def __len__(self):
        return len(self.keys)

    def __getstate__(self):
        return {"keys": index_state(self.keys), "descriptors": self.descriptors}

    def __setstate__(self, state):
        # Frozen: set the fields as the dataclass's own __init__ does.
        object.__setattr__(self, "keys", index_from_state(state["keys"]))
        object.__setattr__(self, "descriptors", state["descriptors"])
