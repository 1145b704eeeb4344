"""Import Keras on the TensorFlow backend, quietly, with the threads the process may use.

The environment variables must be set before TensorFlow is first imported;
a user's own settings win.
"""

import os
import warnings

# Where XLA keeps compiled epochs for later processes, unless the user says otherwise.
XLA_CACHE_VARIABLE = "SK_COLOUR_EMBED_XLA_CACHE"
_XLA_CACHE_FLAG = "--tf_xla_persistent_cache_directory"


def xla_cache_directory(environ):
    """The folder of the persistent XLA compilation cache that ``environ`` asks for, or None.

    ``SK_COLOUR_EMBED_XLA_CACHE`` names it, or turns the cache off with
    ``off``; by default it is ``sk_colour_embed/xla`` in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``). None also when the
    user's ``TF_XLA_FLAGS`` already sets a cache folder, which wins.
    """
    setting = environ.get(XLA_CACHE_VARIABLE, "").strip()
    if setting.lower() == "off" or _XLA_CACHE_FLAG in environ.get("TF_XLA_FLAGS", ""):
        return None
    if setting:
        return os.path.abspath(os.path.expanduser(setting))
    base = environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    return os.path.join(base, "sk_colour_embed", "xla")


def with_xla_cache(environ):
    """Add the cache folder of :func:`xla_cache_directory` to ``environ``'s ``TF_XLA_FLAGS``.

    The user's own flags stay. A folder that cannot be made or written, or
    whose path holds a space (TensorFlow splits its flags at spaces), is not
    used, with a warning: TensorFlow would fail every compiled fit on it.
    """
    directory = xla_cache_directory(environ)
    if directory is None:
        return
    if any(c.isspace() for c in directory):
        usable, why = False, "TensorFlow's flags cannot hold a path with a space"
    else:
        try:
            os.makedirs(directory, exist_ok=True)
            usable, why = os.access(directory, os.W_OK | os.X_OK), "it is not writable"
        except OSError as error:
            usable, why = False, error.strerror
    if not usable:
        # TensorFlow would fail every compiled fit on a folder it cannot write.
        warnings.warn(
            f"the XLA compilation cache folder {directory} cannot be used ({why}), so each "
            f"process compiles its own epochs. Set {XLA_CACHE_VARIABLE} to a writable folder, "
            "or to off.",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    flags = environ.get("TF_XLA_FLAGS", "").strip()
    environ["TF_XLA_FLAGS"] = f"{flags} {_XLA_CACHE_FLAG}={directory}".strip()


# A fresh process, a loky or Dask worker among them, loads the epochs that
# earlier processes compiled instead of compiling them again: the same code,
# so the same fit, bit for bit. Workers inherit the variable.
with_xla_cache(os.environ)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN announces itself on stderr at import; the training runs in XLA anyway.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# joblib's loky workers set OMP_NUM_THREADS to their share of the cores, and
# Dask's worker processes to 1 (a worker's tasks then run on its own threads).
# TensorFlow does not read it and would start a thread per core of the machine
# in every worker, so several workers oversubscribe the cores; its intra-op
# threads follow OMP_NUM_THREADS instead, when that is a count.
if os.environ.get("OMP_NUM_THREADS", "").strip().isdigit():
    if int(os.environ["OMP_NUM_THREADS"]) > 0:
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", os.environ["OMP_NUM_THREADS"].strip())

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "sk_colour_embed trains with the TensorFlow backend of Keras, but Keras "
        f"was loaded with KERAS_BACKEND={keras.backend.backend()!r}. Set "
        "KERAS_BACKEND=tensorflow before importing Keras."
    )

__all__ = ["keras", "tf"]
