"""PairSimilarityEmbedder: item vectors learned from labelled pairs."""

from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_colour_embed._classifier import (
    TRAINING_CONSTRAINTS,
    PairSimilarityClassifier,
    spread_seeds,
)
from sk_colour_embed._items import (
    ItemTable,
    keys_of,
    missing_rows,
    set_item_tags,
    validate_items,
    validate_keys,
)
from sk_colour_embed._sampling import PairSampler
from sk_colour_embed._state import AtomicParamsMixin, all_or_nothing
from sk_colour_embed._tokens import names_of
from sk_colour_embed._warnings import warn_user


def _warn_if_labels(y):
    """Warn when ``y`` looks like class labels, not descriptors.

    Inside a Pipeline the embedder is fitted on the pipeline's target; for a
    classifier downstream that is a column of labels, and the vectors then
    learn the labels.
    """
    if y.ndim == 1 or y.shape[1] == 1:
        n_values = len(np.unique(y))
        if n_values <= 2:
            warn_user(
                f"y holds {n_values} distinct value(s), like class labels: the vectors "
                "are learned from y, as descriptors of the items. Inside a Pipeline, "
                "the embedder is fitted on the pipeline's target; to use vectors learned "
                "from other descriptors, fit the embedder on them first and wrap it in "
                "sklearn.frozen.FrozenEstimator."
            )


