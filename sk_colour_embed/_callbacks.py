"""Epoch callbacks of the training loop: recording the vectors, a progress bar.

Each is called as ``callback(epoch, loss, token_vectors)`` before training
(``epoch`` 0, ``loss`` NaN) and after every epoch; ``token_vectors()`` gives
the token vectors at that point.
"""

import numpy as np

from sk_colour_embed._vectors import compose


class Recorder:
    """Keep the item vectors every ``every`` epochs, epoch 0 included.

    ``weights`` and ``normalize`` turn token vectors into item vectors, as
    :func:`sk_colour_embed._vectors.compose` does.
    """

    def __init__(self, every, weights, normalize):
        self.every = every
        self.weights = weights
        self.normalize = normalize
        self.epochs, self.frames = [], []

    def __call__(self, epoch, loss, token_vectors):
        if epoch % self.every == 0:
            self.epochs.append(epoch)
            vectors = compose(self.weights, token_vectors(), self.normalize)
            self.frames.append(vectors.astype(np.float32))

    def result(self):
        """The recorded epochs and the stacked item vectors."""
        return np.array(self.epochs), np.stack(self.frames)


class ProgressBar:
    """Keras's progress bar over epochs, showing each epoch's own loss."""

    def __init__(self, n_epochs):
        from sk_colour_embed._keras_env import keras

        self.bar = keras.utils.Progbar(
            n_epochs, verbose=1, unit_name="epoch", stateful_metrics=["loss"]
        )

    def __call__(self, epoch, loss, token_vectors):
        if epoch > 0:
            self.bar.update(epoch, [("loss", loss)])
