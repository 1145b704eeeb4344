"""The fitted vectors and the queries they answer, with NumPy alone.

:class:`ItemVectors` is to :class:`PairSimilarityEmbedder` what gensim's
``KeyedVectors`` is to its models: it holds the learned token vectors and
the reader that turns keys into token weights (an exact lookup, or a
vectorizer that reads names; see ``_readers``), and owns the one lookup of
keys, the one check of keys without a vector, the model's similarity and
the queries. The estimators, the plots and the command use it; none of it
imports TensorFlow.
"""

from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import spearmanr
from sklearn.exceptions import UndefinedMetricWarning

from sk_colour_embed._items import (
    describe_keys,
    descriptor_distances,
    ignores_unknown,
    index_from_state,
    index_state,
)
from sk_colour_embed._names import NameIndex
from sk_colour_embed._readers import ExactReader, padded
from sk_colour_embed._warnings import warn_user

# Under ``normalize=True`` a vector is divided by its norm, or by this if the
# norm is smaller: in the Keras model (``_model.UnitNormalization``) and in
# NumPy (``_vectors.compose``) alike.
NORM_EPSILON = 1e-12


def encoder_layers(encoder):
    """The hidden layers' weights, in the order of the Keras ``Encoder``'s weights, by layer.

    ``encoder`` lists the first hidden layer's bias (the token vectors are
    that layer's kernel), then the kernel and bias of each further layer, as
    the model (``_model.Encoder``) holds them and NumPy
    (``_vectors.encode``) applies them. Returns that first bias and the
    ``(kernel, bias)`` pairs.

    >>> encoder_layers(["b0", "k1", "b1", "k2", "b2"])
    ('b0', [('k1', 'b1'), ('k2', 'b2')])
    """
    return encoder[0], list(zip(encoder[1::2], encoder[2::2], strict=True))


_SCORE_MAX_PAIRS = 200_000
_SCORE_SEED = 0


def compose(weights, token_vectors, normalize=False, encoder=()):
    """Item vectors: the weighted sum of token vectors, encoded, on the unit sphere if asked.

    ``weights`` is a matrix of token weights of shape ``(n_items,
    n_tokens)``, as a reader gives them and the model's ``WeightedSum``
    layer takes them; ``encoder`` the weights of the model's ``Encoder``
    (see :func:`encode`).
    """
    vectors = np.asarray(weights @ token_vectors, dtype=np.float64)
    vectors = encode(vectors, encoder)
    return on_unit_sphere(vectors) if normalize else vectors


