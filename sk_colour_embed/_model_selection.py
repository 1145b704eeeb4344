"""Model selection for lookup embeddings."""

import numpy as np
from sklearn.utils.validation import _num_samples


class InSampleSplit:
    """A single split whose train and test sets are both all the rows.

    An item never seen in fit has no vector, so cross-validation that holds
    items out cannot score a lookup embedding. Model selection therefore
    trains and scores on the same items. The score,
    :meth:`PairSimilarityEmbedder.score`, compares the vectors' distances with
    the descriptors' distances, and training never sees the descriptors
    directly, only random pairs labelled from them. Scores from fits with
    different similarity thresholds stay comparable, as the score uses no
    labels.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sk_colour_embed import InSampleSplit, PairSampler, PairSimilarityEmbedder, load_colours
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> embedder = PairSimilarityEmbedder(
    ...     sampler=PairSampler(n_pairs=5_000), epochs=5, random_state=0
    ... )
    >>> grid = {"n_components": [2, 3]}
    >>> search = GridSearchCV(embedder, grid, cv=InSampleSplit()).fit(X, y)
    >>> sorted(search.best_params_)
    ['n_components']
    """

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)``, both the indices of all rows of ``X``."""
        indices = np.arange(_num_samples(X))
        yield indices, indices

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of splits, 1."""
        return 1

    def __repr__(self):
        return "InSampleSplit()"
