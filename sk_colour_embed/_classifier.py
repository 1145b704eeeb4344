"""PairSimilarityClassifier: the tutorial's model as a classifier of pairs of items."""

from functools import partial
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sk_colour_embed._atomic import AtomicParamsMixin, all_or_nothing
from sk_colour_embed._callbacks import fit_task
from sk_colour_embed._fitting import (
    GivenPairs,
    check_regressor,
    fit_vectors,
    resolved_negative,
)
from sk_colour_embed._items import (
    HANDLE_UNKNOWN,
    check_no_missing,
    describe_keys,
    ignores_unknown,
    keys_of,
    reject_infinite_keys,
    validate_keys,
)
from sk_colour_embed._params import TOL, TRAINING_CONSTRAINTS, TrainingConfig
from sk_colour_embed._queries import ItemQueriesMixin
from sk_colour_embed._readers import reader_class
from sk_colour_embed._sampling import MIN_SIMILAR_SHARE, warn_if_uninformative

# calibrate_threshold tries at most this many quantiles of the probabilities.
_MAX_CANDIDATES = 201


def _likely_cause(share):
    """What a share of similar pairs outside the learnable range asks of the user's pairs."""
    if share < MIN_SIMILAR_SHARE:
        return "The labels say almost nothing about which items are alike: give more similar pairs."
    return (
        "Give more dissimilar pairs, or the similar pairs alone (every label 1), for which "
        "dissimilar partners are drawn (negative='auto')."
    )


def fitted_classifier(result, **params):
    """A classifier with ``params``, fitted by ``result`` on pairs as a PairSampler gives them.

    ``result`` is the :class:`~sk_colour_embed._fitting.FitResult` of a fit
    on the pairs of :meth:`PairSampler.fit_resample`: columns ``item_x`` and
    ``item_y``, labels 0 and 1. The embedder's ``classifier_``: it stores the
    result as its own fit does.
    """
    classifier = PairSimilarityClassifier(**params)
    vars(classifier).update(
        classifier._fitted_state(result, classes=(0, 1)),
        n_features_in_=2,
        feature_names_in_=np.array(["item_x", "item_y"], dtype=object),
    )
    return classifier