def on_unit_sphere(vectors):
    """Each row divided by its norm, or by ``NORM_EPSILON`` if smaller, as the model does."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, NORM_EPSILON)


def encode(summed, encoder):
    """The model's ``Encoder`` with NumPy: ``summed`` token vectors to item vectors.

    ``encoder`` lists the first hidden layer's bias, then each further
    layer's kernel and bias; every layer but the last is followed by a ReLU.
    Empty, it is the identity (the tutorial's model).
    """
    if not len(encoder):
        return summed
    first_bias, dense = encoder_layers(encoder)
    vectors = np.maximum(summed + first_bias, 0.0)
    for i, (kernel, bias) in enumerate(dense):
        vectors = vectors @ np.asarray(kernel, np.float64) + bias
        if i + 1 < len(dense):
            vectors = np.maximum(vectors, 0.0)
    return vectors


def _check_encoder(encoder, width):
    """Refuse encoder weights that :func:`encode` cannot apply to vectors of ``width``."""
    shapes = [np.shape(w) for w in encoder]
    fits = not shapes or (len(shapes) % 2 == 1 and shapes[0] == (width,))
    if shapes and fits:
        n_in = width
        for kernel, bias in encoder_layers(shapes)[1]:
            fits = fits and len(kernel) == 2 and kernel[0] == n_in and bias == kernel[1:]
            n_in = kernel[-1] if kernel else n_in
    if not fits:
        raise ValueError(
            "encoder must hold the first hidden layer's bias, as wide as the token vectors "
            f"({width}), then a kernel and a bias for each further layer, each kernel with "
            f"as many rows as the layer before it has values; its shapes are {shapes}."
        )


def _score_pairs(n_items):
    """All pairs of ``n_items`` items, or a fixed random sample of them."""
    n_all = n_items * (n_items - 1) // 2
    if n_all <= _SCORE_MAX_PAIRS:
        return np.triu_indices(n_items, k=1)
    rng = np.random.RandomState(_SCORE_SEED)
    first = rng.randint(n_items, size=_SCORE_MAX_PAIRS)
    second = (first + rng.randint(1, n_items, size=_SCORE_MAX_PAIRS)) % n_items
    return first, second


def _is_one_key(value):
    """Whether ``value`` is one key rather than several: keys are hashable.

    A string, a number, None or a tuple (one key of several columns) is one
    key; a list, a NumPy array, a pandas Index or Series, a polars Series is
    a sequence of keys, as in gensim's ``vectors[keys]``.
    """
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _key_text(key_to_str, key):
    """``key_to_str(key)``; its failure is told with the key it failed on."""
    try:
        return key_to_str(key)
    except Exception as error:
        raise TypeError(
            f"key_to_str failed on the training key {key!r}: {type(error).__name__}: {error}. "
            "It must turn every key into a string; for key columns that are not all "
            "strings, such as key_to_str=lambda key: '/'.join(map(str, key))."
        ) from error


class ItemVectors:
    """Learned vectors of items (or of their names' tokens) and the model's similarity.

    Parameters
    ----------
    keys : pandas.Index
        The training items, unique (a ``MultiIndex`` for several key columns).
    token_vectors : ndarray of shape (n_tokens, width)
        The learned vectors, one per token of ``reader`` (in a lookup, one
        per item); ``width`` is ``n_components``, or with an encoder its
        first hidden layer's size.
    distance_scale, similarity_bias : float
        The model's probability of similar for vectors at squared distance
        ``d`` is ``sigmoid(similarity_bias - distance_scale * d)``.
    reader : ExactReader, TokenReader or None, default=None
        Reads keys into token weights; None is a lookup of the exact
        ``keys`` (``ExactReader(keys)``).
    normalize : bool, default=False
        Whether item vectors are put on the unit sphere.
    encoder : list of ndarray, default=()
        The weights of the model's hidden layers between the summed token
        vectors and the item vectors (see :func:`encode`); empty for none.
    item_weights : sparse matrix of shape (n_items, n_tokens) or None, default=None
        The token weights of ``keys`` as ``reader`` reads them, when already
        read (training passes those it trained on, so that it reads the
        names once); None reads them.
    vectors : ndarray of shape (n_items, n_components) or None, default=None
        The training items' vectors, when already composed from these
        weights (:class:`RegressedItemVectors` takes the learned ones); None
        composes them.

    Attributes
    ----------
    vectors : ndarray of shape (n_items, n_components)
        The vector of each training item, in the order of ``keys``; NaN rows
        for training names with no token the vectorizer keeps.
    index_to_key : list
        The training items' keys, in the order of the rows of ``vectors``.
    key_to_index : dict
        The row of ``vectors`` of each training item's key.

    Notes
    -----
    gensim's habits hold: ``key in vectors`` says whether a key has a
    vector, ``vectors[key]`` is its vector (a ``KeyError`` if it has none)
    and ``vectors[keys]`` a 2-D array of several; ``index_to_key`` and
    ``key_to_index`` are gensim 4's. As gensim's ``FastTextKeyedVectors``,
    with a vectorizer (or an ``unseen_regressor``) a key with a vector need
    not be a training key: ``key in vectors`` holds for any name with a
    token seen in fit, while ``key_to_index`` lists the training items only.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sk_colour_embed import ItemVectors
    >>> vectors = ItemVectors(
    ...     pd.Index(["red", "crimson", "navy"]),
    ...     np.array([[0.0, 0.0], [0.1, 0.0], [2.0, 2.0]]),
    ...     distance_scale=1.0,
    ...     similarity_bias=2.0,
    ... )
    >>> [key for key, _ in vectors.most_similar("red", topn=2)]
    ['crimson', 'navy']
    >>> vectors.similarity("red", "red")
    1.0
    >>> "navy" in vectors, "blue" in vectors
    (True, False)
    >>> vectors["crimson"]
    array([0.1, 0. ])
    >>> vectors[["red", "navy"]].shape
    (2, 2)
    >>> vectors.key_to_index["navy"], vectors.index_to_key[1]
    (2, 'crimson')
    """

    def __init__(
        self,
        keys,
        token_vectors,
        *,
        distance_scale,
        similarity_bias,
        reader=None,
        normalize=False,
        encoder=(),
        item_weights=None,
        vectors=None,
    ):
        self.keys = keys
        self.token_vectors = np.asarray(token_vectors, dtype=np.float64)
        self.distance_scale = float(distance_scale)
        self.similarity_bias = float(similarity_bias)
        self.reader = ExactReader(keys) if reader is None else reader
        self.normalize = normalize
        self.encoder = [np.asarray(w, dtype=np.float64) for w in encoder]
        _check_encoder(self.encoder, self.token_vectors.shape[1])
        if len(self.token_vectors) != len(self.reader):
            raise ValueError(
                f"token_vectors must have one row per token of the reader ({len(self.reader)}; "
                f"in a lookup, one per key); it has {len(self.token_vectors)}."
            )
        if vectors is None:
            vectors = self._compose(keys, item_weights)[0]
        elif np.shape(vectors) != (len(keys), self.n_components):
            raise ValueError(
                f"vectors must have one row of {self.n_components} per key, for the "
                f"{len(keys)} keys; its shape is {np.shape(vectors)}."
            )
        self.vectors = vectors

    def __len__(self):
        return len(self.keys)

    # Not a sequence: with ``__getitem__`` and ``__len__``, Python would iterate over
    # vectors[0], vectors[1], ... and stop at a KeyError. The keys are index_to_key.
    __iter__ = None

    @property
    def index_to_key(self):
        """The training items' keys, in the order of the rows of :attr:`vectors`, as gensim's.

        Tuples for several key columns. A new list at each access.
        """
        return self.keys.tolist()

    @property
    def key_to_index(self):
        """The row of :attr:`vectors` of each training item's key, as gensim's.

        A new dict at each access: keep it for repeated lookups.
        """
        return {key: index for index, key in enumerate(self.keys.tolist())}

    def __getitem__(self, key_or_keys):
        """The vector of a key, or the vectors of a sequence of keys, as gensim's ``vectors[...]``.

        Parameters
        ----------
        key_or_keys : hashable or sequence of hashable
            One key (a string, a number, a tuple for several key columns), or
            a list, array or Series of keys; with a vectorizer, any names it
            can read.

        Returns
        -------
        vector : ndarray of shape (n_components,) or (n_keys, n_components)
            1-D for one key, 2-D for a sequence of keys.

        Raises
        ------
        KeyError
            Naming the keys without a vector, as gensim's.
        """
        if _is_one_key(key_or_keys):
            return self.get_vector(key_or_keys)
        keys = self._as_index(key_or_keys)
        vectors, known = self._compose(keys)
        if not known.all():
            unknown = keys[~known].unique()
            raise KeyError(
                f"no vector for {describe_keys(unknown)}: {self.reader.why_unknown(unknown)}."
            )
        return vectors

    # Plain arrays instead of the pandas keys, so that skops can save the vectors too.
    def __getstate__(self):
        state = {name: value for name, value in vars(self).items() if name != "_name_index"}
        return {**state, "keys": index_state(self.keys)}

    def __setstate__(self, state):
        state = {**state, "keys": index_from_state(state["keys"])}
        vars(self).update(state)

    @property
    def n_components(self):
        if len(self.encoder):
            return len(self.encoder[-1])
        return self.token_vectors.shape[1]

    def to_frame(self, columns=None):
        """The training items' vectors as a DataFrame indexed by key.

        Parameters
        ----------
        columns : list of str, default=None
            Column names.

        Returns
        -------
        frame : pandas.DataFrame of shape (n_items, n_components)
        """
        return pd.DataFrame(self.vectors, index=self.keys, columns=columns)

    def to_keyed_vectors(self, key_to_str=None):
        """The training items' vectors as gensim ``KeyedVectors``.

        Needs gensim (``pip install sk_colour_embed[gensim]``). gensim ranks
        neighbours by cosine similarity, this package by distance. The export
        gensim ranks as this package does is that of vectors on the unit
        sphere, an estimator fitted with ``normalize=True``: there squared
        distance is ``2 - 2 * cosine``, and gensim's ``most_similar`` gives
        this package's neighbours, in its order, for a key, for the mean of
        several keys, and for the analogy ``positive=[b, c], negative=[a]``
        (its similarities are cosines). Off the sphere the orders may differ
        (see the example), and normalising the vectors at export would not
        help: gensim normalises them itself before taking cosines, so a
        vector's length, which distance counts, is lost either way.

        Parameters
        ----------
        key_to_str : callable or None, default=None
            The gensim key (a string) of each training key. None is ``str``
            for one key column; with several key columns (tuple keys) it must
            be given, such as ``"/".join``, since no separator is safe for
            every value. gensim's word2vec text format ends a key at a space:
            to save names like ``"dark blue"`` in it, give
            ``lambda name: name.replace(" ", "_")``.

        Returns
        -------
        keyed_vectors : gensim.models.KeyedVectors
            One float64 vector per training item with a vector, in the order
            of ``keys``; save it with gensim (``save``,
            ``save_word2vec_format``).

        Warns
        -----
        UserWarning
            When training names without a vector (no token the vectorizer
            keeps) are left out.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from sk_colour_embed import ItemVectors
        >>> vectors = ItemVectors(
        ...     pd.Index(["a", "far, same direction", "near, other direction"]),
        ...     np.array([[1.0, 0.0], [3.0, 0.0], [1.0, 0.5]]),
        ...     distance_scale=1.0, similarity_bias=0.0,
        ... )
        >>> kv = vectors.to_keyed_vectors()
        >>> kv.most_similar("a", topn=1)[0][0]  # cosine
        'far, same direction'
        >>> vectors.most_similar("a", topn=1)[0][0]  # distance
        'near, other direction'
        """
        try:
            from gensim.models import KeyedVectors
        except ImportError as error:
            raise ImportError(
                "to_keyed_vectors needs gensim: pip install sk_colour_embed[gensim]"
            ) from error
        if key_to_str is None:
            if self.keys.nlevels > 1:
                raise ValueError(
                    f"the items have {self.keys.nlevels} key columns, and gensim keys are "
                    "strings: give key_to_str to join each key tuple into one, such as "
                    "key_to_str='/'.join."
                )
            key_to_str = str
        known = np.isfinite(self.vectors).all(axis=1)
        if not known.all():
            warn_user(
                f"to_keyed_vectors leaves out {np.sum(~known)} training name(s) that have no "
                f"vector (no token the vectorizer keeps): {describe_keys(self.keys[~known])}."
            )
        keys = [_key_text(key_to_str, key) for key in self.keys[known]]
        not_text = [key for key in keys if not isinstance(key, str)]
        if not_text:
            raise TypeError(
                f"key_to_str must return strings; it returned {not_text[0]!r} "
                f"({type(not_text[0]).__name__})."
            )
        repeated = pd.Index(keys)[pd.Index(keys).duplicated()].unique()
        if len(repeated):
            raise ValueError(
                f"{len(repeated)} gensim key(s) stand for several items, such as "
                f"{describe_keys(repeated)}: give a key_to_str that keeps the keys apart."
            )
        keyed_vectors = KeyedVectors(self.n_components, dtype=np.float64)
        keyed_vectors.add_vectors(keys, self.vectors[known])
        return keyed_vectors

    # -- the one lookup -------------------------------------------------------

    def get_index(self, keys, handle_unknown="error"):
        """Position of each key among the training items.

        Parameters
        ----------
        keys : sequence of hashable
            Training item keys (exact keys, whatever the reader).
        handle_unknown : {"error", "ignore"}, default="error"
            ``"error"`` raises a ``KeyError`` naming the absent keys;
            ``"ignore"`` gives them -1.

        Returns
        -------
        index : ndarray of int
        """
        keys = self._as_index(keys)
        index = self.keys.get_indexer(keys)
        if not ignores_unknown(handle_unknown) and (index < 0).any():
            raise KeyError(f"item(s) not seen in fit: {describe_keys(keys[index < 0])}.")
        return index

    def get_vectors(self, keys, handle_unknown="error"):
        """The vector of each key: a training item's, or with a vectorizer any readable name's.

        Parameters
        ----------
        keys : pandas.Index or sequence
            Item keys, or names with a vectorizer.
        handle_unknown : {"error", "ignore"}, default="error"
            For a key without a vector: ``"error"`` raises a ``ValueError``
            naming it and saying what to do; ``"ignore"`` gives a NaN row.

        Returns
        -------
        vectors : ndarray of shape (len(keys), n_components)
        """
        keys = self._as_index(keys)
        vectors, known = self._compose(keys)
        if not ignores_unknown(handle_unknown):
            self.check_known(keys, known, "NaN rows")
        return vectors

    def check_known(self, keys, known, ignored_as=None, rows=None, where=""):
        """Raise the one error for ``keys`` without a vector (``known`` False), if any.

        It names them and the first one's row (``rows[i]`` is the row of
        ``keys[i]``; their positions by default), says why they have none and
        what to do: ``handle_unknown="ignore"`` gives them ``ignored_as`` (if
        the caller can ignore them), or a reader that places more keys.
        ``where`` narrows "no vector" (" in the Keras model").
        """
        known = np.asarray(known)
        if not known.all():
            unknown = self._as_index(keys)[~known].unique()
            row = (np.arange(len(known)) if rows is None else np.asarray(rows))[~known].min()
            ignore = f"handle_unknown='ignore' gives them {ignored_as}; " if ignored_as else ""
            raise ValueError(
                f"{len(unknown)} item(s) have no vector{where} (the first at row {row}): "
                f"{describe_keys(unknown)}: {self.reader.why_unknown(unknown)}. "
                f"{ignore}{self.reader.ways_out()}."
            )

    def get_vector(self, key):
        """The vector of one key (in token mode, of any name it can read).

        Parameters
        ----------
        key : hashable

        Returns
        -------
        vector : ndarray of shape (n_components,)

        Raises
        ------
        KeyError
            When the key has no vector, as gensim's ``get_vector`` does.
        """
        vectors, known = self._compose(self._as_index([key]))
        if not known[0]:
            raise KeyError(f"no vector for {key!r}: {self.reader.why_unknown([key])}.")
        return vectors[0]

    def name_distance(self, keys):
        """How far each key's name is from the nearest training key's, in [0, 1].

        0 for a training key; for another string, one minus the cosine
        similarity of its character 3-grams (TF-IDF of names with case,
        spaces and hyphens folded, see :func:`plain_name`) to the nearest
        training name's: near 0 for ``"Dark  Olive-Green"`` or a misspelling
        of a known name, 1 for a name that shares no 3-gram with any. 1 for
        any other key (missing, a number never seen, a key of several
        columns never seen). It says how much a vector that was not looked
        up is a guess.

        Parameters
        ----------
        keys : pandas.Index or sequence

        Returns
        -------
        distance : ndarray of shape (len(keys),)

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from sk_colour_embed import ItemVectors
        >>> vectors = ItemVectors(
        ...     pd.Index(["burgundy", "navy blue"]), np.eye(2),
        ...     distance_scale=1.0, similarity_bias=0.0,
        ... )
        >>> vectors.name_distance(["burgundy", "Navy-Blue", "burgandy", "zzzz"]).round(2)
        array([0.  , 0.  , 0.21, 1.  ])
        """
        keys = self._as_index(keys)
        distance = np.ones(len(keys))
        seen = self.keys.get_indexer(keys) >= 0
        distance[seen] = 0.0
        text = ~seen & np.array([isinstance(key, str) for key in keys], dtype=bool)
        if self.keys.nlevels == 1 and text.any():
            distance[text] = 1.0 - self._names().similarity(list(keys[text]))[0]
        return distance

    def _names(self):
        """The training names' :class:`NameIndex`, made on first use from fitted state alone."""
        if "_name_index" not in vars(self):
            self._name_index = NameIndex(list(self.keys))
        return self._name_index

    def pair_inputs(self, first, second):
        """The Keras model's inputs for pairs of keys (see ``PairSimilarityClassifier.to_keras``).

        Parameters
        ----------
        first, second : pandas.Index or sequence
            The keys (names in token mode) of the pairs' two items, each with
            a vector.

        Returns
        -------
        inputs : ndarray of shape (n_pairs, 2), int32, or dict
            In a lookup, the items' positions in ``keys``; in token mode,
            ``{"tokens": ids, "weights": w}``, int32 and float32 arrays of
            shape ``(n_pairs, 2, n_slots)``, padded with weight 0.
        """
        halves = [self._as_index(first), self._as_index(second)]
        weights = [self.reader.read(keys) for keys in halves]
        for keys, read in zip(halves, weights, strict=True):
            # The model reads what the reader places: not an unseen_regressor's vectors.
            self.check_known(keys, np.diff(read.indptr) > 0, where=" in the Keras model")
        if not self.reader.token_form:  # an item's one token is its index
            return np.column_stack([read.indices for read in weights]).astype(np.int32)
        ids, slot_weights = padded(sp.vstack(weights))
        n_pairs = len(halves[0])
        return {
            "tokens": np.stack([ids[:n_pairs], ids[n_pairs:]], axis=1),
            "weights": np.stack([slot_weights[:n_pairs], slot_weights[n_pairs:]], axis=1),
        }

    # -- similarity and queries ------------------------------------------------

    def probability(self, squared_distance):
        """The model's own probability that items at ``squared_distance`` are similar.

        Parameters
        ----------
        squared_distance : float or ndarray

        Returns
        -------
        probability : float or ndarray
            ``sigmoid(similarity_bias - distance_scale * squared_distance)``,
            as the Keras model's last layer computes it.
        """
        return np.exp(self._log_probability(squared_distance))

    def similarity_of(self, squared_distance):
        """Similarity in [0, 1] of vectors at ``squared_distance``: 1 at distance 0.

        Parameters
        ----------
        squared_distance : float or ndarray

        Returns
        -------
        similarity : float or ndarray
            ``probability(squared_distance) / probability(0)``: the model's
            probability of similar relative to its probability for identical
            vectors (an item and itself). It falls towards 0 with distance.
        """
        return np.exp(self._log_probability(squared_distance) - self._log_probability(0.0))

    def similarity(self, key_a, key_b):
        """Similarity of two items (in token mode, of any two readable names).

        Parameters
        ----------
        key_a, key_b : hashable

        Returns
        -------
        similarity : float
            In [0, 1], 1 for an item and itself; see :meth:`similarity_of`.
        """
        squared = np.sum(np.square(self.get_vector(key_a) - self.get_vector(key_b)))
        return float(self.similarity_of(squared))

    def most_similar(self, positive=None, negative=None, topn=10):
        """The training items nearest to a point made of keys and vectors, most similar first.

        gensim's ``KeyedVectors.most_similar`` signature, in this model's
        space, where closeness is distance. The query point is the mean of
        the ``positive`` vectors, moved as far again away from the mean of the
        ``negative`` ones: ``2 * mean(positive) - mean(negative)``, or
        ``mean(positive)`` without negatives. For word2vec's analogy, ``b`` is
        to ``a`` as ``?`` is to ``c`` (``positive=[b, c], negative=[a]``), that
        is ``b + c - a``, the fourth corner of the parallelogram. The items are
        then ranked by squared distance to the point, and each is given with
        :meth:`similarity_of` its squared distance.

        gensim instead averages unit-length vectors (negatives weighted -1) and
        ranks by cosine, so that only directions count. Here lengths count
        too, since the model is trained on distances, and the point's weights
        sum to 1, so that it does not depend on where the origin lies.

        Parameters
        ----------
        positive : key, ndarray, or list of keys and ndarrays, default=None
            What the items should be near: keys (in token mode, any readable
            name; a tuple is one key of several columns) and vectors of shape
            ``(n_components,)``, given as NumPy arrays (or lists of numbers
            inside the list). A single key or vector is a list of one; a 2-D
            array is a list of its rows; a pandas or polars Series is a list
            of its values. At least one is needed.
        negative : key, ndarray, or list of keys and ndarrays, default=None
            What the items should be away from, given as ``positive``.
        topn : int, default=10
            How many items to return.

        Returns
        -------
        items : list of (key, similarity) tuples
            The keys given are never returned; in token mode, neither are the
            training names the vectorizer reads as one of them (such as
            ``"red"`` for ``"Red"``), whose vector is the same.

        Raises
        ------
        KeyError
            For a key without a vector, as gensim.
        ValueError
            For a vector that is not ``n_components`` finite numbers, naming
            the parameter and its position in the list.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from sk_colour_embed import ItemVectors
        >>> vectors = ItemVectors(
        ...     pd.Index(["red", "dark red", "blue", "dark blue"]),
        ...     np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [-1.0, 1.0]]),
        ...     distance_scale=1.0, similarity_bias=0.0,
        ... )
        >>> vectors.most_similar(positive=["dark red", "blue"], negative="red", topn=1)
        [('dark blue', 1.0)]
        >>> [key for key, _ in vectors.most_similar(["red", "blue"], topn=2)]
        ['dark red', 'dark blue']
        """
        vectors, itself = self._query_points(positive, "positive")
        if not vectors:
            raise ValueError(
                "most_similar needs at least one key or vector in positive, the items' "
                "neighbourhood; negative moves the point away from its own."
            )
        point = np.mean(vectors, axis=0)
        away, itself_too = self._query_points(negative, "negative")
        if away:
            point = 2 * point - np.mean(away, axis=0)
        return self._nearest(point, topn, leave_out=np.concatenate([itself, itself_too]))

    def similar_by_vector(self, vector, topn=10):
        """The training items nearest to ``vector``, most similar first.

        As gensim's ``similar_by_vector``, by squared distance (see
        :meth:`most_similar`).

        Parameters
        ----------
        vector : array-like of shape (n_components,)
            Finite numbers.
        topn : int, default=10

        Returns
        -------
        items : list of (key, similarity) tuples
        """
        return self._nearest(self._query_vector(vector, "vector"), topn)

    def __contains__(self, key):
        """Whether ``key`` has a vector, as ``key in keyed_vectors`` in gensim.

        In a lookup, whether it is a training item's key; with a vectorizer,
        whether it is a name (a string) with a token seen in fit.
        """
        return self.reader.reads(key) and bool(self._compose(self._as_index([key]))[1][0])

    def _query_points(self, query, name):
        """The vectors of the keys and vectors of ``query``, and the rows of its keys' items.

        The rows are those a query leaves out of its answer: the key's own
        item, and with a vectorizer the training names read as the key.
        """
        if query is None:
            query = []
        elif isinstance(query, np.ndarray):  # a vector, or rows of vectors
            query = list(query) if query.ndim == 2 else [query]
        elif _is_one_key(query):  # a key; a tuple is a key of several columns
            query = [query]
        else:  # a list, or a pandas or polars Series of keys (and vectors)
            query = list(query)
        vectors, itself = [], [np.empty(0, dtype=int)]
        for position, item in enumerate(query):
            if isinstance(item, np.ndarray | list):
                vectors.append(self._query_vector(item, f"{name}[{position}]"))
                continue
            vector = self.get_vector(item)
            vectors.append(vector)
            if self.reader.reads_alike:  # the training names read as the key too
                itself.append(np.flatnonzero(np.all(self.vectors == vector, axis=1)))
            else:  # a key never seen in fit may have a vector, and no item of its own
                index = self.get_index([item], handle_unknown="ignore")
                itself.append(index[index >= 0])
        return vectors, np.concatenate(itself)

    def _query_vector(self, vector, name):
        """``vector`` as finite float64 numbers of shape ``(n_components,)``, or a ValueError."""
        array = np.asarray(vector)
        if array.dtype.kind not in "iuf":
            try:  # an object array of numbers is fine, strings are not
                if array.dtype.kind != "O":
                    raise TypeError
                array = array.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name} must be a vector of numbers; it holds {array.dtype} values "
                    f"({describe_keys(array.ravel().tolist())}). Give keys as a list, vectors "
                    "as arrays."
                ) from None
        if array.shape != (self.n_components,):
            raise ValueError(
                f"{name} must be a vector of shape ({self.n_components},); got {array.shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must hold finite numbers; got {array.tolist()}.")
        return array.astype(np.float64)

    def _nearest(self, vector, topn, leave_out=None):
        if not isinstance(topn, Integral) or topn < 1:
            raise ValueError(f"topn must be a positive integer, got {topn!r}.")
        squared = np.sum(np.square(self.vectors - vector), axis=1)
        keep = np.isfinite(squared)  # training names without a token have no vector
        if leave_out is not None:
            keep[leave_out] = False
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(squared[candidates], kind="stable")][:topn]
        similarities = self.similarity_of(squared[order])
        return [(self.keys[i], float(s)) for i, s in zip(order, similarities, strict=True)]

    # -- scoring ---------------------------------------------------------------

    def score(self, keys, descriptors, *, n_rows=None):
        """Spearman correlation of vector distances and descriptor distances.

        Keys without a vector are left out, with a warning: in cross-validation
        they are the held-out items that a lookup, or a vectorizer that finds
        no known token in them, cannot place.

        Parameters
        ----------
        keys : pandas.Index or sequence
            Distinct keys (names in token mode).
        descriptors : ndarray of shape (n_keys, n_descriptors)
        n_rows : int, default=None
            The number of rows the distinct ``keys`` were read from, for the
            warning of a NaN score; ``len(keys)`` by default.

        Returns
        -------
        score : float
            Over all pairs of the keys with a vector, or a fixed sample of
            200,000 pairs when there are more; NaN, with one
            ``UndefinedMetricWarning`` that says why and what to do, when
            fewer than 3 keys have a vector, or when all those pairs are
            equally far apart in the vectors or in the descriptors (constant
            descriptors, say), since equal distances have no ranks to correlate.
        """
        keys = self._as_index(keys)
        vectors = self.get_vectors(keys, handle_unknown="ignore")
        known = ~np.isnan(vectors[:, 0])
        if known.sum() < 3:
            n_rows = len(keys) if n_rows is None else n_rows
            given = (
                f"X holds {n_rows} row(s) of {len(keys)} distinct item(s), {known.sum()} with "
                "a vector"
            )
            why = "" if known.all() else f": {self.reader.why_nothing_to_score()}"
            # Once for every split of a search, whose counts differ (so that Python shows it
            # once), but again for another reason: rows of one item, or items without vectors.
            warn_user(
                "score is NaN: it ranks the distances of pairs of at least 3 distinct items "
                f"with a vector, and {given}{why}",
                UndefinedMetricWarning,
                once=("score is NaN", n_rows > len(keys), bool(known.all())),
            )
            return float("nan")
        if not known.all():
            warn_user(
                f"score leaves out {np.sum(~known)} item(s) that have no vector: "
                f"{describe_keys(keys[~known])}."
            )
        vectors, descriptors = vectors[known], np.asarray(descriptors)[known]
        first, second = _score_pairs(len(vectors))
        embedded = np.sum(np.square(vectors[first] - vectors[second]), axis=1)
        described = descriptor_distances(descriptors, first, second)
        for name, distances in (("vectors", embedded), ("descriptors", described)):
            if np.all(distances == distances[0]):
                warn_user(
                    f"score ranks the distances of pairs of items, but all {len(distances)} "
                    f"pairs are equally far apart in the {name}; returning nan.",
                    UndefinedMetricWarning,
                )
                return float("nan")
        return float(spearmanr(embedded, described).statistic)

    # -- helpers ---------------------------------------------------------------

    def log_odds(self, squared_distance):
        """The model's log-odds of similar at ``squared_distance``: ``bias - scale * d``.

        The one place of the formula outside the Keras model's last layer.
        """
        return self.similarity_bias - self.distance_scale * np.asarray(squared_distance)

    def _log_probability(self, squared_distance):
        """The log of the model's probability of similar, without overflow."""
        return -np.logaddexp(0.0, -self.log_odds(squared_distance))

    def _as_index(self, keys):
        if isinstance(keys, pd.Index):
            return keys
        return pd.Index(list(keys), tupleize_cols=self.keys.nlevels > 1)

    def _compose(self, keys, weights=None):
        """Vectors of ``keys`` and whether each has one (unknown rows are NaN).

        ``weights`` are the keys' token weights when already read.
        """
        if weights is None:
            weights = self.reader.read(keys)
        known = np.diff(weights.indptr) > 0
        vectors = compose(weights, self.token_vectors, self.normalize, self.encoder)
        vectors[~known] = np.nan
        return vectors, known


