"""PairSimilarityEmbedder: item vectors learned from labelled pairs."""

import os
from numbers import Integral

import joblib
import numpy as np
from sklearn.base import (
    BaseEstimator,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.callback import CallbackSupportMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_colour_embed._atomic import AtomicParamsMixin, all_or_nothing
from sk_colour_embed._callbacks import fit_task
from sk_colour_embed._classifier import PairSimilarityClassifier, fitted_classifier
from sk_colour_embed._fitting import DrawnPairs, check_regressor, fit_vectors
from sk_colour_embed._items import (
    HANDLE_UNKNOWN,
    ItemTable,
    check_no_missing,
    ignores_unknown,
    keys_of,
    missing_rows,
    set_item_tags,
    validate_items,
    validate_keys,
)
from sk_colour_embed._params import TOL, TRAINING_CONSTRAINTS, TrainingConfig
from sk_colour_embed._queries import ItemQueriesMixin
from sk_colour_embed._readers import reader_class
from sk_colour_embed._reference import fitted_state as reference_fit
from sk_colour_embed._sampling import PairSampler, fitted_columns
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
                "from other descriptors, give them as reference=(X, y), or fit the embedder "
                "on them first and wrap it in sklearn.frozen.FrozenEstimator."
            )


class PairSimilarityEmbedder(
    ItemQueriesMixin,
    TransformerMixin,
    AtomicParamsMixin,
    CallbackSupportMixin,
    BaseEstimator,
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
        Reads names into features: any object with ``fit`` and ``transform``
        that maps a sequence of strings to a matrix, sparse or dense, such as
        ``TfidfVectorizer()``, ``make_pipeline(TfidfVectorizer(analyzer=
        "char_wb"), TruncatedSVD(50))`` or :class:`WordVectors`. It is cloned
        at fit; its parameters are searchable (``vectorizer__ngram_range``).
        A name's vector is its feature row, signs kept, times a learned
        matrix: the sum of its tokens' vectors weighted by the vectorizer's
        output, so its ``norm`` chooses the composition (``"l1"`` gives a
        weighted mean of non-negative weights; TF-IDF's default ``"l2"`` measured best on held-out
        names, see benchmarks/results.md). Words and character 3-grams,
        ``make_union(TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb",
        ngram_range=(3, 3), min_df=2))``, give vectors to names whose words
        were never seen too. None looks keys up exactly.
    name_vectors : bool, default=True
        With a vectorizer, also learn a vector of each training name's own,
        added to its tokens' (as fastText does for words): training names
        then fit as closely as with a lookup, and a new name has its tokens'
        vectors alone. Names the vectorizer reads the same way (``"Red"``,
        ``" red "``) share it. Ignored without a vectorizer.
    hidden_layer_sizes : int or tuple of int, default=()
        Hidden layers between a name's features and its vector, as in
        ``MLPRegressor(hidden_layer_sizes=...)``: the learned matrix then
        maps the features to the first size, and each layer adds a bias and
        a ReLU, before a linear map to ``n_components``. A non-linear map
        places names never seen better when the features hold more than
        their spelling (pretrained word vectors; see benchmarks/results.md).
        ``()``, the default, is the tutorial's model.
    unseen_regressor : regressor or None, default=None
        Gives vectors to keys that have none: after training, a clone is
        fitted on the training keys and their learned vectors, and
        :meth:`transform` takes its prediction for any key never seen in fit
        (with a vectorizer, any name without a token seen in fit); missing
        keys still follow ``handle_unknown``. It takes a column of keys, so
        a text vectorizer leads it: with the ``words`` extra,
        ``make_pipeline(make_union(TfidfVectorizer(), WordVectors()),
        MLPRegressor(hidden_layer_sizes=64, alpha=0.1))`` on the tutorial's
        lookup places held-out xkcd names best of the readings measured, at
        the lookup's training cost (see benchmarks/results.md). Its ``random_state``
        parameters left at None are seeded from ``random_state``. Needs one
        key column.
    epochs : int, default=500
        Passes over the pairs.
    batch_size : int, default=512
        Pairs per Adam step.
    learning_rate : float, default=0.001
        Adam's learning rate.
    tol : float, default=1e-5
        The fall of the judged loss an epoch that counts as none: early
        stopping stops after ``n_iter_no_change`` epochs without a better
        loss by ``tol``, and a fit that runs all its epochs warns
        (``ConvergenceWarning``) when its loss still falls faster than
        ``tol`` at the end (see :meth:`fit`). Smaller than
        ``MLPClassifier``'s 1e-4, which stops the tutorial's fit while its
        score still rises (see benchmarks/results.md).
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` that stop training, with
        ``early_stopping``.
    early_stopping : bool, default=False
        Stop training before ``epochs`` once the judged loss has not fallen
        below its best by at least ``tol`` for ``n_iter_no_change``
        consecutive epochs, as scikit-learn's ``MLPClassifier`` counts them.
        The judged loss is that of ``validation_fraction`` of the pairs, held
        out of training (drawn with the fit's seed), and the vectors of its
        best epoch are kept; with ``validation_fraction=None``, the training
        loss. The tutorial's fit then stops after 286 of its 500 epochs
        (scoring 0.859 instead of 0.867), or on the training loss after 308
        (0.866): see ``benchmarks/bench_early_stopping.py``. False, the
        default, runs every epoch, as the tutorial does.
    validation_fraction : float or None, default=0.1
        Share of the pairs held out with ``early_stopping``; None holds out
        none and judges the training loss.
    normalize : bool, default=False
        Put the vectors on the unit sphere.
    handle_unknown : {"error", "ignore"}, default="error"
        What :meth:`transform` does with an item that has no vector (a key
        not seen in fit; with a vectorizer, a name with no token seen in
        fit; a missing key follows ``handle_missing``): ``"error"`` raises a
        ``ValueError`` naming them, ``"ignore"`` gives their rows NaN
        vectors, which a ``SimpleImputer`` or a model that takes NaN can
        follow. :meth:`score` always leaves out, with a warning,
        the items that have no vector.
    handle_missing : {"nan", "error", "mean"}, default="nan"
        What :meth:`transform` gives a row whose key is missing (None, NaN,
        ``pd.NA``), whatever ``handle_unknown`` says of keys never seen:
        ``"nan"`` a NaN vector, ``"error"`` a ``ValueError`` naming the row,
        ``"mean"`` the mean of the training items' vectors, a vector of its
        own that a model downstream tells apart from an unknown key's NaN.
        Training rows must have keys.
    add_indicator : bool, default=False
        Add three columns to :meth:`transform`'s output, for the model
        downstream to weigh each row's vector, as ``SimpleImputer``'s
        ``add_indicator`` does: ``<prefix>_missing``, 1 for a missing key;
        ``<prefix>_unseen``, 1 for a key that is not a training item, whose
        vector (if any) was placed by reading the name (the vectorizer's
        tokens, or the ``unseen_regressor``) rather than looked up; and
        ``<prefix>_name_distance``, how far the name is from the nearest
        training name, in [0, 1] (see :meth:`ItemVectors.name_distance`): a
        misspelling or another spelling of a known name is near 0, a name
        sharing no 3 letters with any is 1. ``get_feature_names_out`` names
        them.
    record_every : int or None, default=None
        Record the vectors every ``record_every`` epochs during fit, for
        :func:`sk_colour_embed.plotting.animate_training`. The recording costs
        ``4 * n_items * n_components`` bytes per recorded epoch (for the 949
        xkcd colours in 2-D, 500 recorded epochs take 3.8 MB).
    reference : tuple (X_ref, y_ref) or None, default=None
        The table the vectors are learned from, when the embedder is a
        feature step of another model: item keys ``X_ref`` and their
        descriptors ``y_ref``, the arguments ``fit`` takes without it (for
        colours, the colour table). :meth:`fit` then learns the vectors from
        the reference alone: it checks its own ``X`` (the column of names,
        or the key columns, that :meth:`transform` will get) and never uses
        its ``y``, so a pipeline's target cannot leak into the vectors, and
        ``GridSearchCV`` can tune the embedder's parameters by the
        downstream model's score. The vectors are those of
        ``fit(X_ref, y_ref)`` with the same parameters, and a seeded fit
        (an integer ``random_state``) trains once per setting: the other
        fits of a search, one per fold, take a copy (see ``memory``).
    memory : str, path, joblib.Memory or None, default=None
        With ``reference``, where fits are kept for worker processes to
        share (``n_jobs``, Dask), as ``Pipeline(memory=...)``: a folder or a
        ``joblib.Memory``, which the user bounds and clears
        (``joblib.Memory(folder).reduce_size()``, ``.clear()``). Within one
        process the last 8 seeded fits are kept anyway. Unseeded fits are
        never kept. A folder that cannot be read or written, or a damaged
        kept fit, costs no fit: the fit is made again, the same, with one
        ``RuntimeWarning`` naming ``memory``.
    random_state : int, RandomState instance or None, default=None
        Seeds the pairs (see ``sampler``), the initial vectors and the order
        of the pairs in each epoch. The same value gives the same fit on the
        same machine.
    verbose : int, default=0
        0 prints nothing; 1 shows scikit-learn's progress bar over the
        epochs, as ``set_callbacks(sklearn.callback.ProgressBar())`` does
        for this fit (rich draws it: redrawn on a terminal, its last state
        once in a log). Inside a meta-estimator (``GridSearchCV``,
        ``Pipeline``), set the bar on the outermost one instead: ``verbose``
        then shows none, and says so.

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
        ``{"loss": list}``, the mean training loss of each epoch run, as in a
        Keras ``History``; with ``early_stopping``, also ``"val_loss"``, the
        loss of the held-out pairs after each epoch.
    n_iter_ : int
        The number of epochs run: ``epochs``, or fewer when ``tol`` stopped
        training.
    items_ : ItemTable
        The distinct training items (``items_.keys``, repeated keys merged)
        and their descriptors (``items_.descriptors``, averaged over repeats),
        in the order of ``vectors_.keys``: for colours, the RGB of each
        vector's item.
    sampler_ : PairSampler
        The fitted clone of ``sampler``, fitted on ``items_``.
    classifier_ : PairSimilarityClassifier
        The classifier of pairs that learned the vectors from the sampler's
        pairs (the same training, the same ``vectors_``, the same
        ``handle_unknown``): its ``predict_proba`` gives the model's
        probability that two items are similar (training items, or with an
        ``unseen_regressor``, any key but a missing one).
    recording_ : ndarray of shape (n_recorded, n_items, n_components)
        The recorded vectors of the training items, float32, starting with
        the initial ones (only with ``record_every``).
    recorded_epochs_ : ndarray of shape (n_recorded,)
        The number of epochs done at each recording (only with
        ``record_every``).
    n_features_in_ : int
        Number of key columns.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the key columns, when ``X`` has string column names. With
        one key column, :meth:`transform` and :meth:`score` take it under any
        name; with several, under these.

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

    scikit-learn's callbacks (``set_callbacks``: ``ProgressBar``,
    ``ScoringMonitor``, or your own) see a fit as a task of one subtask an
    epoch, also when ``GridSearchCV`` or ``Pipeline`` hands its callbacks on;
    a callback's ``fitted_estimator`` transforms and scores as after that
    epoch, and a callback that returns True ends training there. With
    ``reference``, the fit is one task.

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
        "handle_unknown": [HANDLE_UNKNOWN],
        "handle_missing": [StrOptions({"nan", "error", "mean"})],
        "add_indicator": ["boolean"],
        "record_every": [Interval(Integral, 1, None, closed="left"), None],
        "reference": [tuple, list, None],
        "memory": [None, str, os.PathLike, joblib.Memory],
    }

    def __init__(
        self,
        n_components=2,
        *,
        sampler=None,
        vectorizer=None,
        name_vectors=True,
        hidden_layer_sizes=(),
        unseen_regressor=None,
        epochs=500,
        batch_size=512,
        learning_rate=0.001,
        tol=TOL,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        normalize=False,
        handle_unknown="error",
        handle_missing="nan",
        add_indicator=False,
        record_every=None,
        reference=None,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.sampler = sampler
        self.vectorizer = vectorizer
        self.name_vectors = name_vectors
        self.hidden_layer_sizes = hidden_layer_sizes
        self.unseen_regressor = unseen_regressor
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.normalize = normalize
        self.handle_unknown = handle_unknown
        self.handle_missing = handle_missing
        self.add_indicator = add_indicator
        self.record_every = record_every
        self.reference = reference
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    # The sampler and the vectorizer are the user's estimators: their parameters are
    # checked when they are fitted.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Draw labelled pairs of the items of ``X`` and learn their vectors.

        With ``reference``, learn them from the reference instead, and check
        that ``X`` is what :meth:`transform` takes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns) or (n_samples,)
            Item keys (one column of names with a vectorizer; a list, array
            or Series is that one column). Repeated keys are one item.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors), default=None
            Numeric descriptors that define similarity (r, g, b for colours).
            Repeated keys with different descriptors are averaged, with a
            warning. Ignored with ``reference``; required without.

        Returns
        -------
        self : PairSimilarityEmbedder

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            When the loss ends far above where it started (training diverged:
            lower ``learning_rate``), or when a fit that runs all its epochs
            ends while its judged loss still falls: over its last
            ``2 * n_iter_no_change`` epochs, by more than ``tol`` an epoch and
            by more than twice the standard error of that slope, which keeps
            the loss's ups and downs from epoch to epoch from reading as a
            fall (raise ``epochs``). A fit that early stopping or a callback
            ended does not warn.
        """
        # With a reference, the fit is one task: its training may be a copy of an earlier one.
        n_epochs = self.epochs if self.reference is None else 0
        with fit_task(self, X, y, n_epochs) as task, all_or_nothing(self):
            for name in [name for name in vars(self) if name.endswith("_")]:
                delattr(self, name)  # nothing left from an earlier fit
            if self.reference is None:
                self._fit(X, y, task)
            else:
                # Transform's X, checked; the vectors are learned from the reference.
                X = self._checked_keys(X, reader_class(self.vectorizer), reset=True)
                vars(self).update(reference_fit(self, X.shape[1]))
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
        X : array-like of shape (n_samples, n_key_columns) or (n_samples,)
            Item keys (names, with a vectorizer: any name with a token seen in
            fit has a vector); a list, array or Series is one column. After a
            fit on one key column, a table of one column is that column
            whatever its name (``df[["paint"]]`` after a fit on
            ``df[["name"]]``), as a text vectorizer takes any column of text;
            several key columns must have the names of fit.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_components) or (n_samples, n_components + 3)
            Float64; NaN rows for items without a vector under
            ``handle_unknown="ignore"``, and for missing keys under
            ``handle_missing="nan"``; with ``add_indicator``, three more
            columns (see ``add_indicator``).
        """
        check_is_fitted(self)
        X = self._checked_keys(X)
        keys, missing = keys_of(X), np.zeros(len(X), dtype=bool)
        missing[missing_rows(X)] = True
        vectors = self.vectors_.get_vectors(keys, "ignore")  # NaN: missing, or no vector
        if self._unknown() == "error":
            self.vectors_.check_known(keys, missing | ~np.isnan(vectors[:, 0]), "NaN rows")
        if self.handle_missing == "mean":
            vectors[missing] = np.nanmean(self.vectors_.vectors, axis=0)
        if not self.add_indicator:
            return vectors
        unseen = ~missing & (self.vectors_.get_index(keys, "ignore") < 0)
        distance = self.vectors_.name_distance(keys)
        return np.column_stack([vectors, missing, unseen, distance]).astype(np.float64)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``<prefix>0``, ..., and the indicator columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored, as in scikit-learn's other embeddings.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = self._feature_names()
        if self.add_indicator:
            prefix = self.__class__.__name__.lower()
            names += [f"{prefix}_{name}" for name in ("missing", "unseen", "name_distance")]
        return np.asarray(names, dtype=object)

    def score(self, X, y):
        """Spearman rank correlation of embedding and descriptor distances.

        Over the distinct items of ``X`` (all pairs of them, or a fixed random
        sample of 200,000 pairs when there are more), the rank correlation
        between the distances of their vectors and the distances of their
        descriptors ``y``. It uses no labels, so fits with different
        similarity thresholds compare; 1 means the vectors order all pairs
        as the descriptors do.

        Items without a vector are left out, with a warning. With a
        vectorizer, ``X`` may hold names never seen in fit: in
        cross-validation the score is then measured on the held-out names
        that have a vector. Without one, only the items seen in fit have a
        vector: select settings with ``cv=InSampleSplit()``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns) or (n_samples,)
            Item keys.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Their descriptors.

        Returns
        -------
        score : float
            NaN, with an ``UndefinedMetricWarning`` that says why and what to
            do, when fewer than 3 items have a vector (a lookup embedding
            scored on items it never saw, as under ``GridSearchCV``'s default
            cv, scores NaN in every split), or when all their pairs are
            equally far apart in the vectors or in the descriptors.
        """
        check_is_fitted(self)
        X, y = validate_items(self, X, y, reset=False)
        self.vectors_.reader.check(X)
        items = ItemTable.from_rows(X, y)
        n_fitted = self.items_.descriptors.shape[1]
        if items.descriptors.shape[1] != n_fitted:
            raise ValueError(
                f"y has {items.descriptors.shape[1]} descriptor column(s), but fit saw "
                f"{n_fitted}: score compares the same descriptors."
            )
        return self.vectors_.score(items.keys, items.descriptors, n_rows=len(X))

    def to_keras(self):
        """The trained model as a compiled Keras model (imports TensorFlow).

        The model of :attr:`classifier_`: see
        :meth:`PairSimilarityClassifier.to_keras` for its inputs, and
        ``classifier_.keras_inputs(pairs)`` to make them from a table of pairs
        with columns ``item_x`` and ``item_y``.

        Returns
        -------
        model : keras.Model
        """
        check_is_fitted(self)
        return self.classifier_.to_keras()

    @property
    def embedding_(self):
        return self.vectors_.to_frame(columns=self._feature_names())

    def __sklearn_tags__(self):
        tags = set_item_tags(super().__sklearn_tags__())
        tags.target_tags.required = self.reference is None
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- helpers -------------------------------------------------------------

    def _feature_names(self):
        prefix = self.__class__.__name__.lower()
        return [f"{prefix}{i}" for i in range(self.vectors_.n_components)]

    def _unknown(self):
        """``handle_unknown``, checked: ``"ignore"`` or ``"error"``."""
        return "ignore" if ignores_unknown(self.handle_unknown) else "error"

    def _checked_keys(self, X, reader=None, reset=False):
        """``X`` validated as :meth:`transform` takes it, for ``reader`` (the fitted one).

        A missing key is refused under ``handle_missing="error"`` alone: the
        others give its row a vector of their own.
        """
        X = validate_keys(self, X, reset=reset)
        if self.handle_missing == "error":
            check_no_missing(
                X, "handle_missing='nan' gives such rows NaN vectors, 'mean' the mean vector."
            )
        (self.vectors_.reader if reader is None else reader).check(X, allow_missing=True)
        return X

    def _fit(self, X, y, task):
        """Validate ``X`` and ``y`` once, draw the pairs and learn from them: one fit.

        ``task`` is the fit's :class:`~sk_colour_embed._callbacks.FitTask`.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "y holds the descriptors that define similarity (r, g, b for colours). Or "
                "give reference=(X, y) to learn the vectors from a table of their own."
            )
        X, y = validate_items(self, X, y)
        reader_class(self.vectorizer).check(X)
        check_regressor(self.unseen_regressor, X.shape[1])
        _warn_if_labels(y)
        items = ItemTable.from_rows(X, y)
        sampler = clone(self.sampler if self.sampler is not None else PairSampler())
        epoch_tasks = task.epoch_tasks(lambda result: self._fitted_state(result, items))
        result = fit_vectors(
            items.keys,
            DrawnPairs(sampler, items, fitted_columns(self), len(X)),
            TrainingConfig.of(self, negative=0),
            self.random_state,
            regressor=self.unseen_regressor,
            on_epoch=epoch_tasks,
        )
        vars(self).update(self._fitted_state(result, items))

    def _fitted_state(self, result, items):
        """The fitted attributes of ``result``, a :class:`FitResult` of the pairs of ``items``."""
        # The classifier of the same training has the embedder's parameters it shares.
        shared = self.get_params(deep=False).keys() & PairSimilarityClassifier().get_params()
        params = {name: getattr(self, name) for name in shared}
        state = {
            "vectors_": result.vectors,
            "history_": result.history,
            "n_iter_": result.n_iter,
            "items_": items,
            "sampler_": result.sampler,
            "classifier_": fitted_classifier(
                result, **{**params, "handle_unknown": self._unknown(), "negative": 0}
            ),
        }
        if result.recording is not None:
            state["recorded_epochs_"], state["recording_"] = result.recording
        return state
