"""Readers of item keys: each item as weighted tokens, whose vectors are summed.

One interface for every way of reading keys, so that training, the fitted
vectors and the estimators have no mode of their own:

- :class:`ExactReader`, a lookup (``vectorizer=None``): each training key is
  a token of its own, of weight 1; any other key has none.
- :class:`TokenReader`: a fitted transformer reads names into features
  (words and n-grams of a text vectorizer, dense features of any kind); each
  feature that training used is a token, weighted by its value.

:func:`read_items` makes the reader of a fit and reads its items, once.
:class:`NameColumnMixin` is how the package's transformers of names
(``WordVectors``, ``ColourWordTranslator``) take and check a column of names.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from sk_colour_embed._items import describe_keys, index_from_state, index_state, validate_keys
from sk_colour_embed._warnings import warn_user

# Messages name at most this many keys that differ from a training key only in case.
_MAX_HINTS = 3


def check_names(X, allow_missing=False, reader="a vectorizer"):
    """Raise a ``ValueError`` saying where the validated 2-D ``X`` is not one column of names.

    ``reader`` reads names: anything else is an error that says where.
    With ``allow_missing``, a missing name (None, NaN) is let through.
    """
    if X.shape[1] != 1:
        raise ValueError(
            f"with {reader}, X must hold one column of names; it has {X.shape[1]} columns."
        )
    names = X[:, 0]
    not_text = np.flatnonzero(
        [not (isinstance(name, str) or (allow_missing and pd.isna(name))) for name in names]
    )
    if len(not_text):
        row, value = not_text[0], names[not_text[0]]
        # Validation may have made a None NaN: a missing name is said as such.
        missing = pd.api.types.is_scalar(value) and pd.isna(value)
        held = "a missing name (None or NaN)" if missing else f"{value!r} ({type(value).__name__})"
        raise ValueError(
            f"with {reader}, X must hold names as strings; row {row} holds {held}, and "
            f"{len(not_text)} row(s) in all are not strings."
        )


class NameColumnMixin:
    """A transformer of one column of names, as scikit-learn's text vectorizers are.

    Its tags say it takes strings, not a numeric array; :meth:`_validate_names`
    checks ``X`` once, at the edge: a list, 1-D array or Series of strings, or a
    table of one such column, else a ``ValueError`` naming the first row at fault.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def _validate_names(self, X, reset=False):
        """The names of ``X``, a 1-D object array; ``reset`` as in ``validate_data``."""
        X = validate_keys(self, X, reset=reset)
        check_names(X, reader=type(self).__name__)
        return X[:, 0]


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


def _reader(vectorizer):
    """A function from a name to how ``vectorizer`` reads it, hashable.

    For scikit-learn's vectorizers that is the list of tokens their analyzer
    makes (so "Red" and " red " read alike, and "light red" does not read as
    "red" when "light" is out of the vocabulary); a union reads with each of
    its parts. Any other transformer is read by its output row.
    """
    if hasattr(vectorizer, "build_analyzer"):
        analyze = vectorizer.build_analyzer()
        return lambda name: tuple(analyze(name))
    if hasattr(vectorizer, "transformer_list"):
        parts = [
            _reader(part)
            for _, part in vectorizer.transformer_list
            if part not in ("drop", "passthrough")
        ]
        return lambda name: tuple(read(name) for read in parts)

    def by_output(name):
        row = sp.csr_matrix(vectorizer.transform([name]))
        row.sort_indices()
        return row.indices.tobytes() + row.data.tobytes()

    return by_output


def reader_class(vectorizer):
    """The class of the reader that ``vectorizer`` (None: exact keys) makes."""
    return ExactReader if vectorizer is None else TokenReader


def read_items(vectorizer, keys, name_vectors=False):
    """The reader of a fit's items ``keys`` (a ``pandas.Index``) and their token weights.

    ``vectorizer`` None makes an :class:`ExactReader`; else a
    :class:`TokenReader` fitted on the keys, names. The keys are read once,
    here: the weights are those of ``reader.read(keys)``.
    """
    if vectorizer is None:
        reader = ExactReader(keys)
        return reader, reader.read(keys)
    reader, weights = TokenReader.from_names_with_weights(
        vectorizer, np.asarray(keys, dtype=object), name_vectors
    )
    placed = np.diff(weights.indptr) > 0
    if np.sum(placed) < 2:
        raise ValueError(
            f"the vectorizer finds a token in {np.sum(placed)} training name(s); pairs "
            "need at least 2. Check its analyzer, token_pattern, min_df and max_df."
        )
    if not placed.all():
        warn_user(
            f"{np.sum(~placed)} training name(s) have no token that the vectorizer keeps, "
            f"so the model learns no vector for them and their pairs are left out of "
            f"training: "
            f"{describe_keys(keys[~placed])}."
        )
    return reader, weights


