"""Labelled pairs of items, drawn as in the tutorial."""

import functools
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from sk_colour_embed._atomic import AtomicParamsMixin, atomic
from sk_colour_embed._items import (
    ItemTable,
    describe_keys,
    descriptor_distances,
    set_item_tags,
    validate_items,
)
from sk_colour_embed._warnings import UninformativePairsWarning, warn_user

# Outside these shares of similar pairs between different items, the tutorial's fit of
# the xkcd colours keeps at most a third of its score (benchmarks/bench_similar_share.py).
MIN_SIMILAR_SHARE = 0.01
MAX_SIMILAR_SHARE = 0.90
# Descriptors whose values span more than this, or less than its inverse, are on another
# scale than the [0, 1] that the default threshold is set for.
_OTHER_SCALE = 2.0


def warn_if_uninformative(first, second, similar, advice, n_drawn=0):
    """Warn when too few or too many pairs of different items are similar to learn from.

    ``first`` and ``second`` are the item indices of the pairs, ``similar``
    their 0/1 labels and ``n_drawn`` the dissimilar pairs drawn besides
    them (negative partners). ``advice(share)`` gives the sentences on the
    likely cause. Pairs of an item with itself say nothing about which items
    are alike, so they are left out of the share.
    """
    different = first != second
    n_similar = int(np.sum(similar[different] == 1))
    n_pairs = int(np.sum(different)) + n_drawn
    share = n_similar / max(n_pairs, 1)
    if MIN_SIMILAR_SHARE <= share <= MAX_SIMILAR_SHARE:
        return
    amount = "too few" if share < MIN_SIMILAR_SHARE else "too many"
    warn_user(
        f"{share:.2%} of the pairs of different items are similar ({n_similar} of "
        f"{n_pairs}{', negative partners included' if n_drawn else ''}): {amount} to learn "
        f"which items are alike, which takes {MIN_SIMILAR_SHARE:.0%} to "
        f"{MAX_SIMILAR_SHARE:.0%}. {advice(share)}",
        UninformativePairsWarning,
    )


def fitted_columns(estimator):
    """The columns of the ``X`` that ``estimator`` validated: ``n_features_in_`` and
    ``feature_names_in_``, those it has."""
    return {
        name: getattr(estimator, name)
        for name in ("n_features_in_", "feature_names_in_")
        if hasattr(estimator, name)
    }


def fitted_sampler(sampler, items, columns, n_samples):
    """``sampler`` fitted on ``items``, an :class:`ItemTable` validated by another estimator.

    As :meth:`PairSampler.fit` on the ``n_samples`` rows that made ``items``,
    whose ``X`` had ``columns`` (see :func:`fitted_columns`), without
    validating them again: the embedder's ``sampler_``.
    """
    return sampler._fit_items(items, columns, n_samples)


def draw_index_pairs(descriptors, n_pairs, threshold, power, random_state):
    """Draw labelled pairs of item indices, as :class:`PairSampler` does, from plain arrays.

    Parameters
    ----------
    descriptors : ndarray of shape (n_items, n_descriptors)
    n_pairs, threshold, power, random_state
        As :class:`PairSampler`'s parameters.

    Returns
    -------
    (first, second) : tuple of two ndarrays of shape (n_pairs,)
        Indices of the two items of each pair.
    distance : ndarray of shape (n_pairs,)
        Mean squared difference of their descriptors.
    similar : ndarray of shape (n_pairs,), dtype int8

    Warns
    -----
    UninformativePairsWarning
        When too few or too many pairs of different items are similar
        (see :class:`PairSampler`'s notes).

    Examples
    --------
    >>> import numpy as np
    >>> (first, second), distance, similar = draw_index_pairs(
    ...     np.array([[0.0], [0.1], [1.0]]), n_pairs=6, threshold=0.5, power=2.0, random_state=0
    ... )
    >>> first.shape, similar.tolist()
    ((6,), [1, 0, 1, 1, 1, 1])
    """
    rng = check_random_state(random_state)
    first = rng.randint(len(descriptors), size=n_pairs)
    second = rng.randint(len(descriptors), size=n_pairs)
    distance = descriptor_distances(descriptors, first, second)
    bound = threshold * rng.uniform(size=n_pairs) ** power
    similar = (distance < bound).astype(np.int8)
    warn_if_uninformative(
        first, second, similar, functools.partial(_likely_cause, threshold, descriptors)
    )
    return (first, second), distance, similar


