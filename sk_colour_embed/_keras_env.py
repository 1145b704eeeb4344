"""Import Keras on the TensorFlow backend, quietly, with the threads the process may use.

The environment variables must be set before TensorFlow is first imported;
a user's own settings win. The compilation cache's flag is set by the
engine's first step (``_engine.prepare``) before it imports this module:
importing a module of the package changes neither ``TF_XLA_FLAGS`` nor
anything on disk.
"""

import os

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