class PairSimilarityEmbedder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, AtomicParamsMixin, BaseEstimator
):
    """Learn a vector for each item from pairs labelled similar or dissimilar.

    ``fit(X, y)`` takes item keys ``X`` and numeric descriptors ``y`` (for
    colours, r, g, b). It draws labelled pairs of items with ``sampler``,
    trains a Keras model ``Embedding -> [weighted sum of tokens] -> squared
    distance -> probability of similar`` on them with Adam, and keeps the learned vectors in
    ``vectors_``. ``transform(X)`` gives the vector of each row.

    Two modes:

    - ``vectorizer=None`` (the tutorial): each key is an item of its own
      with a vector of its own, looked up exactly (``"Grey"`` and
      ``"grey"`` are different items). ``X`` may have several key columns,
      whose values together identify an item.
    - With a scikit-learn text vectorizer (``CountVectorizer``,
      ``TfidfVectorizer``, ``HashingVectorizer``, or a ``FeatureUnion`` of
      them), ``X`` is one column of names. The vectorizer reads each name
      into weighted tokens (words, character n-grams), the model learns a
      vector per token, and a name's vector is the sum of its tokens'
      vectors weighted by the vectorizer (with ``norm="l1"``, their weighted
      mean). Any name with a token seen in fit has a vector, so
      held-out names can be scored and cross-validation works as usual.

    The descriptors only decide the labels of the pairs: the model sees items
    and labels, never the descriptors themselves. :meth:`score` measures how
    well the vectors keep the descriptors' geometry.

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
    vectorizer : transformer or None, default=None
        Reads names into token weights: any object with ``fit`` and
        ``transform`` that maps a sequence of strings to a matrix, such as
        ``TfidfVectorizer()``. It is cloned at fit; its parameters are
        searchable (``vectorizer__ngram_range``). A name's vector is the sum
        of its token vectors weighted by the absolute values of the
        vectorizer's output, so its ``norm`` chooses the composition:
        ``"l1"`` gives a weighted mean, TF-IDF's default ``"l2"`` measured
        best on held-out names (see the design notes). Words and character
        3-grams, ``make_union(TfidfVectorizer(), TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 3), min_df=2))``, give vectors to
        names whose words were never seen too. None looks keys up exactly.
    name_vectors : bool, default=True
        With a vectorizer, also learn a vector of each training name's own,
        added to its tokens' (as fastText does for words): training names
        then fit as closely as with a lookup, and a new name has its tokens'
        vectors alone. Names the vectorizer reads the same way (``"Red"``,
        ``" red "``) share it. Ignored without a vectorizer.
    epochs : int, default=500
        Passes over the pairs.
    batch_size : int, default=512
        Pairs per Adam step.
    learning_rate : float, default=0.001
        Adam's learning rate.
    normalize : bool, default=False
        Put the vectors on the unit sphere.
    handle_unknown : {"error", "nan"}, default="error"
        What :meth:`transform` does with an item that has no vector (a key
        not seen in fit; with a vectorizer, a name with no token seen in
        fit): ``"error"`` raises a ``ValueError`` naming them, ``"nan"`` gives
        their rows NaN vectors. Without a vectorizer, :meth:`score` follows
        it too (leaving such items out with a warning under ``"nan"``); with
        one, :meth:`score` always leaves out, with a warning, the held-out
        names that have no vector, so that cross-validation scores the rest.
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
    vectors_ : ItemVectors
        The learned vectors, NumPy only: the training items' vectors, the
        token vectors and fitted vectorizer in token mode, the model's
        similarity and the queries.
    embedding_ : pandas.DataFrame of shape (n_items, n_components)
        The vector of each training item, indexed by item key (a MultiIndex
        for several key columns).
    history_ : dict
        ``{"loss": list}``, the mean training loss of each epoch, as in a
        Keras ``History``.
    sampler_ : PairSampler
        The fitted clone of ``sampler``.
    classifier_ : PairSimilarityClassifier
        The classifier of pairs that learned the vectors from the sampler's
        pairs (the same training, the same ``vectors_``): its
        ``predict_proba`` gives the model's probability that two training
        items are similar.
    recording_ : ndarray of shape (n_recorded, n_items, n_components)
        The recorded vectors of the training items, float32, starting with
        the initial ones (only with ``record_every``).
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
    PairSimilarityClassifier : Learns the same vectors from pairs users label.
    ItemVectors : The fitted vectors and their queries.
    sk_colour_embed.build_pair_model : The Keras model, as a plain function.

    Notes
    -----
    The probability of similar decreases with the distance for every value of
    the weights (the distance scale is a softplus, always positive), so
    closer vectors always mean more similar items. After fit the estimator
    holds NumPy, pandas and scikit-learn objects only: transforming,
    querying and unpickling need no TensorFlow, for unseen names too.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> embedder = PairSimilarityEmbedder(
    ...     sampler=PairSampler(n_pairs=20_000), epochs=30, random_state=0
    ... ).fit(X, y)
    >>> embedder.transform(X.head(3)).shape
    (3, 2)
    >>> round(embedder.score(X, y), 1) > 0.5
    True

    With a vectorizer, names never seen in fit get vectors from their words:

    >>> words = PairSimilarityEmbedder(
    ...     vectorizer=TfidfVectorizer(), sampler=PairSampler(n_pairs=20_000), epochs=30,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> import pandas as pd
    >>> words.transform(pd.DataFrame({"name": ["Dark Sea Blue"]})).shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "sampler": [PairSampler, None],
        "handle_unknown": [StrOptions({"error", "nan"})],
        "record_every": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        sampler=None,
        vectorizer=None,
        name_vectors=True,
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
        self.vectorizer = vectorizer
        self.name_vectors = name_vectors
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
            Item keys (one column of names with a vectorizer). Repeated keys
            are one item.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Numeric descriptors that define similarity (r, g, b for colours).
            Repeated keys with different descriptors are averaged, with a
            warning.

        Returns
        -------
        self : PairSimilarityEmbedder
        """
        with all_or_nothing(self):
            self._fit(X, y)
        return self

    def set_params(self, **params):
        """Set parameters, all or none; ``sampler__*`` ones work with the default sampler too.

        With ``sampler=None``, setting a ``sampler__*`` parameter first sets
        ``sampler`` to ``PairSampler()``, the sampler that None stands for, so
        that ``GridSearchCV`` can search ``sampler__threshold`` on a default
        embedder. Every name is checked before any is set: an unknown one, or
        one under a component that is None (``vectorizer__lowercase`` with
        ``vectorizer=None``), raises a ``ValueError`` naming it, and nothing
        is set.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : PairSimilarityEmbedder
        """
        if any(name.startswith("sampler__") for name in params):
            if params.get("sampler", self.sampler) is None:
                params = {**params, "sampler": PairSampler()}
        return super().set_params(**params)

    def transform(self, X):
        """The vector of each row's item.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys (names, with a vectorizer: any name with a token seen in
            fit has a vector).

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_components)
            Float64; NaN rows for items without a vector under
            ``handle_unknown="nan"``.
        """
        keys = self._keys(X)
        return self.vectors_.get_vectors(keys, self.handle_unknown)

    def score(self, X, y):
        """Spearman rank correlation of embedding and descriptor distances.

        Over the distinct items of ``X`` (all pairs of them, or a fixed random
        sample of 200,000 pairs when there are more), the rank correlation
        between the distances of their vectors and the distances of their
        descriptors ``y``. It uses no labels, so fits with different
        similarity thresholds compare; 1 means the vectors order all pairs
        as the descriptors do.

        With a vectorizer, ``X`` may hold names never seen in fit: in
        cross-validation the score is then measured on the held-out names
        alone. Without one, every item of ``X`` must have been seen in fit
        (use ``cv=InSampleSplit()``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Their descriptors.

        Returns
        -------
        score : float
            NaN, with an ``UndefinedMetricWarning``, for fewer than 3 items
            with a vector, or when all their pairs are equally far apart in
            the vectors or in the descriptors. Without a vectorizer, items not
            seen in fit raise a ``ValueError`` that names the ways out, unless
            ``handle_unknown="nan"`` and at least 3 of them were seen.
        """
        check_is_fitted(self)
        X, y = validate_items(self, X, y, reset=False)
        if self.vectors_.tokens is not None:
            names_of(X)
        items = ItemTable.from_rows(X, y)
        n_fitted = self.sampler_.items_.descriptors.shape[1]
        if items.descriptors.shape[1] != n_fitted:
            raise ValueError(
                f"y has {items.descriptors.shape[1]} descriptor column(s), but fit saw "
                f"{n_fitted}: score compares the same descriptors."
            )
        return self.vectors_.score(items.keys, items.descriptors, self.handle_unknown)

    def similarity(self, key_a, key_b):
        """How similar two items are, in [0, 1]: 1 for an item and itself.

        The model's probability that the two are similar, relative to its
        probability for identical vectors: ``p(d) / p(0)`` with
        ``p(d) = sigmoid(bias - scale * d)`` and ``d`` the squared distance.
        It falls towards 0 as the vectors move apart.

        Parameters
        ----------
        key_a, key_b : hashable
            Item keys (tuples when there are several key columns); with a
            vectorizer, any names it can read.

        Returns
        -------
        similarity : float
        """
        check_is_fitted(self)
        return self.vectors_.similarity(key_a, key_b)

    def most_similar(self, query, topn=10):
        """The training items most similar to ``query``, most similar first.

        Parameters
        ----------
        query : hashable or ndarray of shape (n_components,)
            An item key (a tuple when there are several key columns; with a
            vectorizer, any name it can read), or a vector, as gensim's
            ``similar_by_vector``.
        topn : int, default=10
            How many items to return.

        Returns
        -------
        items : list of (key, similarity) tuples
            As gensim's ``KeyedVectors.most_similar``; the query itself is
            never returned (nor, with a vectorizer, a name it reads the same
            way), and similarity is as in :meth:`similarity`.
        """
        check_is_fitted(self)
        return self.vectors_.most_similar(query, topn)

    def to_keyed_vectors(self, key_to_str=None):
        """The training items' vectors as gensim ``KeyedVectors`` (needs gensim).

        See :meth:`ItemVectors.to_keyed_vectors`: gensim's ``most_similar``
        (cosine) ranks as this estimator's (distance) with ``normalize=True``.

        Parameters
        ----------
        key_to_str : callable or None, default=None
            The string key of each training key; None is ``str``, and must be
            replaced (``"/".join``) for several key columns.

        Returns
        -------
        keyed_vectors : gensim.models.KeyedVectors
        """
        check_is_fitted(self)
        return self.vectors_.to_keyed_vectors(key_to_str)

    @property
    def embedding_(self):
        return self.vectors_.to_frame(columns=self._feature_names())

    def __sklearn_tags__(self):
        tags = set_item_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = []
        if self.vectorizer is not None:
            # One column of text, as scikit-learn's vectorizers and skrub's
            # string encoders: the checks that feed numbers do not apply.
            tags.input_tags.two_d_array = False
        return tags

    # -- helpers -------------------------------------------------------------

    @property
    def _n_features_out(self):
        return self.vectors_.n_components

    def _feature_names(self):
        prefix = self.__class__.__name__.lower()
        return [f"{prefix}{i}" for i in range(self.vectors_.n_components)]

    def _keys(self, X):
        """Validate ``X`` against fit and give each row's key."""
        check_is_fitted(self)
        X = validate_keys(self, X)
        missing = missing_rows(X)
        if len(missing) and self.handle_unknown == "error":
            raise ValueError(
                f"X has a missing key (None or NaN) in {len(missing)} row(s), the first at row "
                f"{missing[0]}; use handle_unknown='nan' to give such rows NaN vectors."
            )
        if self.vectors_.tokens is not None:
            names_of(X, allow_missing=True)
        return keys_of(X)

    def _fit(self, X, y):
        """Validate, draw the pairs, learn from them as the pair classifier does."""
        X, y = validate_items(self, X, y)
        if self.vectorizer is not None:
            names_of(X)
        _warn_if_labels(y)
        sampler_seed, init_seed, order_seed = spread_seeds(self.random_state, 3)
        sampler = self._fitted_sampler(X, y, sampler_seed)
        (first, second), _, similar = sampler.draw_index_pairs()
        classifier = PairSimilarityClassifier(
            **{name: getattr(self, name) for name in TRAINING_CONSTRAINTS}, negative=0
        )
        recorder = classifier._fit_indexed(
            sampler.items_.keys,
            np.column_stack([first, second]),
            similar,
            init_seed,
            order_seed,
            self.record_every,
        )
        # It classifies pairs as the sampler gives them: item_x, item_y.
        classifier.feature_names_in_ = np.array(["item_x", "item_y"], dtype=object)
        classifier.n_features_in_ = 2
        self.sampler_, self.classifier_ = sampler, classifier
        self.vectors_, self.history_ = classifier.vectors_, classifier.history_
        for name in ("recorded_epochs_", "recording_"):  # none left from an earlier fit
            vars(self).pop(name, None)
        if recorder is not None:
            self.recorded_epochs_, self.recording_ = recorder.result()

    def _fitted_sampler(self, X, y, seed):
        sampler = clone(self.sampler if self.sampler is not None else PairSampler())
        # fit below skips nested validation: check the sampler's parameters here.
        sampler._validate_params()
        if sampler.random_state is None:
            sampler.set_params(random_state=seed)
        return sampler.fit(X, y)
