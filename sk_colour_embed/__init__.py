"""Dense vectors for categorical items, learned from pairs labelled similar.

``import sk_colour_embed`` imports none of its dependencies: each public name
is imported from its module when first used (``from sk_colour_embed import
PairSampler`` as usual), so that the command answers ``--help`` at once.
TensorFlow is imported when a model is built or trained (``fit``,
``build_pair_model``). The model's layers are registered with Keras as soon as
Keras is imported, whoever imports it, so that a saved model loads after
``import sk_colour_embed`` alone.
"""

import importlib
import sys
import warnings

__version__ = "0.1.0"

# Each public name and the private module that defines it.
_MODULES = {
    "ColourFileError": "_data",
    "ColourWordTranslator": "_colour_words",
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


# -- the Keras layers, registered when Keras is imported -----------------------
#
# A saved model names its layers "sk_colour_embed>SquaredDistance" and so on, and Keras
# loads it only when those names are registered, which importing ``_model`` does; but
# ``import sk_colour_embed`` imports neither Keras nor TensorFlow. So the package asks
# Python to import ``_model`` right after Keras is imported, by anyone: then
# ``import sk_colour_embed, keras; keras.models.load_model(path)`` needs nothing more.
# Python has no post-import hook, so a finder first in ``sys.meta_path`` does it: it
# finds the ``keras`` module as the other finders do and runs the registration once
# the module has run.


def _register_keras_layers():
    """Import ``_model``, whose layers register with Keras, if the package can train here."""
    keras = sys.modules.get("keras")
    environment = sys.modules.get(f"{__name__}._keras_env")
    if keras is None or (environment is not None and not hasattr(environment, "tf")):
        return  # the package is importing Keras itself, and then ``_model``
    try:
        if keras.backend.backend() == "tensorflow":  # the backend the package trains on
            importlib.import_module(f"{__name__}._model")
    except Exception as error:  # importing Keras must not fail because of this package
        warnings.warn(
            f"sk_colour_embed could not register its Keras layers ({type(error).__name__}: "
            f"{error}); run `import sk_colour_embed._model` before keras.models.load_model.",
            RuntimeWarning,
            stacklevel=2,
        )


class _AfterKerasImport:
    """A finder that registers the package's layers once the ``keras`` module has run.

    It stays first in ``sys.meta_path`` until then: a spec may be looked up and not
    used (``importlib.util.find_spec("keras")``, as TensorFlow does).
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, exec_module = spec.loader, spec.loader.exec_module

        def exec_then_register(module):
            del loader.exec_module  # the loader's own from now on (a reload, say)
            exec_module(module)
            sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
            _register_keras_layers()

        loader.exec_module = exec_then_register
        return spec


if "keras" in sys.modules:
    _register_keras_layers()
elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasImport())
