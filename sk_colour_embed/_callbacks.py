"""Epoch callbacks of the training loop: recording the vectors, a progress bar.

Each is called as ``callback(epoch, loss, variables)`` before training
(``epoch`` 0, ``loss`` NaN) and after every epoch; ``variables()`` gives the
model's trainable weights at that point: the token vectors, the encoder's
weights, then the head's two.
"""

import sys
import time

import numpy as np

from sk_colour_embed._vectors import compose


class Recorder:
    """Keep the item vectors every ``every`` epochs, epoch 0 included.

    ``item_weights`` (the items' token weights) and ``normalize`` turn token
    vectors (and the encoder's weights) into item vectors, as
    :func:`sk_colour_embed._vectors.compose` does.
    """

    def __init__(self, every, item_weights, normalize):
        self.every = every
        self.item_weights = item_weights
        self.normalize = normalize
        self.epochs, self.frames = [], []

    def __call__(self, epoch, loss, variables):
        if epoch % self.every == 0:
            self.epochs.append(epoch)
            token_vectors, *encoder, _, _ = variables()  # the head's scale and bias last
            vectors = compose(self.item_weights, token_vectors, self.normalize, encoder)
            self.frames.append(vectors.astype(np.float32))

    def result(self):
        """The recorded epochs and the stacked item vectors."""
        return np.array(self.epochs), np.stack(self.frames)


class ProgressBar:
    """Progress over epochs: a bar on a terminal, one summary line elsewhere.

    The bar is Keras's, showing each epoch's own loss. Written to a log or a
    pipe, a bar is a long line of carriage returns, so there the fit prints
    one plain line when it ends.
    """

    def __init__(self, n_epochs, stream=None):
        self.n_epochs = n_epochs
        self.stream = stream if stream is not None else sys.stdout
        self.bar = None
        self.start = time.perf_counter()

    def __call__(self, epoch, loss, variables):
        if epoch == 0:
            return
        self.last = (epoch, loss)
        if self.stream.isatty() or "ipykernel" in sys.modules:  # as Keras decides
            if self.bar is None:
                # Made after the first epoch, whose time includes compiling the
                # epoch function: the bar's time per epoch, and its ETA, leave that out.
                from sk_colour_embed._keras_env import keras

                self.bar = keras.utils.Progbar(
                    self.n_epochs, verbose=1, unit_name="epoch", stateful_metrics=["loss"]
                )
            self.bar.update(epoch, [("loss", loss)])
        elif epoch == self.n_epochs:
            self._summary(epoch, loss)

    def close(self):
        """Say where a fit that stopped early ended (its last epoch says it otherwise)."""
        epoch, loss = getattr(self, "last", (0, np.nan))
        if 0 < epoch < self.n_epochs:
            if self.bar is not None:
                print(file=self.stream, flush=True)  # end the bar's line
            self._summary(epoch, loss, f", stopped early of {self.n_epochs}")

    def _summary(self, epoch, loss, stopped=""):
        seconds = time.perf_counter() - self.start
        print(
            f"{epoch} epochs{stopped} in {seconds:.1f} s; loss {loss:.4f} at the last epoch",
            file=self.stream,
            flush=True,
        )
