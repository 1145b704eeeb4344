"""A fit's choices, resolved from its configuration and its data, and the trainers kept for them.

:meth:`Settings.resolve` makes the ``"auto"`` choices of a ``TrainingConfig``
(which trainer, XLA or a graph) for the fit's data; :attr:`Settings.trace_key`
names what a trainer traces, and :data:`TRAINERS` keeps idle trainers by it.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from sk_colour_embed._cache import BoundedCache
from sk_colour_embed._engine.trainers import (
    ComposedAdamTrainer,
    KerasAdamTrainer,
    LazyAdamTrainer,
)
from sk_colour_embed._model import build_pair_model, embedding_width

# Above this many embedding values, the lazy update is faster than the dense one.
LAZY_MIN_VALUES = 2**16
# XLA compilation takes about 0.5 s more than tracing a graph, and its steps
# are several times faster: it pays from a few thousand steps on.
XLA_MIN_STEPS = 5_000


@dataclass(frozen=True)
class Settings:
    """The choices of one fit, resolved from its configuration and its data by :meth:`resolve`.

    Every field but ``n_steps`` shapes what the trainer's functions trace:
    :attr:`trace_key` lists them.
    """

    # The model's shape: the arguments of build_pair_model.
    n_tokens: int
    n_components: int
    tokens_per_item: int
    hidden_layer_sizes: tuple
    normalize: bool
    # The trainer's.
    batch_size: int
    negative: int
    all_similar: bool
    lazy: bool
    jit_compile: bool
    composed: bool
    # Steps of the whole fit: sizes the lazy update's schedule, an argument.
    n_steps: int

    @classmethod
    def resolve(cls, config, item_weights, labels, *, n_tokens):
        """The settings of a fit of ``config`` on items of ``item_weights`` and pairs of ``labels``.

        ``config`` is a :class:`TrainingConfig` whose ``negative`` is an int;
        ``n_tokens`` the number of rows of the embedding. The ``"auto"``
        choices of ``lazy``, ``jit_compile`` and ``composed`` are made here.
        """
        n_pairs = len(labels)
        # A batch larger than all the pairs is one batch of all the pairs, as
        # in model.fit: memory follows the data, not batch_size.
        batch_size = min(config.batch_size, n_pairs)
        n_steps = config.epochs * -(-n_pairs // batch_size)
        negative = int(config.negative)
        # The items' entries are no more than the token slots of a step's pairs.
        item_weights = np.asarray(item_weights)
        slots = 2 * batch_size * (1 + negative) * item_weights.shape[1]
        few_entries = np.count_nonzero(item_weights) <= slots
        lazy = config.lazy
        if lazy == "auto":
            # The lazy update saves the rows a step leaves alone; when items have no
            # more entries than a step's slots (dense features), a step touches them all.
            n_values = n_tokens * embedding_width(config.n_components, config.hidden_layer_sizes)
            lazy = n_values >= LAZY_MIN_VALUES and not few_entries
        jit_compile = config.jit_compile
        if jit_compile == "auto":
            # The lazy update's scatters add repeated rows in an order that
            # TensorFlow's graph threads do not fix; under XLA the order is
            # fixed, so the same seed gives the same fit.
            jit_compile = lazy or n_steps >= XLA_MIN_STEPS
        composed = config.composed
        if composed == "auto":
            # Composing every item once a step pays when the items' entries are few.
            composed = few_entries
        return cls(
            n_tokens=int(n_tokens),
            n_components=int(config.n_components),
            tokens_per_item=item_weights.shape[1],
            hidden_layer_sizes=tuple(config.hidden_layer_sizes),
            normalize=bool(config.normalize),
            batch_size=batch_size,
            negative=negative,
            all_similar=bool(negative) and bool(np.all(np.asarray(labels) == 1)),
            lazy=bool(lazy),
            jit_compile=bool(jit_compile),
            composed=bool(composed) and not lazy,
            n_steps=n_steps,
        )

    @property
    def trace_key(self):
        """The settings that change what a trainer traces: all but ``n_steps``.

        Fits of one key can share a trainer (see :data:`TRAINERS`): the
        shapes of their data (pairs, item tables) are arguments of its
        functions, which retrace for new ones, and so is the lazy update's
        schedule, which ``n_steps`` sizes.
        """
        return (
            self.n_tokens,
            self.n_components,
            self.tokens_per_item,
            self.hidden_layer_sizes,
            self.normalize,
            self.batch_size,
            self.negative,
            self.all_similar,
            self.lazy,
            self.jit_compile,
            self.composed,
        )

    @property
    def n_values(self):
        """The number of values of the embedding."""
        return self.n_tokens * embedding_width(self.n_components, self.hidden_layer_sizes)

    def model(self, seed):
        """The token-form model of :func:`build_pair_model`, its weights drawn from ``seed``."""
        return build_pair_model(
            self.n_tokens,
            self.n_components,
            tokens_per_item=self.tokens_per_item,
            hidden_layer_sizes=self.hidden_layer_sizes,
            normalize=self.normalize,
            seed=seed,
        )

    def trainer(self, model):
        """A new trainer of ``model``, of the class these settings choose.

        It trains once :meth:`EpochTrainer.start` has given it a fit's data.
        """
        settings = dict(
            batch_size=self.batch_size,
            jit_compile=self.jit_compile,
            negative=self.negative,
            all_similar=self.all_similar,
        )
        if self.lazy:
            return LazyAdamTrainer(model, **settings)
        if self.composed:
            return ComposedAdamTrainer(model, **settings)
        return KerasAdamTrainer(model, **settings)


class TrainerCache:
    """Idle trainers kept for the next fit of the same shapes in this process.

    Tracing and compiling an epoch takes about as long as 450 epochs of the
    tutorial's fit. A trainer's epoch function takes the item tables and the
    pairs as arguments and keeps its compiled code per shape of them, so a
    later fit of the same :attr:`Settings.trace_key` (the candidates of a
    grid search that share a fold, repeated fits) starts an idle trainer
    again instead of compiling anew. A trainer is lent to one fit at a time, so
    fits on several threads never share one. Only embeddings of up to
    ``max_values`` values are kept, with at most ``max_traces`` traced
    shapes each, and at most ``max_trainers`` of them, the least recently
    used leaving first. ``TRAINERS.clear()`` frees them all.
    """

    def __init__(self, max_trainers=16, max_values=2**20, max_traces=8):
        self.max_values = max_values
        self.max_traces = max_traces
        self.idle = BoundedCache(max_trainers)

    @contextmanager
    def lend(self, key, n_values, new_trainer):
        """A trainer for ``key``: an idle one (``reused`` True) or ``new_trainer()``.

        Yields ``(trainer, reused)``. The trainer is kept for later fits only
        when the block completes.
        """
        trainer = self.idle.take(key)
        reused = trainer is not None
        if not reused:
            trainer = new_trainer()
        yield trainer, reused
        if n_values <= self.max_values and trainer.n_traces() <= self.max_traces:
            self.idle.put(key, trainer)

    def clear(self):
        self.idle.clear()


TRAINERS = TrainerCache()