class PairSimilarityClassifier(
    ItemQueriesMixin, ClassifierMixin, AtomicParamsMixin, CallbackSupportMixin, BaseEstimator
):
    """Classify pairs of items as similar or not, learning a vector per item.

    The tutorial's model as a scikit-learn classifier whose samples are
    pairs: ``fit(X, y)`` takes pairs of item keys ``X`` (two columns, the
    first item and the second; for items keyed by several columns, the
    first item's columns then the second's) and their 0/1 labels ``y``, and
    trains the
    Keras model ``Embedding -> [weighted sum of tokens] -> squared distance
    -> probability of similar`` with the package's engine. The learned
    vectors are kept in ``vectors_``, which also answers ``most_similar`` and
    ``similarity`` with NumPy alone.

    The pairs can be anything users have: products bought together, synonyms,
    human "same / different" judgements, the edges of a graph, or the pairs
    :meth:`PairSampler.fit_resample` draws from descriptors.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the vectors.
    vectorizer : transformer or None, default=None
        As in :class:`PairSimilarityEmbedder`: None looks keys up exactly; a
        scikit-learn text vectorizer reads the two columns of names into
        tokens, so that pairs of names never seen in fit can be classified.
    name_vectors : bool, default=True
        With a vectorizer, also learn a vector of each training name's own.
    hidden_layer_sizes : int or tuple of int, default=()
        As in :class:`PairSimilarityEmbedder`: hidden ReLU layers between a
        name's features and its vector; ``()`` is the tutorial's model.
    unseen_regressor : regressor or None, default=None
        As in :class:`PairSimilarityEmbedder`: after training, a clone is
        fitted on the training keys and their learned vectors, and gives a
        vector to any key never seen in fit, so that pairs of such keys are
        classified; missing keys still follow ``handle_unknown``. Its
        ``random_state`` parameters left at None are seeded from
        ``random_state``. Needs one key column an item.
    negative : int or "auto", default="auto"
        Dissimilar partners drawn for every similar pair, fresh in each epoch:
        a pair ``(a, b)`` labelled 1 adds ``negative`` pairs ``(a, c)``
        labelled 0, ``c`` drawn at random from the items of the similar pairs
        (word2vec's negative sampling). ``"auto"`` draws 5 when every label
        is 1 (only similar pairs are known) and none otherwise.
    ns_exponent : float, default=0.75
        An item is drawn as a negative partner with probability proportional
        to its number of similar pairs to this power, as in word2vec; 0 draws
        uniformly among them.
    epochs : int, default=500
        Passes over the pairs.
    batch_size : int, default=512
        Pairs per Adam step (before their negative partners).
    learning_rate : float, default=0.001
        Adam's learning rate.
    tol : float, default=1e-5
        The fall of the judged loss an epoch that counts as none, for early
        stopping and for the warning that a fit has not converged.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` that stop training, with
        ``early_stopping``.
    early_stopping : bool, default=False
        As in :class:`PairSimilarityEmbedder`: stop training once the judged
        loss has not fallen by ``tol`` for ``n_iter_no_change`` epochs; the
        judged loss is that of ``validation_fraction`` of the pairs, held
        out of training (drawn with the fit's seed; with negative partners,
        theirs are drawn once and kept), whose best epoch's vectors are
        kept, or with ``validation_fraction=None`` the training loss. False
        runs every epoch.
    validation_fraction : float or None, default=0.1
        Share of the pairs held out with ``early_stopping``; None holds out
        none and judges the training loss.
    normalize : bool, default=False
        Put the vectors on the unit sphere.
    threshold : float, default=0.5
        :meth:`predict` calls a pair similar when its probability is at least
        this; :meth:`calibrate_threshold` chooses it from data instead.
    handle_unknown : {"error", "ignore"}, default="error"
        A pair with an item that has no vector (not seen in fit, missing;
        with a vectorizer, a name with no known token): ``"error"`` raises a
        ``ValueError`` naming it; ``"ignore"`` gives it the share of similar
        pairs in training (negative partners included), as the one thing
        known about it.
        With an ``unseen_regressor``, only missing items lack a vector.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial vectors, the order of the pairs in each epoch, the
        negative partners, and the ``unseen_regressor``'s ``random_state``
        parameters left at None. The same value gives the same fit on the
        same machine.
    verbose : int, default=0
        As in :class:`PairSimilarityEmbedder`: 1 shows scikit-learn's
        progress bar over the epochs, as ``set_callbacks(ProgressBar())``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; the second (the larger) means similar.
    vectors_ : ItemVectors
        The learned vectors of the items of the pairs, and their queries; a
        :class:`RegressedItemVectors` with an ``unseen_regressor``.
    threshold_ : float
        The probability threshold :meth:`predict` uses: ``threshold``, or
        what :meth:`calibrate_threshold` chose.
    prior_ : float
        The share of similar pairs in training, negative partners included.
    history_ : dict
        ``{"loss": list}``, the mean training loss of each epoch run; with
        ``early_stopping``, also ``"val_loss"``, the held-out pairs' loss.
    n_iter_ : int
        The number of epochs run: ``epochs``, or fewer when ``tol`` stopped
        training.
    n_features_in_ : int
        Number of columns of ``X``: twice the key columns of an item.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the two columns, when ``X`` has string column names.

    See Also
    --------
    PairSimilarityEmbedder : Draws the pairs from descriptors, then learns the same way.
    PairSampler : Draws labelled pairs of items from descriptors.

    Notes
    -----
    The probability that a pair is similar is
    ``sigmoid(bias - scale * d)`` with ``d`` the squared distance of the two
    vectors and ``scale > 0``, so it falls as the vectors move apart;
    :meth:`decision_function` is ``bias - scale * d``. After fit the estimator holds NumPy, pandas
    and scikit-learn objects only: predicting and unpickling need no
    TensorFlow. scikit-learn's callbacks (``set_callbacks``) see a fit as a
    task of one subtask an epoch, as :class:`PairSimilarityEmbedder` has it.

    Examples
    --------
    >>> import pandas as pd
    >>> from sk_colour_embed import PairSimilarityClassifier
    >>> pairs = pd.DataFrame(
    ...     {"item_x": ["a", "a", "b", "c", "c", "d"], "item_y": ["b", "c", "a", "d", "a", "b"]}
    ... )
    >>> similar = [1, 0, 1, 1, 0, 0]
    >>> classifier = PairSimilarityClassifier(epochs=200, learning_rate=0.05, random_state=0)
    >>> classifier.fit(pairs, similar).predict(pairs).tolist()
    [1, 0, 1, 1, 0, 0]
    >>> classifier.predict_proba(pairs).shape
    (6, 2)
    """

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "negative": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "ns_exponent": [Interval(Real, 0, None, closed="left")],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "handle_unknown": [HANDLE_UNKNOWN],
    }

    def __init__(
        self,
        n_components=2,
        *,
        vectorizer=None,
        name_vectors=True,
        hidden_layer_sizes=(),
        unseen_regressor=None,
        negative="auto",
        ns_exponent=0.75,
        epochs=500,
        batch_size=512,
        learning_rate=0.001,
        tol=TOL,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        normalize=False,
        threshold=0.5,
        handle_unknown="error",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.vectorizer = vectorizer
        self.name_vectors = name_vectors
        self.hidden_layer_sizes = hidden_layer_sizes
        self.unseen_regressor = unseen_regressor
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.normalize = normalize
        self.threshold = threshold
        self.handle_unknown = handle_unknown
        self.random_state = random_state
        self.verbose = verbose

    # The vectorizer is the user's estimator: its parameters are checked when it is fitted.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Learn item vectors from labelled pairs.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)
            The two items of each pair: keys (the first item's key columns,
            then the second's; or two columns of tuples), or two columns of
            names with a vectorizer.
        y : array-like of shape (n_pairs,)
            Two classes; the larger (1, True) means similar. All similar is
            allowed: dissimilar pairs are then drawn (see ``negative``).

        Returns
        -------
        self : PairSimilarityClassifier

        Raises
        ------
        ValueError
            When training diverges until the loss or the weights are no longer
            numbers (lower ``learning_rate``); the estimator is left as it was.

        Warns
        -----
        UninformativePairsWarning
            When less than 1% or more than 90% of the pairs of different items
            are similar (negative partners counted as dissimilar): too few or
            too many for the vectors to learn which items are alike.
        sklearn.exceptions.ConvergenceWarning
            When the loss ends far above where it started (training diverged:
            lower ``learning_rate``), or when a fit that runs all its epochs
            ends while its judged loss still falls by more than ``tol`` an
            epoch, as :meth:`PairSimilarityEmbedder.fit` says (raise
            ``epochs``).
        """
        with fit_task(self, X, y, self.epochs) as task, all_or_nothing(self):
            self._fit(X, y, task)
        return self

    def decision_function(self, X):
        """The log-odds that each pair is similar: ``bias - scale * d``.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)

        Returns
        -------
        scores : ndarray of shape (n_pairs,)
        """
        distances = self._distances(X)
        return np.where(np.isnan(distances), logit(self.prior_), self.vectors_.log_odds(distances))

    def predict_proba(self, X):
        """Probability of each class for each pair; column 1 is similar.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)

        Returns
        -------
        probabilities : ndarray of shape (n_pairs, 2)
        """
        similar = expit(self.decision_function(X))
        return np.column_stack([1 - similar, similar])

    def predict(self, X):
        """Similar (``classes_[1]``) where the probability reaches ``threshold_``.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)

        Returns
        -------
        labels : ndarray of shape (n_pairs,)
        """
        similar = self.predict_proba(X)[:, 1] >= self.threshold_
        return self.classes_[similar.astype(int)]

    def calibrate_threshold(self, X, y, scoring="accuracy"):
        """Choose ``threshold_`` to maximise ``scoring`` on the labelled pairs ``X, y``.

        As metric-learn's ``calibrate_threshold``; use pairs held out of fit.
        The candidates are the probabilities of the pairs (at most
        201 of their quantiles). For a cross-validated choice,
        wrap the classifier in scikit-learn's ``TunedThresholdClassifierCV``.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)
        y : array-like of shape (n_pairs,)
            Labels among ``classes_``.
        scoring : {"accuracy", "balanced_accuracy", "f1"} or callable, default="accuracy"
            What to maximise: a name, or a metric ``metric(y_true, y_pred)``
            on labels, larger is better. ``"f1"`` counts similar pairs as
            positive.

        Returns
        -------
        self : PairSimilarityClassifier
        """
        probabilities = self.predict_proba(X)[:, 1]
        y = column_or_1d(y)
        if len(y) != len(probabilities):
            raise ValueError(f"X holds {len(probabilities)} pair(s) but y {len(y)} label(s).")
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y holds labels that fit did not see, such as {y[unknown][0].item()!r}; "
                f"the classes are {self.classes_.tolist()}."
            )
        metric = self._threshold_metric(scoring)
        candidates = np.unique(np.quantile(probabilities, np.linspace(0, 1, _MAX_CANDIDATES)))
        scores = [metric(y, self.classes_[(probabilities >= t).astype(int)]) for t in candidates]
        self.threshold_ = float(candidates[int(np.argmax(scores))])
        return self

    def to_keras(self):
        """The trained model as a compiled Keras model (imports TensorFlow).

        A model of :func:`~sk_colour_embed.build_pair_model`'s form holding
        the trained weights, compiled with binary cross-entropy and Adam at
        ``learning_rate``, to save with ``model.save("pairs.keras")``,
        predict or train further. Its ``predict`` gives, for pairs of items
        with vectors, :meth:`predict_proba`'s column 1 (to float32
        precision); :meth:`keras_inputs` makes its inputs from pairs ``X``.

        - Without a vectorizer, it takes item-index pairs of shape
          ``(n_pairs, 2)``: the positions of the items in ``vectors_.keys``
          (``vectors_.get_index(keys)``), and its embedding holds the item
          vectors in that order (before the encoder, with hidden layers).
        - With one, it takes ``{"tokens": ids, "weights": w}``, both of shape
          ``(n_pairs, 2, n_slots)`` for any number of slots, and its
          embedding holds ``vectors_.token_vectors``, whose rows are the
          vectorizer's columns that fit used, then the per-name vectors.
        - With ``hidden_layer_sizes``, the embedding holds the vectors before
          the hidden layers, and the layer ``"encoder"`` holds those layers.

        It loads with ``keras.models.load_model`` in any process that has
        run ``import sk_colour_embed``, which registers the package's layers
        with Keras when Keras is imported; its optimizer is built, so that
        loading restores it without a warning.

        Returns
        -------
        model : keras.Model
        """
        check_is_fitted(self)
        from sk_colour_embed._model import trained_pair_model  # imports TensorFlow

        vectors = self.vectors_
        return trained_pair_model(
            vectors.token_vectors,
            vectors.distance_scale,
            vectors.similarity_bias,
            token_form=vectors.reader.token_form,
            normalize=vectors.normalize,
            learning_rate=self.learning_rate,
            encoder=vectors.encoder,
        )

    def keras_inputs(self, X):
        """The inputs of :meth:`to_keras`'s model for the pairs ``X``.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2 * n_key_columns)
            Pairs, as :meth:`predict_proba` takes them, of items the model
            reads: training items (with a vectorizer, names with a token seen
            in fit). The model does not hold an ``unseen_regressor``.

        Returns
        -------
        inputs : ndarray of shape (n_pairs, 2), int32, or dict
            Item-index pairs; with a vectorizer, ``{"tokens": ids, "weights":
            w}`` of shape ``(n_pairs, 2, n_slots)``, ``n_slots`` the most
            tokens of a name of ``X``.
        """
        check_is_fitted(self)
        first, second = self._pair_keys(X)
        return self.vectors_.pair_inputs(keys_of(first), keys_of(second))

    def _threshold_metric(self, scoring):
        if callable(scoring):
            return scoring
        metrics = {
            "accuracy": accuracy_score,
            "balanced_accuracy": balanced_accuracy_score,
            "f1": partial(f1_score, pos_label=self.classes_[1]),
        }
        if scoring not in metrics:
            raise ValueError(
                f"scoring must be one of {sorted(metrics)} or a metric(y_true, y_pred); "
                f"got {scoring!r}."
            )
        return metrics[scoring]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        if self.vectorizer is not None:
            # Two columns of text: the checks that feed numbers do not apply.
            tags.input_tags.two_d_array = False
        return tags

    # -- helpers -------------------------------------------------------------

    def _pair_keys(self, X, reset=False, ignore_missing=None):
        """Validate pairs ``X``; the key columns of their first and of their second items.

        A missing item (None, NaN) has no vector: fit and ``keras_inputs``
        refuse it. ``ignore_missing``, for predictions, is what
        ``handle_unknown="ignore"`` gives it: refused with that said when
        ``handle_unknown="error"``, let through otherwise.
        """
        X = validate_keys(self, X, reset=reset)
        if X.shape[1] % 2:
            raise ValueError(
                f"X must hold the two items of each pair, the first item's key columns then "
                f"the second's (2 columns for one key each), so an even number of columns; "
                f"it has {X.shape[1]}."
            )
        ignoring = ignore_missing is not None and self._ignores_unknown()
        if not ignoring:
            check_no_missing(
                X, f"handle_unknown='ignore' gives them {ignore_missing}." if ignore_missing else ""
            )
        reject_infinite_keys(X)
        first, second = np.hsplit(X, 2)
        reader = reader_class(self.vectorizer) if reset else self.vectors_.reader
        for names in (first, second):
            reader.check(names, allow_missing=ignoring)
        return first, second

    def _ignores_unknown(self):
        return ignores_unknown(self.handle_unknown)

    def _distances(self, X):
        """Squared distance of the two vectors of each pair of ``X``.

        NaN for a pair with an item without a vector, under ``handle_unknown="ignore"``.
        """
        check_is_fitted(self)
        # What handle_unknown="ignore" gives a pair with an item without a vector.
        ignored_as = "the training share of similar pairs as their probability"
        halves = [keys_of(keys) for keys in self._pair_keys(X, ignore_missing=ignored_as)]
        first, second = (self.vectors_.get_vectors(keys, "ignore") for keys in halves)
        if not self._ignores_unknown():
            self.vectors_.check_known(
                halves[0].append(halves[1]),
                ~np.isnan(np.concatenate([first[:, 0], second[:, 0]])),
                ignored_as,
                rows=np.tile(np.arange(len(first)), 2),
            )
        return np.sum(np.square(first - second), axis=1)

    def _fit(self, X, y, task):
        first, second = self._pair_keys(X, reset=True)
        check_regressor(self.unseen_regressor, first.shape[1])
        check_classification_targets(y)
        y = column_or_1d(y, warn=True)
        if len(y) != len(first):
            raise ValueError(f"X holds {len(first)} pair(s) but y holds {len(y)} label(s).")
        classes, labels = np.unique(y, return_inverse=True)
        if len(classes) > 2:
            raise ValueError(
                f"Only binary classification is supported: y must hold two classes (similar "
                f"or not), but holds {len(classes)}: {describe_keys(classes)}."
            )
        if len(classes) == 1:
            # Similar pairs alone are what a graph's edges give: draw the dissimilar ones.
            if classes[0] != 1 or self.negative == 0:
                raise ValueError(
                    f"y holds one class only ({classes[0].item()!r}); a classifier needs both, or "
                    "similar pairs alone (every label 1) with negative partners drawn "
                    "(negative > 0 or 'auto')."
                )
            classes = np.array([0, classes[0]], dtype=y.dtype)
            labels = np.ones(len(y), dtype=int)
        codes, keys = keys_of(np.concatenate([first, second])).factorize()
        pairs = codes.reshape(2, -1).T
        n_drawn = resolved_negative(self.negative, labels) * int(np.sum(labels == 1))
        warn_if_uninformative(pairs[:, 0], pairs[:, 1], labels, _likely_cause, n_drawn)
        epoch_tasks = task.epoch_tasks(lambda result: self._fitted_state(result, classes))
        result = fit_vectors(
            keys,
            GivenPairs(pairs, labels),
            TrainingConfig.of(self),
            self.random_state,
            regressor=self.unseen_regressor,
            on_epoch=epoch_tasks,
        )
        vars(self).update(self._fitted_state(result, classes))

    def _fitted_state(self, result, classes):
        """The fitted attributes of ``result``, a :class:`FitResult` of pairs of ``classes``."""
        return {
            "vectors_": result.vectors,
            "history_": result.history,
            "n_iter_": result.n_iter,
            "classes_": np.asarray(classes),
            "threshold_": float(self.threshold),
            "prior_": result.prior,
        }
