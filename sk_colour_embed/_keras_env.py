"""Import Keras on the TensorFlow backend, without TensorFlow's log noise.

The environment variables must be set before TensorFlow is first imported;
a user's own settings win.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN announces itself on stderr at import; the training runs in XLA anyway.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "sk_colour_embed trains with the TensorFlow backend of Keras, but Keras "
        f"was loaded with KERAS_BACKEND={keras.backend.backend()!r}. Set "
        "KERAS_BACKEND=tensorflow before importing Keras."
    )

__all__ = ["keras", "tf"]
