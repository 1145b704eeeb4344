"""The epoch loop: epochs run in compiled calls, callbacks, and early stopping.

:func:`run` trains a started trainer (``trainers``) for up to a fit's
epochs: each epoch's order of the pairs is drawn ahead on a second thread
(:class:`_Orders`), the callbacks see every epoch, and an
:class:`EarlyStopping` judges the loss.
"""

import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from sk_colour_embed._keras_env import tf


class _TensorFlowLogsSilenced:
    """Hide TensorFlow's warnings while any fit runs, and restore its logger's level after.

    Fits of new shapes trace new epoch functions, by design; TensorFlow would
    warn about the repeated tracing after a few of them. Fits on several
    threads share the logger: the first to start saves its level, the last
    to end restores it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._level = None

    def __enter__(self):
        with self._lock:
            if not self._running:
                logger = tf.get_logger()
                self._level = logger.level
                logger.setLevel(logging.ERROR)
            self._running += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._running -= 1
            if not self._running:
                tf.get_logger().setLevel(self._level)


_tensorflow_logs_silenced = _TensorFlowLogsSilenced()


def _shuffled(rng, n, rows, size):
    """``rows`` orders of ``n`` pairs drawn from ``rng``, in an array of ``size`` rows."""
    orders = np.empty((size, n), np.int32)
    for row in orders[:rows]:
        row[:] = rng.permutation(n)
    orders[rows:] = 0  # never read: the last block of a fit may be short
    return orders, rows


@dataclass(frozen=True)
class History:
    """What :func:`run` leaves: the losses of the epochs run, and why it stopped."""

    losses: np.ndarray
    val_losses: np.ndarray | None = None
    stopped_early: bool = False
    interrupted: bool = False


class EarlyStopping:
    """Judges each epoch's loss, as ``MLPClassifier`` counts epochs without improvement.

    ``stopping`` is the fit's ``Stopping`` (``_params``). Without its
    ``early_stopping`` it never stops. Otherwise the judged loss is the
    training loss, or the loss of ``held_out`` (from
    :meth:`EpochTrainer.held_out`) when not None, whose best epoch's
    weights are then kept: :meth:`keep_best` sets them back at the end.
    """

    def __init__(self, stopping, held_out):
        self.active = stopping.early_stopping
        self.tol, self.patience = stopping.tol, stopping.n_iter_no_change
        self.held_out = held_out
        self.val_losses = []
        self._best, self._best_weights, self._n_no_change = np.inf, None, 0

    @property
    def epochs_per_call(self):
        """A held-out loss is judged on the weights of each epoch, one call each."""
        return 1 if self.held_out is not None else None

    def room(self, count):
        """How many of ``count`` epochs may run before the soonest epoch that can stop."""
        return min(count, self.patience - self._n_no_change) if self.active else count

    def judge(self, trainer, loss):
        """Count the epoch that ended with training loss ``loss``; True when training stops."""
        if not self.active:
            return False
        judged = loss
        if self.held_out is not None:
            judged = trainer.loss(self.held_out)
            self.val_losses.append(judged)
        # As scikit-learn's MLPClassifier._update_no_improvement_count.
        self._n_no_change = self._n_no_change + 1 if judged > self._best - self.tol else 0
        if judged < self._best:
            self._best = judged
            if self.held_out is not None:
                self._best_weights = trainer.snapshot()
        return self._n_no_change >= self.patience

    def keep_best(self, trainer):
        """Set ``trainer`` back to the weights of the best held-out loss, if judged so."""
        if self._best_weights is not None:
            trainer.restore(self._best_weights)


def run(trainer, pairs, labels, *, epochs, rng, callbacks, stopping, held_out):
    """Train ``trainer`` for up to ``epochs`` epochs; a :class:`History`.

    With ``early_stopping``, ``stopping`` (a ``Stopping`` of ``_params``) may
    end training earlier (see :class:`EarlyStopping`). A callback that
    returns True after an epoch ends training there too (``interrupted``).

    Several epochs run in one compiled call (:meth:`EpochTrainer.train_epochs`)
    and the callbacks then see each of them in turn, with its loss and its
    trainable weights. A call never runs past an epoch where ``tol`` could
    stop training: the training loss stops it after ``n_iter_no_change``
    epochs without improvement at the soonest, and a held-out loss is judged
    on the weights of each epoch, one call each. A callback may stop it after
    any epoch: the weights are then set back to that epoch's.
    """
    n_pairs = len(pairs)
    pairs = tf.constant(pairs, tf.int32)
    labels = tf.constant(labels, tf.float32)
    losses = []
    early = EarlyStopping(stopping, held_out)
    stopped_early, interrupted, rewind = False, False, None
    negative_seed = int(rng.integers(np.iinfo(np.int32).max)) if trainer.negative else 0
    per_call = early.epochs_per_call or trainer.epochs_per_call(n_pairs)
    for callback in callbacks:
        callback(0, np.nan, trainer.snapshot)
    with _tensorflow_logs_silenced, ThreadPoolExecutor(max_workers=1) as pool:
        orders = _Orders(pool, rng, n_pairs, epochs, per_call)
        while len(losses) < epochs and not (stopped_early or interrupted):
            block, start, count = orders.take(early.room(per_call))
            if per_call == 1:
                seed = (negative_seed, len(losses))
                ran = [(trainer.train_epoch(pairs, labels, block[start], seed), None)]
            else:
                chunk, after = trainer.train_epochs(pairs, labels, block, start, count)
                ran = [
                    (loss, functools.partial(_epoch_variables, after, j))
                    for j, loss in enumerate(chunk)
                ]
            for j, (loss, variables) in enumerate(ran):
                losses.append(loss)
                variables = trainer.snapshot if variables is None else variables
                # Every callback sees the epoch, whichever asks to stop.
                asked = [bool(callback(len(losses), loss, variables)) for callback in callbacks]
                if any(asked) and len(losses) < epochs:  # after the last, there is no need
                    interrupted = True
                    if j < len(ran) - 1:  # the call ran on past this epoch
                        rewind = variables
                # The call ends at the soonest epoch that can stop (see above).
                stopped_early = early.judge(trainer, loss)
                if interrupted:
                    break
    trainer.finish()
    if rewind is not None:
        trainer.restore(rewind())
    early.keep_best(trainer)
    val_losses = np.array(early.val_losses) if held_out is not None else None
    return History(np.array(losses), val_losses, stopped_early, interrupted)


def _epoch_variables(after, j):
    """The trainable weights after epoch ``j`` of a call, from :meth:`EpochTrainer.train_epochs`."""
    return [weights[j].numpy() for weights in after]


class _Orders:
    """Each epoch's order of the pairs, drawn on a second thread ahead of training.

    Shuffling 100,000 pairs takes as long as half an epoch's steps: the next
    epochs' orders are drawn while these train. They come in blocks of
    ``per_block`` epochs, one tensor a block, of rows drawn in sequence from
    ``rng``, so that a seeded ``rng`` gives the same orders however the
    epochs are split between calls.

    The second thread draws NumPy arrays only; the tensor is made here, on
    the fit's thread. Every TensorFlow tensor takes a number from a counter
    of the process, which also names the functions that a fit traces, and
    the compilation cache's keys hold those names: a tensor made on the
    second thread took its number at a moment that varied with the timing of
    the threads, so that identical fits in fresh processes traced functions
    of different names, and compiled again instead of loading from the cache.
    """

    def __init__(self, pool, rng, n_pairs, epochs, per_block):
        self._pool, self._rng, self._n_pairs, self._per_block = pool, rng, n_pairs, per_block
        self._left = epochs
        self._block, self._rows, self._used = None, 0, 0
        self._next = self._submit()

    def _submit(self):
        rows = min(self._left, self._per_block)
        self._left -= rows
        if not rows:
            return None
        return self._pool.submit(_shuffled, self._rng, self._n_pairs, rows, self._per_block)

    def take(self, count):
        """A block of orders, the row of the next epoch's, and how many of ``count`` follow it."""
        if self._used == self._rows:
            block, self._rows = self._next.result()
            self._block = tf.constant(block)
            self._used = 0
            self._next = self._submit()
        start = self._used
        count = min(count, self._rows - start)
        self._used += count
        return self._block, start, count
