"""Dense vectors for categorical items, learned from pairs labelled similar.

``import sk_colour_embed`` does not import TensorFlow: Keras is imported when
a model is built or trained (``fit``, ``build_pair_model``).
"""

from sk_colour_embed._classifier import PairSimilarityClassifier
from sk_colour_embed._data import ColourFileError, load_colours, read_colour_csv
from sk_colour_embed._embedder import PairSimilarityEmbedder
from sk_colour_embed._items import ItemTable
from sk_colour_embed._model_selection import InSampleSplit
from sk_colour_embed._projector import write_projector
from sk_colour_embed._sampling import PairSampler
from sk_colour_embed._vectors import ItemVectors

__version__ = "0.1.0"

__all__ = [
    "ColourFileError",
    "InSampleSplit",
    "ItemTable",
    "ItemVectors",
    "PairSampler",
    "PairSimilarityClassifier",
    "PairSimilarityEmbedder",
    "build_pair_model",
    "load_colours",
    "read_colour_csv",
    "write_projector",
]


def __getattr__(name):
    # build_pair_model lives with Keras; import it only when asked for.
    if name == "build_pair_model":
        from sk_colour_embed._model import build_pair_model

        return build_pair_model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
