"""Item tables: the rows of ``X`` are item keys, the rows of ``y`` descriptors.

A row's values together identify an item. Repeated keys are one item, whose
descriptor is the mean of its rows.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
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


def validate_items(estimator, X, y, reset=True):
    """``validate_data`` for item keys ``X`` (any dtype) and descriptors ``y``."""
    return validate_data(
        estimator, X, y, reset=reset, dtype=None, multi_output=True, y_numeric=True
    )


def keys_of(X):
    """The item key of each row of the validated 2-D array ``X``.

    A ``pandas.Index`` of scalars for one key column, a ``MultiIndex`` of
    tuples for several.
    """
    if X.shape[1] == 1:
        return pd.Index(X[:, 0], tupleize_cols=False)
    return pd.MultiIndex.from_arrays([X[:, column] for column in range(X.shape[1])])


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