class ExactReader:
    """A lookup: each training key is a token of its own, and no other key has one.

    Keys are exact (``"Grey"`` is not ``"grey"``), of any hashable type; with
    several key columns, tuples.

    Parameters
    ----------
    keys : pandas.Index
        The training keys, unique; token ``i`` is ``keys[i]``.
    """

    # The Keras model of a lookup takes item indices, not tokens and weights.
    token_form = False
    # Two keys are never read alike: each is its own token.
    reads_alike = False

    def __init__(self, keys):
        self.keys = keys

    def __len__(self):
        return len(self.keys)

    # Plain arrays instead of the pandas keys, so that skops can save the reader too.
    def __getstate__(self):
        return {"keys": index_state(self.keys)}

    def __setstate__(self, state):
        self.keys = index_from_state(state["keys"])

    @staticmethod
    def check(X, allow_missing=False):
        """Any key columns can be looked up."""

    def reads(self, key):
        """Whether ``key`` can have a token: any key can be a training key."""
        return True

    def read(self, keys):
        """CSR token weights of shape ``(len(keys), len(self))``: 1 at a training key's token.

        A row is zero for a key not seen in fit.
        """
        index = self.keys.get_indexer(keys)
        rows = np.flatnonzero(index >= 0)
        return sp.csr_matrix(
            (np.ones(len(rows)), (rows, index[rows])), shape=(len(keys), len(self))
        )

    def why_unknown(self, keys=()):
        """Why ``keys`` have no vector, naming exact keys that differ only in case or spaces."""
        why = "a lookup embedding (vectorizer=None) has vectors only for the items of fit"
        near = self._near_misses(keys)
        if near:
            shown = ", ".join(f"{key!r} is not {known!r}" for key, known in near)
            why += f", and its keys are exact: {shown}"
        return why

    def ways_out(self):
        """How a reader could give vectors to more items."""
        return "a vectorizer (such as TfidfVectorizer()) reads names never seen in fit"

    def why_nothing_to_score(self):
        """Why a score is NaN and what to do, the same words every time."""
        return (
            "a lookup embedding (vectorizer=None) has vectors only for the items it was "
            "fitted on. Under cross-validation that holds items out, such as GridSearchCV's "
            "default cv, every split scores NaN and the search cannot choose between its "
            "candidates. Use cv=InSampleSplit() to score on the fitted items, or give the "
            "embedder a vectorizer (such as TfidfVectorizer()) so that new names get vectors; "
            "as a feature step of your own model, reference=(X, y) learns the vectors from "
            "a table of their own and your model's score chooses."
        )

    def _near_misses(self, keys):
        """Pairs (key, training key) of string keys that differ only in case or outer spaces."""
        if self.keys.nlevels > 1:
            return []
        folded = {}
        for known in self.keys:
            if isinstance(known, str):
                folded.setdefault(known.strip().casefold(), known)
        pairs = [(key, folded.get(key.strip().casefold())) for key in keys if isinstance(key, str)]
        return [(key, known) for key, known in pairs if known is not None][:_MAX_HINTS]


