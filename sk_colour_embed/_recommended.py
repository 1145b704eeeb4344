"""The recommended embedder of a colour column: the tutorial's lookup of the xkcd colours,
with a regressor that places the names it never saw.
"""

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline, make_union

from sk_colour_embed._colour_words import ColourWordTranslator
from sk_colour_embed._data import load_colours
from sk_colour_embed._embedder import PairSimilarityEmbedder


def names_to_vectors(words=False):
    """The recommended ``unseen_regressor``: a name's words, and its 3-grams or word vectors.

    Parameters
    ----------
    words : bool, default=False
        Read pretrained word vectors of the name's words (:class:`WordVectors`,
        the ``words`` extra) instead of the character 3-grams within words
        that two training names share.

    Returns
    -------
    regressor : Pipeline
        Unfitted: :class:`ColourWordTranslator` (foreign colour words in
        English), the names' features, then an ``MLPRegressor`` of 64 hidden units.
    """
    if words:
        from sk_colour_embed._word_vectors import WordVectors

        reader = make_union(TfidfVectorizer(), WordVectors())
    else:
        reader = make_union(
            TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
        )
    return make_pipeline(
        ColourWordTranslator(), reader, MLPRegressor(hidden_layer_sizes=64, alpha=0.1)
    )


def colour_embedder(n_components=8, *, words=False, **params):
    """The recommended embedder of a column of colour names, as a feature step of your model.

    A :class:`PairSimilarityEmbedder` that learns the vectors of the 949
    xkcd colours from their RGB (``reference=load_colours(return_X_y=True)``,
    the tutorial's lookup and settings), gives names it never saw the
    vectors of :func:`names_to_vectors` (after the known name a misspelling
    spells), the mean vector to missing names, and adds the three indicator
    columns of ``add_indicator`` so that your model can weigh the guessed and
    missing rows: its output holds no NaN.

    With the default settings the fit ships with the package
    (``docs/colour_columns.rst``): fitting loads it, without importing
    TensorFlow; any other setting (another ``n_components``, a parameter in
    ``params``, a search over them) trains as usual.

    Parameters
    ----------
    n_components : int, default=8
        Dimension of the vectors.
    words : bool, default=False
        Place unseen names with pretrained word vectors (the ``words`` extra).
    **params
        Any other parameter of :class:`PairSimilarityEmbedder`.

    Returns
    -------
    embedder : PairSimilarityEmbedder
        Unfitted; ``fit`` takes the column of names that ``transform`` will get.

    Examples
    --------
    >>> from sk_colour_embed import colour_embedder
    >>> embedder = colour_embedder().fit(["Midnight Blue", "burgandy"])
    >>> embedder.transform(["Midnight Blue", "burgandy"]).shape
    (2, 11)
    """
    defaults = dict(
        unseen_regressor=names_to_vectors(words),
        handle_unknown="ignore",
        handle_missing="mean",
        add_indicator=True,
        reference=load_colours(return_X_y=True),
        random_state=0,
    )
    return PairSimilarityEmbedder(n_components, **{**defaults, **params})