def _likely_cause(threshold, descriptors, share):
    """What the threshold and the descriptors' range say of a share of similar pairs."""
    low, high = float(descriptors.min()), float(descriptors.max())
    spread = high - low
    facts = f"The threshold is {threshold:g} and y spans {low:g} to {high:g}"
    if spread == 0:
        return f"{facts}: y is constant, so every pair is similar. Give descriptors that vary."
    too_few = share < MIN_SIMILAR_SHARE
    if (too_few and spread > _OTHER_SCALE) or (not too_few and spread < 1 / _OTHER_SCALE):
        return (
            f"{facts}: descriptors on a {'larger' if too_few else 'smaller'} scale than the "
            "[0, 1] that threshold's default is set for. To draw the pairs they would draw "
            f"in [0, 1], multiply threshold by {spread:g}**2 "
            f"(threshold={threshold * spread**2:g}) or divide y by {spread:g}."
        )
    if too_few:
        return f"{facts}: the threshold is small for descriptors this far apart; raise it."
    return f"{facts}: the threshold is large for descriptors this close; lower it."


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
    distances_ : ndarray of shape (n_pairs,)
        The ``distance`` of each pair that :meth:`fit_resample` drew, row for
        row with its pairs (as imbalanced-learn's samplers keep
        ``sample_indices_``), so that the pairs table stays the two items the
        next step learns from. Only after :meth:`fit_resample`.

    Warns
    -----
    UninformativePairsWarning
        When the drawn pairs of different items are similar less than 1% or
        more than 90% of the time, too few or too many for vectors to learn
        from: the message names the share, the threshold and the range of
        ``y``, and the likely cause (descriptors on another scale than [0, 1],
        such as RGB in 0-255, a threshold too small or too large, constant
        descriptors).

    See Also
    --------
    PairSimilarityEmbedder : Learns item vectors from the pairs.

    Notes
    -----
    ``threshold`` is in units of the distance, the mean squared difference of
    the descriptors: its default suits descriptors in [0, 1]. Descriptors ``s``
    times larger (RGB in 0-255: ``s = 255``) give the same pairs with a
    threshold ``s**2`` times larger, or once divided by ``s``.

    Examples
    --------
    >>> from sk_colour_embed import PairSampler, load_colours
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> sampler = PairSampler(n_pairs=5, random_state=0)
    >>> pairs, similar = sampler.fit_resample(X, y)
    >>> list(pairs.columns)
    ['item_x', 'item_y']
    >>> similar.shape
    (5,)

    Each pair's distance, the tutorial's ``diff``:

    >>> pairs.assign(diff=sampler.distances_).shape
    (5, 3)
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
        return self._fit_items(ItemTable.from_rows(X, y), fitted_columns(self), len(X))

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic
    def _fit_items(self, items, columns, n_samples):
        """Fit on the items of an already validated table, as :meth:`fit` does.

        ``columns`` holds the validated ``X``'s ``n_features_in_`` (and
        ``feature_names_in_``) of its ``n_samples`` rows.
        """
        if len(items) < 2:
            raise ValueError(
                f"pairs need at least 2 distinct items, but X holds {len(items)} "
                f"(in {n_samples} sample(s)): {describe_keys(items.keys)}."
            )
        vars(self).pop("feature_names_in_", None)  # those of an earlier fit
        vars(self).update(columns, items_=items)
        vars(self).pop("distances_", None)  # those of an earlier fit_resample
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
        (first, second), distances, similar = self.draw_index_pairs()
        keys = self.items_.keys
        pairs = pd.DataFrame(
            {"item_x": keys.take(first).to_numpy(), "item_y": keys.take(second).to_numpy()}
        )
        self.distances_ = distances
        return pairs, similar

    def draw_index_pairs(self):
        """Draw labelled pairs of item indices into ``items_``.

        :func:`draw_index_pairs` of the fitted items' descriptors, with this
        sampler's parameters: the same returns and warnings.
        """
        return draw_index_pairs(
            self.items_.descriptors, self.n_pairs, self.threshold, self.power, self.random_state
        )

    def __sklearn_tags__(self):
        return set_item_tags(super().__sklearn_tags__())