class RegressedItemVectors(ItemVectors):
    """Item vectors whose keys never seen in fit get a regressor's vectors.

    What :class:`ItemVectors` holds, plus a fitted ``regressor`` that maps a
    key to a vector: the estimators' ``unseen_regressor``, fitted on the
    training keys and their learned vectors. A key the reader places (a
    training key; with a vectorizer, a name with a token seen in fit) has
    its vector as before. Any other key but a missing one (None, NaN) has
    one too: a name that spells a training name otherwise (``"Dark
    Olive-Green"``, ``"burgandy"``: case, spacing and hyphens folded, or at
    most 2 letters, and a fifth of the name, typed wrong) has that name's
    learned vector; any other, training names with no token kept included,
    has the regressor's, put on the unit sphere under ``normalize``. So
    ``key in vectors`` holds for any such key, as gensim's
    ``FastTextKeyedVectors`` has a vector for any word.

    Parameters
    ----------
    vectors : ItemVectors
        The learned vectors.
    regressor : regressor
        Fitted; ``regressor.predict`` takes a 1-D array of keys and gives
        ``(n_keys, n_components)`` vectors.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sk_colour_embed import ItemVectors, RegressedItemVectors
    >>> keys = pd.Index(["red", "dark red", "navy"])
    >>> learned = ItemVectors(
    ...     keys,
    ...     np.array([[0.0, 0.0], [0.2, 0.0], [2.0, 2.0]]),
    ...     distance_scale=1.0,
    ...     similarity_bias=2.0,
    ... )
    >>> regressor = make_pipeline(TfidfVectorizer(), Ridge(alpha=0.1))
    >>> vectors = RegressedItemVectors(learned, regressor.fit(keys, learned.vectors))
    >>> "bright red" in vectors, "bright red" in learned
    (True, False)
    >>> [key for key, _ in vectors.most_similar("bright red", topn=1)]
    ['red']
    """

    def __init__(self, vectors, regressor):
        super().__init__(
            vectors.keys,
            vectors.token_vectors,
            distance_scale=vectors.distance_scale,
            similarity_bias=vectors.similarity_bias,
            reader=vectors.reader,
            normalize=vectors.normalize,
            encoder=vectors.encoder,
            vectors=vectors.vectors,
        )
        self.regressor = regressor
        # A regressor of the wrong shape fails here, not later (two keys: a shape fixed
        # at one row passes one).
        self._predict(self.keys[:2])
        without = np.isnan(self.vectors[:, 0])  # training names with no token kept
        if without.any():
            self.vectors = self.vectors.copy()  # the learned vectors' own stay as they are
            self.vectors[without] = self._predict(self.keys[without])

    def _compose(self, keys, weights=None):
        vectors, known = super()._compose(keys, weights)
        unseen = ~known & ~np.asarray(pd.isna(keys), dtype=bool)
        if unseen.any():
            vectors[unseen] = self._place(keys[unseen])
            known = known | unseen
        return vectors, known

    def _place(self, keys):
        """Vectors of keys the reader does not place: a training name's for a name that
        spells it otherwise (see :class:`NameIndex`), the regressor's for any other."""
        variant = np.full(len(keys), -1)
        text = np.array([isinstance(key, str) for key in keys], dtype=bool)
        if self.keys.nlevels == 1 and text.any():
            variant[text] = self._names().variant_of(list(keys[text]))
        spelt = variant >= 0
        vectors = np.empty((len(keys), self.n_components))
        vectors[spelt] = self.vectors[variant[spelt]]
        if not spelt.all():
            vectors[~spelt] = self._predict(keys[~spelt])
        return vectors

    def _predict(self, keys):
        """The regressor's vectors of ``keys``, on the unit sphere under ``normalize``.

        Checked where they are used: one row of ``n_components`` finite
        numbers per key, or a ``ValueError`` that names the regressor and the
        first key at fault, rather than NaN vectors or a failed reshape later.
        """
        keys = np.asarray(keys, dtype=object)
        name = f"unseen_regressor {type(self.regressor).__name__}"
        try:
            predicted = np.asarray(self.regressor.predict(keys))
        except Exception as error:  # the regressor's own words, and the keys it was given
            raise ValueError(
                f"{name} could not predict the vectors of {len(keys)} key(s) never seen in "
                f"fit, starting with {keys[0]!r} ({type(keys[0]).__name__}): "
                f"{type(error).__name__}: {error}"
            ) from error
        if predicted.ndim == 1 and self.n_components == 1:
            predicted = predicted[:, np.newaxis]
        if predicted.shape != (len(keys), self.n_components) or predicted.dtype.kind not in "iuf":
            raise ValueError(
                f"{name} predicted an array of shape {predicted.shape} ({predicted.dtype}) for "
                f"{len(keys)} key(s), starting with {keys[0]!r}; it must predict a vector of "
                f"{self.n_components} number(s) for each key, shape "
                f"({len(keys)}, {self.n_components})."
            )
        predicted = predicted.astype(np.float64)
        finite = np.isfinite(predicted).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"{name} predicted values that are not finite numbers (NaN or inf) for "
                f"{np.sum(~finite)} of {len(keys)} key(s), the first {keys[~finite][0]!r}: "
                f"{predicted[~finite][0].tolist()}. A vector must be finite numbers."
            )
        return on_unit_sphere(predicted) if self.normalize else predicted