class TokenReader:
    """A fitted vectorizer, the token columns training used, and per-name vectors.

    Parameters
    ----------
    vectorizer : fitted transformer
        Maps a sequence of strings to a (sparse) matrix of token weights.
    columns : ndarray of int
        The vectorizer's columns that some training name used, sorted; token
        ``i`` of the embedding is column ``columns[i]``.
    own : dict or None, default=None
        With per-name vectors, how the vectorizer reads each training name
        (see ``_reader``) to its own extra token, numbered after the
        columns; names the vectorizer reads the same way share it.
    """

    token_form = True
    # Different names can read alike ("Red", " red "), with the same vector.
    reads_alike = True
    check = staticmethod(check_names)

    def __init__(self, vectorizer, columns, own=None):
        self.vectorizer = vectorizer
        self.columns = columns
        self.own = own

    @classmethod
    def from_names(cls, vectorizer, names, name_vectors=False):
        """The reader of a clone of ``vectorizer`` fitted on ``names``, with the columns they use.

        With ``name_vectors``, each distinct training name (as the vectorizer
        reads it) gets a token of its own, of weight 1, beside its tokens.
        """
        return cls.from_names_with_weights(vectorizer, names, name_vectors)[0]

    @classmethod
    def from_names_with_weights(cls, vectorizer, names, name_vectors=False):
        """:meth:`from_names`, and the token weights of ``names``, as :meth:`read` gives them.

        The vectorizer is fitted, then reads the names once: the weights and
        the columns kept come from the one reading.
        """
        vectorizer = clone(vectorizer)
        try:
            vectorizer.fit(names)
            matrix = vectorizer.transform(names)
        except ValueError as error:  # no token left ("empty vocabulary"), min_df > max_df...
            raise ValueError(
                f"the vectorizer, fitted on the {len(names)} distinct training name(s) (each "
                f"once: its min_df and max_df count names, not rows), failed: {error}"
            ) from None
        matrix = sp.csr_matrix(matrix)
        # The columns with an entry, found without a structure as wide as all the columns.
        reader = cls(vectorizer, np.unique(matrix.indices))
        tokens = reader._kept(matrix)
        if not name_vectors:
            return reader, tokens
        # The kept columns are all the used ones: a row has tokens where it has entries.
        has_tokens = np.diff(tokens.indptr) > 0
        readings = reader._readings(names)
        keys = dict.fromkeys(r for r, has in zip(readings, has_tokens, strict=True) if has)
        reader.own = {key: len(reader.columns) + i for i, key in enumerate(keys)}
        return reader, reader._with_own(tokens, readings)

    def __len__(self):
        return len(self.columns) + len(self.own or ())

    # skops saves dicts with string keys only: the per-name tokens go as two lists.
    def __getstate__(self):
        state = {**vars(self), "own": None}
        if self.own is not None:
            state["own_readings"] = list(self.own)
            state["own_tokens"] = list(self.own.values())
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "own_readings" in state:  # else no name has tokens of its own
            readings, tokens = state.pop("own_readings"), state.pop("own_tokens")
            state["own"] = dict(zip(readings, tokens, strict=True))
        vars(self).update(state)

    def reads(self, key):
        """Whether ``key`` can have tokens: a name, a string."""
        return isinstance(key, str)

    def read(self, names):
        """CSR token weights of shape ``(len(names), len(self))``.

        A row is zero when the name has no token that training saw, or is
        missing (None, NaN).
        """
        names = np.asarray(names, dtype=object)
        if len(names) == 0:  # scikit-learn's vectorizers refuse no documents
            return sp.csr_matrix((0, len(self)))
        tokens = self._kept(self.vectorizer.transform(np.where(pd.isna(names), "", names)))
        if not self.own:
            return tokens
        return self._with_own(tokens, self._readings(names))

    def _kept(self, matrix):
        """The vectorizer's output ``matrix`` in the kept columns, as token weights.

        Each entry's column is looked up among the kept ones (sorted) and the
        others dropped, so that time and memory follow the names' entries and
        the kept columns, never the vectorizer's width (``n_features`` of a
        ``HashingVectorizer`` may be 2**24).
        """
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()  # the kept entries of a row then come in the columns' order
        token = np.searchsorted(self.columns, matrix.indices)
        kept = token < len(self.columns)
        kept[kept] = self.columns[token[kept]] == matrix.indices[kept]
        indptr = np.concatenate([[0], np.cumsum(kept)])[matrix.indptr]
        selected = (matrix.data[kept], token[kept], indptr)
        # Signs are kept: a feature of any sign (a TruncatedSVD component, a word
        # vector) weighs its token's vector by its value, a linear map of the features.
        return sp.csr_matrix(selected, shape=(matrix.shape[0], len(self.columns)), dtype=np.float64)

    def _readings(self, names):
        """How the vectorizer reads each name (see ``_reader``); None for a missing one."""
        read = _reader(self.vectorizer)
        return [None if pd.isna(name) else read(name) for name in names]

    def _with_own(self, tokens, readings):
        """``tokens`` with each name's own token beside them, found by its reading."""
        if not self.own:
            return tokens
        own = np.array([self.own.get(reading, -1) for reading in readings], dtype=np.int64)
        rows = np.flatnonzero(own >= 0)
        shape = (tokens.shape[0], len(self))
        extra = sp.csr_matrix((np.ones(len(rows)), (rows, own[rows])), shape=shape)
        tokens = sp.csr_matrix((tokens.data, tokens.indices, tokens.indptr), shape=shape)
        return sp.csr_matrix(tokens + extra)

    def why_unknown(self, keys=()):
        """Why ``keys`` have no vector, for messages."""
        return "the vectorizer finds no token in them that fit saw"

    def ways_out(self):
        """How a reader could give vectors to more items."""
        return "a vectorizer that reads more of a name (such as character n-grams) finds more"

    def why_nothing_to_score(self):
        """Why a score is NaN and what to do, the same words every time."""
        return (
            "the vectorizer finds no token that fit saw in the others. "
            "Score more names, or read more of a name (such as character n-grams)."
        )
