"""Names as weighted bags of tokens, read by a scikit-learn text vectorizer.

The vectorizer does all the reading (lowercasing, token pattern, n-grams);
this module keeps the token columns that training saw and turns names into
the token weights of a weighted sum of token vectors.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone


def names_of(X, allow_missing=False):
    """The one column of string names in the validated 2-D array ``X``.

    A vectorizer reads names: anything else is an error that says where.
    With ``allow_missing``, a missing name (None, NaN) is let through.
    """
    if X.shape[1] != 1:
        raise ValueError(
            f"with a vectorizer, X must hold one column of names; it has {X.shape[1]} columns."
        )
    names = X[:, 0]
    not_text = np.flatnonzero(
        [not (isinstance(name, str) or (allow_missing and pd.isna(name))) for name in names]
    )
    if len(not_text):
        row = not_text[0]
        raise ValueError(
            f"with a vectorizer, X must hold names as strings; row {row} holds "
            f"{names[row]!r} ({type(names[row]).__name__}), and {len(not_text)} row(s) in all "
            "are not strings."
        )
    return names


def absolute(matrix):
    """``matrix`` as a CSR matrix of float64 absolute values.

    The sign that ``HashingVectorizer`` gives a token (``alternate_sign``)
    carries no meaning here; the vectorizer's weights are otherwise kept as
    they are (its ``norm``, ``use_idf``, ``binary`` and so on decide them).
    """
    return abs(sp.csr_matrix(matrix, dtype=np.float64))


def padded(matrix):
    """Token ids and weights of each row of CSR ``matrix``, padded with weight 0.

    Returns two arrays of shape ``(n_rows, max_tokens_per_row)`` (at least one
    column): int32 ids and float32 weights.
    """
    counts = np.diff(matrix.indptr)
    width = max(int(counts.max(initial=0)), 1)
    ids = np.zeros((matrix.shape[0], width), np.int32)
    weights = np.zeros((matrix.shape[0], width), np.float32)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    slots = np.arange(len(matrix.indices)) - np.repeat(matrix.indptr[:-1], counts)
    ids[rows, slots] = matrix.indices
    weights[rows, slots] = matrix.data
    return ids, weights


class TokenReader:
    """A fitted vectorizer and the token columns that training names used.

    Parameters
    ----------
    vectorizer : fitted transformer
        Maps a sequence of strings to a (sparse) matrix of token weights.
    columns : ndarray of int
        The vectorizer's columns that some training name used, sorted; token
        ``i`` of the embedding is column ``columns[i]``.
    """

    def __init__(self, vectorizer, columns):
        self.vectorizer = vectorizer
        self.columns = columns

    @classmethod
    def fit(cls, vectorizer, names):
        """Clone and fit ``vectorizer`` on ``names``; keep the columns they use."""
        vectorizer = clone(vectorizer)
        matrix = sp.csc_matrix(vectorizer.fit_transform(names))
        columns = np.flatnonzero(np.diff(matrix.indptr) > 0)
        return cls(vectorizer, columns)

    def __len__(self):
        return len(self.columns)

    def weights(self, names):
        """CSR token weights of shape ``(len(names), len(self))``.

        A row is zero when the name has no token that training saw, or is
        missing (None, NaN).
        """
        names = np.where(pd.isna(names), "", names)
        matrix = sp.csc_matrix(self.vectorizer.transform(names))
        return absolute(matrix[:, self.columns])
