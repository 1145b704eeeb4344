"""Dense vectors for categorical items, learned from pairs labelled similar.

``import sk_colour_embed`` imports none of its dependencies: each public name
is imported from its module when first used (``from sk_colour_embed import
PairSampler`` as usual), so that the command answers ``--help`` at once.
TensorFlow is imported when a model is built or trained (``fit``,
``build_pair_model``).
"""

import importlib

__version__ = "0.1.0"

# Each public name and the private module that defines it.
_MODULES = {
    "ColourFileError": "_data",
    "InSampleSplit": "_model_selection",
    "ItemTable": "_items",
    "ItemVectors": "_vectors",
    "PairSampler": "_sampling",
    "PairSimilarityClassifier": "_classifier",
    "PairSimilarityEmbedder": "_embedder",
    "RegressedItemVectors": "_vectors",
    "UninformativePairsWarning": "_warnings",
    "WordVectors": "_word_vectors",
    "build_pair_model": "_model",
    "colour_embedder": "_recommended",
    "load_colours": "_data",
    "read_colour_csv": "_data",
    "write_projector": "_projector",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    # PEP 562: called only for names not yet in the module's namespace.
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__():
    return sorted({*globals(), *__all__})
