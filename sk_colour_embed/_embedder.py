"""PairSimilarityEmbedder: item vectors learned from labelled pairs."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import spearmanr
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_colour_embed._items import (
    ItemTable,
    describe_keys,
    keys_of,
    set_item_tags,
    validate_items,
)
from sk_colour_embed._sampling import PairSampler
from sk_colour_embed._warnings import warn_user

_SCORE_MAX_PAIRS = 200_000
_SCORE_SEED = 0


def _softplus(z):
    return np.logaddexp(0.0, z)


def _spread_seeds(random_state, n):
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n)


def _score_pairs(n_items):
    """All pairs of ``n_items`` items, or a fixed random sample of them."""
    n_all = n_items * (n_items - 1) // 2
    if n_all <= _SCORE_MAX_PAIRS:
        return np.triu_indices(n_items, k=1)
    rng = np.random.RandomState(_SCORE_SEED)
    first = rng.randint(n_items, size=_SCORE_MAX_PAIRS)
    second = (first + rng.randint(1, n_items, size=_SCORE_MAX_PAIRS)) % n_items
    return first, second


class PairSimilarityEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Learn a vector for each item from pairs labelled similar or dissimilar.

    ``fit(X, y)`` takes item keys ``X`` (one or more columns; the values of a
    row together identify an item) and numeric descriptors ``y`` (for colours,
    r, g, b). It draws labelled pairs of items with ``sampler``, trains a Keras
    model ``Embedding -> squared distance -> probability of similar`` on them
    with Adam, and keeps the learned vectors. ``transform(X)`` looks up the
    vector of each row's item.

    The descriptors only decide the labels of the pairs: the model sees item
    identities and labels, never the descriptors themselves. :meth:`score`
    measures how well the vectors keep the descriptors' geometry.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the vectors.
    sampler : PairSampler or None, default=None
        Draws the labelled pairs; ``None`` means ``PairSampler()`` (and
        setting a ``sampler__*`` parameter makes it so). It is cloned at fit.
        When its ``random_state`` is None, the embedder's ``random_state``
        seeds it, so that a fixed ``random_state`` makes the whole fit
        reproducible.
    epochs : int, default=500
        Passes over the pairs.
    batch_size : int, default=512
        Pairs per Adam step.
    learning_rate : float, default=0.001
        Adam's learning rate.
    normalize : bool, default=False
        Put the vectors on the unit sphere.
    handle_unknown : {"error", "nan"}, default="error"
        What :meth:`transform` and :meth:`score` do with an item that was not
        seen in fit (such an item has no vector). ``"error"`` raises a
        ``ValueError`` naming the unknown keys; ``"nan"`` gives its rows NaN
        vectors in :meth:`transform`, and :meth:`score` leaves it out with a
        warning.
    record_every : int or None, default=None
        Record the vectors every ``record_every`` epochs during fit, for
        :func:`sk_colour_embed.plotting.animate_training`. The recording costs
        ``4 * n_items * n_components`` bytes per recorded epoch (for the 949
        xkcd colours in 2-D, 500 recorded epochs take 3.8 MB).
    random_state : int, RandomState instance or None, default=None
        Seeds the pairs (see ``sampler``), the initial vectors and the order
        of the pairs in each epoch. The same value gives the same fit on the
        same machine.
    verbose : int, default=0
        0 prints nothing; 1 shows a progress bar over epochs.

    Attributes
    ----------
    embedding_ : pandas.DataFrame of shape (n_items, n_components)
        The vector of each item, indexed by item key (a MultiIndex for
        several key columns).
    history_ : dict
        ``{"loss": list}``, the mean training loss of each epoch, as in a
        Keras ``History``.
    distance_scale_ : float
        The model's probability of similar is
        ``sigmoid(similarity_bias_ - distance_scale_ * squared_distance)``.
    similarity_bias_ : float
        See ``distance_scale_``.
    sampler_ : PairSampler
        The fitted clone of ``sampler``.
    recording_ : ndarray of shape (n_recorded, n_items, n_components)
        The recorded vectors, float32, starting with the initial ones
        (only with ``record_every``).
    recorded_epochs_ : ndarray of shape (n_recorded,)
        The number of epochs done at each recording (only with
        ``record_every``).
    n_features_in_ : int
        Number of key columns.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the key columns, when ``X`` has string column names.

    See Also
    --------
    PairSampler : Draws the labelled pairs.
    sk_colour_embed.build_pair_model : The Keras model, as a plain function.

    Notes
    -----
    The probability of similar decreases with the distance for every value of
    the weights (``distance_scale_`` is a softplus, always positive), so
    closer vectors always mean more similar items. After fit the estimator
    holds NumPy arrays only: transforming, querying and unpickling need no
    TensorFlow.

    Examples
    --------
    >>> from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> embedder = PairSimilarityEmbedder(
    ...     sampler=PairSampler(n_pairs=20_000), epochs=30, random_state=0
    ... ).fit(X, y)
    >>> embedder.transform(X.head(3)).shape
    (3, 2)
    >>> round(embedder.score(X, y), 1) > 0.5
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "sampler": [PairSampler, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "normalize": ["boolean"],
        "handle_unknown": [StrOptions({"error", "nan"})],
        "record_every": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        sampler=None,
        epochs=500,
        batch_size=512,
        learning_rate=0.001,
        normalize=False,
        handle_unknown="error",
        record_every=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.sampler = sampler
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.normalize = normalize
        self.handle_unknown = handle_unknown
        self.record_every = record_every
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Draw labelled pairs of the items of ``X`` and learn their vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys. Repeated keys are one item.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Numeric descriptors that define similarity (r, g, b for colours).
            Repeated keys with different descriptors are averaged, with a
            warning.

        Returns
        -------
        self : PairSimilarityEmbedder
        """
        from sk_colour_embed import _engine, _model  # imports TensorFlow

        X, y = validate_items(self, X, y)
        sampler_seed, init_seed, order_seed = _spread_seeds(self.random_state, 3)
        sampler = clone(self.sampler if self.sampler is not None else PairSampler())
        if sampler.random_state is None:
            sampler.set_params(random_state=sampler_seed)
        self.sampler_ = sampler.fit(X, y)
        (first, second), _, similar = self.sampler_.draw_index_pairs()

        n_items = len(self.sampler_.items_)
        model = _model.build_pair_model(
            n_items, self.n_components, normalize=self.normalize, seed=int(init_seed)
        )
        recorder = _Recorder(self.record_every, self._vectors_of)
        recorder.record(0, model.get_layer("embedding").get_weights()[0])
        progress = (
            _model.keras.utils.Progbar(self.epochs, verbose=1, unit_name="epoch")
            if self.verbose
            else None
        )

        def on_epoch_end(epoch, loss, trainer):
            if progress is not None:
                progress.update(epoch + 1, [("loss", loss)])
            if recorder.wants(epoch + 1):
                recorder.record(epoch + 1, trainer.current_embedding())

        losses = _engine.train(
            model,
            np.column_stack([first, second]),
            similar,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            rng=np.random.default_rng(order_seed),
            on_epoch_end=on_epoch_end,
        )
        raw_scale, bias = model.get_layer("distance_to_probability").get_weights()
        vectors = self._vectors_of(model.get_layer("embedding").get_weights()[0])
        self.embedding_ = pd.DataFrame(
            vectors.astype(np.float64),
            index=self.sampler_.items_.keys,
            columns=self._feature_names(),
        )
        self.history_ = {"loss": losses.tolist()}
        self.distance_scale_ = float(_softplus(raw_scale))
        self.similarity_bias_ = float(bias)
        if self.record_every is not None:
            self.recorded_epochs_, self.recording_ = recorder.result()
        return self

    def set_params(self, **params):
        """Set parameters; ``sampler__*`` ones work with the default sampler too.

        With ``sampler=None``, setting a ``sampler__*`` parameter first sets
        ``sampler`` to ``PairSampler()``, the sampler that None stands for, so
        that ``GridSearchCV`` can search ``sampler__threshold`` on a default
        embedder.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : PairSimilarityEmbedder
        """
        if self.sampler is None and params.get("sampler") is None:
            if any(name.startswith("sampler__") for name in params):
                self.sampler = PairSampler()
        return super().set_params(**params)

    def transform(self, X):
        """The vector of each row's item.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_components)
            Float64; NaN rows for unknown items with ``handle_unknown="nan"``.
        """
        index = self._item_indices(X)
        vectors = self.embedding_.to_numpy()
        result = np.full((len(index), self.n_components), np.nan)
        known = index >= 0
        result[known] = vectors[index[known]]
        return result

    def score(self, X, y):
        """Spearman rank correlation of embedding and descriptor distances.

        Over the distinct items of ``X`` (all pairs of them, or a fixed random
        sample of 200,000 pairs when there are more), the rank correlation
        between the distances of their vectors and the distances of their
        descriptors ``y``. It uses no labels, so fits with different
        similarity thresholds compare; 1 means the vectors order all pairs
        as the descriptors do.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Their descriptors.

        Returns
        -------
        score : float
            NaN, with an ``UndefinedMetricWarning``, for fewer than 3 items.
        """
        check_is_fitted(self)
        X, y = validate_items(self, X, y, reset=False)
        items = ItemTable.from_rows(X, y)
        index = self._index_of(items.keys)
        known = index >= 0
        if not known.all():
            warn_user(
                f"score leaves out {np.sum(~known)} item(s) not seen in fit: "
                f"{describe_keys(items.keys[~known])}."
            )
        if known.sum() < 3:
            warn_user(
                f"score needs at least 3 distinct items seen in fit to rank their "
                f"distances, got {known.sum()}; returning nan.",
                UndefinedMetricWarning,
            )
            return float("nan")
        vectors = self.embedding_.to_numpy()[index[known]]
        descriptors = items.descriptors[known]
        first, second = _score_pairs(len(vectors))
        embedded = np.sum(np.square(vectors[first] - vectors[second]), axis=1)
        described = np.mean(np.square(descriptors[first] - descriptors[second]), axis=1)
        return float(spearmanr(embedded, described).statistic)

    def similarity(self, key_a, key_b):
        """The model's probability that two items are similar, in (0, 1).

        Parameters
        ----------
        key_a, key_b : hashable
            Item keys (tuples when there are several key columns).

        Returns
        -------
        similarity : float
            ``sigmoid(similarity_bias_ - distance_scale_ * squared_distance)``:
            the closer the vectors, the higher.
        """
        check_is_fitted(self)
        vectors = self.embedding_.to_numpy()[self._index_of_keys([key_a, key_b])]
        return float(self._similarities(vectors[0], vectors[1:])[0])

    def most_similar(self, key, topn=10):
        """The items most similar to ``key``, most similar first.

        Parameters
        ----------
        key : hashable
            An item key (a tuple when there are several key columns).
        topn : int, default=10
            How many items to return.

        Returns
        -------
        items : list of (key, similarity) tuples
            As gensim's ``KeyedVectors.most_similar``; ``key`` itself is left
            out, and similarity is as in :meth:`similarity`.
        """
        check_is_fitted(self)
        if not isinstance(topn, Integral) or topn < 1:
            raise ValueError(f"topn must be a positive integer, got {topn!r}.")
        (index,) = self._index_of_keys([key])
        vectors = self.embedding_.to_numpy()
        similarities = self._similarities(vectors[index], vectors)
        similarities[index] = -np.inf
        order = np.argsort(-similarities, kind="stable")[: min(topn, len(vectors) - 1)]
        keys = self.embedding_.index
        return [(keys[i], float(similarities[i])) for i in order]

    def __sklearn_tags__(self):
        tags = set_item_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- helpers -------------------------------------------------------------

    @property
    def _n_features_out(self):
        return self.n_components

    def _feature_names(self):
        prefix = self.__class__.__name__.lower()
        return [f"{prefix}{i}" for i in range(self.n_components)]

    def _vectors_of(self, weights):
        if not self.normalize:
            return weights
        norms = np.linalg.norm(weights, axis=1, keepdims=True)
        return weights / np.maximum(norms, 1e-12)

    def _similarities(self, vector, vectors):
        squared = np.sum(np.square(vectors - vector), axis=1)
        return expit(self.similarity_bias_ - self.distance_scale_ * squared)

    def _item_indices(self, X):
        """Validate ``X`` and give the index of each row's item in ``embedding_``."""
        check_is_fitted(self)
        return self._index_of(keys_of(validate_data(self, X, dtype=None, reset=False)))

    def _index_of(self, keys):
        """Index of each key in ``embedding_``, -1 where unknown (or an error)."""
        index = self.embedding_.index.get_indexer(keys)
        if self.handle_unknown == "error" and (index < 0).any():
            unknown = keys[index < 0].unique()
            raise ValueError(
                f"{len(unknown)} item(s) were not seen in fit and have no vector: "
                f"{describe_keys(unknown)}. Use handle_unknown='nan' to give them "
                "NaN vectors instead."
            )
        return index

    def _index_of_keys(self, keys):
        index = self.embedding_.index.get_indexer(
            pd.Index(keys, tupleize_cols=self.embedding_.index.nlevels > 1)
        )
        missing = [key for key, i in zip(keys, index, strict=True) if i < 0]
        if missing:
            raise KeyError(f"item(s) not seen in fit: {describe_keys(missing)}.")
        return index


class _Recorder:
    """Keeps the vectors every ``every`` epochs (nothing when ``every`` is None)."""

    def __init__(self, every, vectors_of):
        self.every = every
        self.vectors_of = vectors_of
        self.epochs, self.frames = [], []

    def wants(self, epoch):
        return self.every is not None and epoch % self.every == 0

    def record(self, epoch, weights):
        if self.every is not None:
            self.epochs.append(epoch)
            self.frames.append(self.vectors_of(weights).astype(np.float32))

    def result(self):
        return np.array(self.epochs), np.stack(self.frames)
