"""gensim's queries on an estimator, forwarded to its fitted vectors."""

from sklearn.utils.validation import check_is_fitted


class ItemQueriesMixin:
    """gensim's queries on an estimator, answered by its fitted :class:`ItemVectors`, ``vectors_``.

    ``key in estimator``, ``estimator[key]``, ``index_to_key``,
    ``key_to_index``, :meth:`most_similar`, :meth:`similar_by_vector`,
    :meth:`similarity` and :meth:`to_keyed_vectors` are those of
    ``vectors_``, documented there; before fit each raises scikit-learn's
    ``NotFittedError``.
    """

    # ``estimator[key]`` is a vector: without this Python would iterate an estimator
    # through estimator[0], estimator[1], ... An estimator is no sequence.
    __iter__ = None

    def __contains__(self, key):
        """Whether ``key`` has a vector: see :meth:`ItemVectors.__contains__`."""
        check_is_fitted(self)
        return key in self.vectors_

    def __getitem__(self, key_or_keys):
        """The vector of a key, or of a list of keys: see :meth:`ItemVectors.__getitem__`."""
        check_is_fitted(self)
        return self.vectors_[key_or_keys]

    @property
    def index_to_key(self):
        """The training items' keys, in the order of ``vectors_.vectors`` (a list)."""
        check_is_fitted(self)
        return self.vectors_.index_to_key

    @property
    def key_to_index(self):
        """The row in ``vectors_.vectors`` of each training item's key (a dict)."""
        check_is_fitted(self)
        return self.vectors_.key_to_index

    def similarity(self, key_a, key_b):
        """How similar two items are, in [0, 1]: see :meth:`ItemVectors.similarity`."""
        check_is_fitted(self)
        return self.vectors_.similarity(key_a, key_b)

    def most_similar(self, positive=None, negative=None, topn=10):
        """The items of fit most similar to keys and vectors: :meth:`ItemVectors.most_similar`."""
        check_is_fitted(self)
        return self.vectors_.most_similar(positive, negative, topn)

    def similar_by_vector(self, vector, topn=10):
        """The items of fit nearest to ``vector``: see :meth:`ItemVectors.similar_by_vector`."""
        check_is_fitted(self)
        return self.vectors_.similar_by_vector(vector, topn)

    def to_keyed_vectors(self, key_to_str=None):
        """The vectors as gensim ``KeyedVectors``: see :meth:`ItemVectors.to_keyed_vectors`."""
        check_is_fitted(self)
        return self.vectors_.to_keyed_vectors(key_to_str)
