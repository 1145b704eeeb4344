"""Labelled pairs of items, drawn as in the tutorial."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from sk_colour_embed._items import (
    ItemTable,
    describe_keys,
    descriptor_distances,
    set_item_tags,
    validate_items,
)
from sk_colour_embed._state import AtomicParamsMixin, atomic


class PairSampler(AtomicParamsMixin, BaseEstimator):
    """Draw random pairs of items and label them similar or dissimilar.

    Each pair draws two items uniformly, with replacement, and measures the
    mean squared difference of their descriptors, ``distance``. The pair is
    labelled similar when ``distance < threshold * U**power``, with ``U``
    uniform in [0, 1): the closer two items, the likelier they are similar.
    The defaults are those of the tutorial this package comes from.

    Parameters
    ----------
    n_pairs : int, default=100_000
        Number of pairs to draw.
    threshold : float, default=0.2
        Scale of the similarity threshold, in units of the distance.
    power : float, default=2.0
        Exponent of ``U``; larger values make the threshold small more often.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw; the same seed gives the same pairs.

    Attributes
    ----------
    items_ : ItemTable
        The distinct items seen in :meth:`fit` (repeated keys are merged and
        their descriptors averaged) and their descriptors.
    n_features_in_ : int
        Number of key columns in ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the key columns, when ``X`` has string column names.

    See Also
    --------
    PairSimilarityEmbedder : Learns item vectors from the pairs.

    Examples
    --------
    >>> from sk_colour_embed import PairSampler, load_colours
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> pairs, similar = PairSampler(n_pairs=5, random_state=0).fit_resample(X, y)
    >>> list(pairs.columns)
    ['item_x', 'item_y']
    >>> similar.shape
    (5,)
    """

    _parameter_constraints: dict = {
        "n_pairs": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, 0, None, closed="neither")],
        "power": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_pairs=100_000, threshold=0.2, power=2.0, random_state=None):
        self.n_pairs = n_pairs
        self.threshold = threshold
        self.power = power
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic
    def fit(self, X, y):
        """Collect the items of ``X`` and their descriptors ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys; the values of a row together identify an item.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Numeric descriptors of each row's item.

        Returns
        -------
        self : PairSampler
        """
        X, y = validate_items(self, X, y)
        items = ItemTable.from_rows(X, y)
        if len(items) < 2:
            raise ValueError(
                f"pairs need at least 2 distinct items, but X holds {len(items)} "
                f"(in {len(X)} sample(s)): {describe_keys(items.keys)}."
            )
        self.items_ = items
        return self

    def fit_resample(self, X, y):
        """Fit, then draw ``n_pairs`` labelled pairs.

        As the samplers of imbalanced-learn: the output is the next step's
        ``X, y``, here the pairs and labels a :class:`PairSimilarityClassifier`
        learns from.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_key_columns)
            Item keys.
        y : array-like of shape (n_samples,) or (n_samples, n_descriptors)
            Numeric descriptors.

        Returns
        -------
        pairs : pandas.DataFrame of shape (n_pairs, 2)
            Columns ``item_x`` and ``item_y``: item keys, tuples when there
            are several key columns.
        similar : ndarray of shape (n_pairs,), dtype int8
            1 for a similar pair, 0 otherwise.
        """
        self.fit(X, y)
        (first, second), _, similar = self.draw_index_pairs()
        keys = self.items_.keys
        pairs = pd.DataFrame(
            {"item_x": keys.take(first).to_numpy(), "item_y": keys.take(second).to_numpy()}
        )
        return pairs, similar

    def draw_index_pairs(self):
        """Draw labelled pairs of item indices into ``items_``.

        Returns
        -------
        (first, second) : tuple of two ndarrays of shape (n_pairs,)
            Indices of the two items of each pair.
        distance : ndarray of shape (n_pairs,)
            Mean squared difference of their descriptors.
        similar : ndarray of shape (n_pairs,), dtype int8
        """
        rng = check_random_state(self.random_state)
        descriptors = self.items_.descriptors
        first = rng.randint(len(descriptors), size=self.n_pairs)
        second = rng.randint(len(descriptors), size=self.n_pairs)
        distance = descriptor_distances(descriptors, first, second)
        bound = self.threshold * rng.uniform(size=self.n_pairs) ** self.power
        return (first, second), distance, (distance < bound).astype(np.int8)

    def __sklearn_tags__(self):
        return set_item_tags(super().__sklearn_tags__())
