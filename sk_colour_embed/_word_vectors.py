"""Pretrained word vectors of names, from the optional package wordllama.

wordllama ships its token vectors and tokenizer inside its wheel: they are
read from the installed package, never from the network. It is imported
when a :class:`WordVectors` is first fitted, not before.
"""

import functools
import logging
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Options
from sklearn.utils.validation import _generate_get_feature_names_out, check_is_fitted

from sk_colour_embed._atomic import AtomicParamsMixin, atomic
from sk_colour_embed._readers import NameColumnMixin

# The vectors in the wheel are the first 256 of a matryoshka model trained to be read
# at 1024, 512, 256, 128 and 64 dimensions: any of these prefixes is a model of its own.
_SHIPPED_DIM = 256
_DIMS = {64, 128, 256}


@functools.cache
def _shipped_model():
    """wordllama's model as its wheel ships it, loaded once per process.

    ``WordLlama.load()`` with its defaults looks for the tokenizer in a
    ``tokenizer/`` folder of the package, which ships ``tokenizers/``, and
    then downloads it; pointing ``cache_dir`` at the package finds both
    files, and ``disable_download`` makes a missing file an error rather
    than a download. Every :class:`WordVectors` shares the model: it is
    only read.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        import wordllama
    except ImportError as error:
        raise ImportError(
            f'WordVectors needs wordllama ({error}): pip install "sk_colour_embed[words]"'
        ) from error
    finally:
        # wordllama calls logging.basicConfig(level=INFO) at import: the logging set-up
        # stays the user's.
        root.handlers[:] = handlers
        root.setLevel(level)
    return wordllama.WordLlama.load(
        config="l2_supercat",
        dim=_SHIPPED_DIM,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
    )


class WordVectors(NameColumnMixin, AtomicParamsMixin, TransformerMixin, BaseEstimator):
    """Pretrained word vectors of names, as a scikit-learn transformer.

    Each name's vector is the mean of the vectors of its tokens in
    `wordllama <https://github.com/dleemiller/WordLlama>`_ (MIT licence), whose
    token vectors (the ``l2_supercat`` model) and tokenizer ship inside its
    wheel: names never seen in training get vectors from what the words
    mean in general English ("crimson" near "red"). Needs the optional
    extra: ``pip install "sk_colour_embed[words]"``. The model is read from
    the installed package, with no network access, once per process.

    As scikit-learn's text vectorizers, it takes a column of names: a list,
    1-D array or Series, or a 2-D array or DataFrame of one column. Use it as
    the ``vectorizer`` of :class:`PairSimilarityEmbedder` to give names never
    seen in fit vectors from their words.

    Parameters
    ----------
    dim : {64, 128, 256}, default=256
        Dimension of the vectors: the first ``dim`` of the model's 256,
        each a model of its own (it was trained at these sizes).
    normalize : bool, default=True
        Scale each vector to unit Euclidean length, as wordllama's
        similarities do; a name with no token keeps its zero vector. The
        regressions of benchmarks/results.md reach their scores on unit vectors.
    lowercase : bool, default=True
        Lowercase names first, as scikit-learn's text vectorizers do: the
        model reads "Red" and "red" as different tokens.

    Attributes
    ----------
    n_features_in_ : int
        1, the column of names.
    feature_names_in_ : ndarray of shape (1,)
        The column's name, when ``X`` in :meth:`fit` had a string one
        (a named Series or a DataFrame). :meth:`transform` takes the column
        under any name.

    See Also
    --------
    PairSimilarityEmbedder : Takes it as its ``vectorizer``.

    Notes
    -----
    A name is read as its words: leading, trailing and repeated whitespace
    is dropped (``" dark  red "`` reads as ``"dark red"``), since the
    tokenizer would otherwise make tokens of the spaces. A name with no
    token left, the empty string, gets the zero vector, as wordllama gives
    it. Vectors are float32, as the model computes them, and a name's vector
    does not depend on the other names transformed with it.

    Examples
    --------
    >>> from sk_colour_embed import WordVectors
    >>> words = WordVectors().fit(["crimson", "grey"])
    >>> vectors = words.transform(["crimson", "red", "teal"])
    >>> vectors.shape, vectors.dtype
    ((3, 256), dtype('float32'))

    The vectors have unit length, so a dot product is a cosine. "crimson" is nearer
    "red" than "teal" by what the words mean, as they share no token:

    >>> bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2])
    True
    >>> words.get_feature_names_out()[:2]
    array(['wordvectors0', 'wordvectors1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "dim": [Options(Integral, _DIMS)],
        "normalize": ["boolean"],
        "lowercase": ["boolean"],
    }

    def __init__(self, dim=_SHIPPED_DIM, *, normalize=True, lowercase=True):
        self.dim = dim
        self.normalize = normalize
        self.lowercase = lowercase

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic
    def fit(self, X, y=None):
        """Check the names and load the model; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Names, as strings.
        y : None
            Ignored.

        Returns
        -------
        self : WordVectors

        Raises
        ------
        ImportError
            Without wordllama, saying to install the ``words`` extra.
        ValueError
            If ``X`` has more than one column, or a row that is not a string
            (None, NaN, a number); the message names the first such row.
        """
        self._validate_names(X, reset=True)
        _shipped_model()
        return self

    def transform(self, X):
        """The word vectors of the names ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Names, as strings.

        Returns
        -------
        ndarray of shape (n_samples, dim), dtype float32
        """
        check_is_fitted(self)
        names = self._validate_names(X)
        read = [" ".join(name.split()) for name in names]
        if self.lowercase:
            read = [name.lower() for name in read]
        vectors = np.ascontiguousarray(_shipped_model().embed(read)[:, : self.dim])
        if self.normalize:
            lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
            np.divide(vectors, lengths, out=vectors, where=lengths > 0)
        return vectors

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``wordvectors0``, ``wordvectors1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the column fit saw; otherwise unused.

        Returns
        -------
        ndarray of str objects, of shape (dim,)
        """
        check_is_fitted(self)
        return _generate_get_feature_names_out(self, self.dim, input_features=input_features)
