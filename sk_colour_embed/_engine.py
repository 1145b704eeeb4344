"""Training engine: whole epochs of mini-batch Adam steps in one XLA call.

Plain ``model.fit`` spends almost all of its time on per-step framework
overhead for this tiny model. Here up to ``EPOCHS_PER_CALL`` epochs are one
call of a function compiled with XLA (for fits long enough to repay the
compilation; a plain TensorFlow graph otherwise), whose ``tf.while_loop``
runs every mini-batch step of each epoch, with the same loss, batches,
number of steps and Adam update rule as ``model.fit`` with
``keras.optimizers.Adam``. The pairs are shuffled afresh every epoch.
:func:`fit_pair_model`, the one entry point, takes a ``TrainingConfig``,
resolves its choices for the data (:class:`_Settings`), builds the model and
trains it.

Three trainers share that loop:

- :class:`ComposedAdamTrainer` applies Keras's Adam update, written out.
  Keras's Adam is dense: on every step, every row of the embedding decays its
  moments and moves, whether it was in the batch or not. A step composes
  every item's vector once, from the token vectors, and works per item, not
  per token slot of each pair. This is the rule for the embeddings of
  ordinary size, as in the tutorial.
- :class:`KerasAdamTrainer` applies ``keras.optimizers.Adam`` itself to the
  model's output for the batch's pairs: the same update, for items too many
  to compose at every step.
- :class:`LazyAdamTrainer`, for large embeddings, makes a step cost the same
  whatever the number of items. It applies the zero-gradient steps of a row
  lazily, in closed form, when the row next appears in a batch (and for all
  rows at the end). After ``D`` skipped steps since step ``tau`` the moments
  are ``beta_1**D * m`` and ``beta_2**D * v``, and the row has moved by
  ``-(m / sqrt(v)) * sum(alpha_u * rho**(u - tau))`` over the skipped steps
  ``u``, where ``rho = beta_1 / sqrt(beta_2)`` and ``alpha_u`` is Adam's
  bias-corrected step size; the sum is read off a table of suffix sums. The
  one departure from dense Adam is that ``epsilon`` is left out of the
  skipped steps. Like Keras's Adam with a sparse gradient, the second moment
  of a row that occurs several times in a batch accumulates the squared
  gradient of each occurrence.
"""

import functools
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from sk_colour_embed._keras_env import keras, tf
from sk_colour_embed._model import (
    ENCODER,
    build_pair_model,
    embedding_variable,
    embedding_width,
    head_layers,
    trained_weights,
    unseen_shift,
)
from sk_colour_embed._negatives import draw, mixed_bits, partner_table
from sk_colour_embed._sparse import compose_items, padded_width, spread_to_tokens, token_products
from sk_colour_embed._xla_cache import COMPILATION_CACHE

# The defaults of keras.optimizers.Adam.
BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-7
# How fast a skipped row's momentum fades against its step size.
RHO = BETA_1 / np.sqrt(BETA_2)
# After this many skipped steps a row's remaining momentum is below 1e-13 of it.
_SKIP_HORIZON = 300
# Above this many embedding values, the lazy update is faster than the dense one.
LAZY_MIN_VALUES = 2**16
# XLA compilation takes about 0.5 s more than tracing a graph, and its steps
# are several times faster: it pays from a few thousand steps on.
XLA_MIN_STEPS = 5_000
# Epochs run by one compiled call, at most, and the memory that the call's
# orders of the pairs, and its copies of the weights after each epoch, may
# each take: entering the call, converting the orders and reading the loss back
# cost as much as a third of the tutorial's epoch when paid once an epoch.
EPOCHS_PER_CALL = 16
CALL_BYTES = 2**23


def _adam_update(variable, m, v, gradient, squared_gradient, alpha):
    """Keras's Adam update of one variable, as ``keras.optimizers.Adam.update_step`` writes it.

    ``alpha`` is the step's bias-corrected step size. The second moment takes
    ``squared_gradient``: the square of ``gradient``, or for a sparse gradient,
    as Keras's Adam has it, the sum of the squares of its occurrences.
    """
    m.assign_add((gradient - m) * (1 - BETA_1))
    v.assign_add((squared_gradient - v) * (1 - BETA_2))
    variable.assign_sub((m * alpha) / (tf.sqrt(v) + EPSILON))


def _binary_crossentropy(labels, probabilities, sample_weight=None):
    losses = keras.losses.binary_crossentropy(labels, probabilities)
    if sample_weight is None:
        return keras.ops.mean(losses)
    return keras.ops.sum(losses * sample_weight) / keras.ops.sum(sample_weight)


class EpochTrainer:
    """Train a token-form model of :func:`build_pair_model`, several epochs a compiled call.

    ``item_tokens`` and ``item_weights``, both of shape ``(n_items, n_slots)``,
    give each item's token ids and weights; the pairs are pairs of items.

    With ``negative`` > 0, every similar pair ``(a, b)`` of a batch brings
    ``negative`` dissimilar pairs ``(a, c)`` into the same step, each ``c``
    drawn from the :class:`PartnerTable` ``partners``, for the whole epoch at
    its start, by a compiled call from a hash of the epoch's seed and the
    draw's position: the same seeds draw the same partners.

    A trainer is made once for the settings that shape its compiled
    functions, and :meth:`start` readies it for each fit, a fresh one
    included: the items, the partners and the learning rate are arguments of
    those functions, not part of what they trace.
    """

    def __init__(self, model, *, batch_size, jit_compile, negative, all_similar):
        self.model = model
        # The token vectors: the Keras variable's TensorFlow variable; then every
        # trainable weight in the model's order, the token vectors first.
        self.embeddings = embedding_variable(model).value
        self.variables = [self.embeddings, *(v.value for v in model.trainable_variables[1:])]
        self.batch_size = batch_size
        self.negative = negative
        # Every pair similar: every negative counts, and the loss needs no weights.
        self.all_similar = all_similar
        self.table = None  # the fit's tables, from start
        # The tables are arguments, not constants of the function, so that
        # another fit of the same shapes reuses the traced, compiled epoch. The
        # loops are tf.while_loop and every Python branch is on Python values, so
        # AutoGraph would only rewrite the source: 2 of a first fit's 3 s of tracing.
        compiled = functools.partial(tf.function, jit_compile=jit_compile, autograph=False)
        self._run_epoch = compiled(self._epoch)
        self._run_epochs = compiled(self._epochs)
        # Drawn in a compiled call of their own before each epoch: inside the
        # epoch's, XLA fuses the draws into the steps that read them, 12% slower.
        self._run_draw = compiled(self._draw_partners)
        # Early stopping's held-out loss: traced on its first call only.
        self._run_loss = compiled(self._held_out_loss)

    def start(self, item_tokens, item_weights, partners, *, learning_rate, n_steps):
        """Ready the trainer for a fit from the model's weights, with fresh optimizer state.

        The fit trains on items of the token ids ``item_tokens`` and weights
        ``item_weights``, draws negatives from the :class:`PartnerTable`
        ``partners`` (None without negatives), with Adam's ``learning_rate``,
        over ``n_steps`` steps in all.
        """
        self.table = {
            "tokens": tf.constant(item_tokens, tf.int32),
            "weights": tf.constant(item_weights, tf.float32),
        }
        if self.negative:
            self.table["partners"] = {
                "probability": tf.constant(partners.probability, tf.float32),
                "alias": tf.constant(partners.alias, tf.int32),
            }

    def train_epoch(self, pairs, labels, order, seed=(0, 0)):
        """One epoch over ``pairs`` taken in ``order``; return its mean loss.

        The mean is weighted by batch size, as Keras reports it. ``seed``, two
        integers, seeds the negative partners.
        """
        partners = None
        if self.negative:
            seed = tf.constant(np.asarray(seed, np.int64).astype(np.uint32))
            partners = self._run_draw(self.table["partners"], seed, pairs, order)
        return float(self._run_epoch(pairs, labels, order, self.table, partners))

    def epochs_per_call(self, n_pairs):
        """How many epochs :meth:`train_epochs` may run in one call over ``n_pairs`` pairs.

        As many as the orders (one int32 per pair an epoch) and the vectors
        (one float32 per value an epoch) fit in ``CALL_BYTES`` each, up to
        ``EPOCHS_PER_CALL``. One with negative partners, which are drawn in a
        call of their own before each epoch.
        """
        if self.negative:
            return 1
        largest = max(n_pairs, int(np.prod(self.embeddings.shape)))
        return int(np.clip(CALL_BYTES // (4 * largest), 1, EPOCHS_PER_CALL))

    def train_epochs(self, pairs, labels, orders, start, count):
        """``count`` epochs in one call, the ``j``-th over ``pairs`` in ``orders[start + j]``.

        Returns the mean loss of each epoch, as :meth:`train_epoch` does, and
        the model's trainable weights after each, as :meth:`snapshot` lists
        them: for each weight a tensor of shape ``(len(orders), *shape)``
        (rows from ``count`` on are zeros).
        """
        losses, vectors = self._run_epochs(
            pairs, labels, orders, tf.constant(start), tf.constant(count), self.table
        )
        return losses.numpy()[:count].tolist(), vectors

    def n_traces(self):
        """How many shapes of data the epoch functions have been traced for."""
        return sum(
            function.experimental_get_tracing_count()
            for function in (self._run_epoch, self._run_epochs)
        )

    def current_embedding(self):
        """The token vectors as they stand after the last step, as a NumPy array."""
        return embedding_variable(self.model).numpy()

    def finish(self):
        """Leave the model's weights as they are after the last step."""

    def held_out(self, pairs, labels, seed):
        """The held-out item-index ``pairs`` and ``labels`` as :meth:`loss` takes them.

        With negative partners, each similar pair brings its ``negative``
        dissimilar pairs, drawn once, from ``seed``, and kept for every epoch.
        """
        pairs, labels = tf.constant(pairs, tf.int32), tf.constant(labels, tf.float32)
        if not self.negative:
            return pairs, labels, None
        seed = tf.constant(np.asarray(seed, np.int64).astype(np.uint32))
        order = tf.range(tf.shape(pairs)[0])
        partners = self._run_draw(self.table["partners"], seed, pairs, order)
        return self._with_negatives(pairs, labels, partners)

    def loss(self, held_out):
        """The mean loss of the model as it stands on ``held_out``, from :meth:`held_out`."""
        return float(self._run_loss(*held_out, self.table))

    def snapshot(self):
        """The model's trainable weights as they stand after the last step, as NumPy arrays."""
        return [self.current_embedding(), *(variable.numpy() for variable in self.variables[1:])]

    def restore(self, weights):
        """Set the model's trainable weights to a :meth:`snapshot`, after :meth:`finish`."""
        for variable, value in zip(self.model.trainable_variables, weights, strict=True):
            variable.assign(value)

    def _held_out_loss(self, pairs, labels, sample_weight, table):
        probabilities = self._probabilities(pairs, table)
        return _binary_crossentropy(labels[:, None], probabilities, sample_weight)

    def _probabilities(self, pairs, table):
        """The model's probability that each of the item-index ``pairs`` is similar."""
        return self.model(self._inputs(pairs, table), training=False)

    @staticmethod
    def _inputs(pairs, table):
        """The model's inputs for item-index ``pairs``: each item's tokens and weights."""
        return {name: tf.gather(table[name], pairs) for name in ("tokens", "weights")}

    def _epoch(self, pairs, labels, order, table, partners=None):
        pairs, labels = tf.gather(pairs, order), tf.gather(labels, order)
        n_pairs, batch = pairs.shape[0], self.batch_size
        n_full = n_pairs // batch

        def step(start, size):
            batch_pairs = tf.slice(pairs, [start, 0], [size, 2])
            batch_labels = tf.slice(labels, [start], [size])
            if not self.negative:
                return self._train_step(batch_pairs, batch_labels, table)
            batch_partners = tf.slice(partners, [start, 0], [size, self.negative])
            step_pairs, step_labels, sample_weight = self._with_negatives(
                batch_pairs, batch_labels, batch_partners
            )
            return self._train_step(step_pairs, step_labels, table, sample_weight)

        def body(i, total):
            return i + 1, total + step(i * batch, batch) * batch

        _, total = tf.while_loop(lambda i, _: i < n_full, body, (tf.constant(0), tf.constant(0.0)))
        rest = n_pairs - n_full * batch
        if rest:  # the last, smaller batch has a shape of its own
            total += step(n_full * batch, rest) * rest
        return total / n_pairs

    def _epochs(self, pairs, labels, orders, start, count, table):
        """``count`` epochs of :meth:`_epoch`, from ``orders[start]`` on; losses and vectors.

        ``orders`` has a fixed number of rows, and ``start`` and ``count``
        are tensors, so that calls of any length share one compiled function.
        """

        def body(j, losses, after):
            loss = self._epoch(pairs, labels, orders[start + j], table)
            # Read after the epoch's updates: the variables order them.
            return (
                j + 1,
                tf.tensor_scatter_nd_update(losses, [[j]], [loss]),
                [
                    tf.tensor_scatter_nd_update(stack, [[j]], [variable.read_value()])
                    for stack, variable in zip(after, self.variables, strict=True)
                ],
            )

        size = orders.shape[0]
        stacks = [tf.zeros([size, *variable.shape]) for variable in self.variables]
        initial = (tf.constant(0), tf.zeros([size]), stacks)
        _, losses, after = tf.while_loop(lambda j, *_: j < count, body, initial)
        return losses, after

    def _draw_partners(self, partners, seed, pairs, order):
        """``negative`` partners for each of the ``pairs`` taken in ``order``.

        Drawn from the table ``partners``; ``seed``, two uint32 values,
        decides the draws. A partner drawn as the pair's own first item is
        drawn again, once (an item of probability ``p`` stays its own
        partner with probability ``p**2``).
        """
        anchors = tf.repeat(tf.gather(pairs[:, 0], order), self.negative)
        positions = tf.bitcast(tf.range(tf.shape(anchors)[0]), tf.uint32)
        first, again = (
            draw(partners, mixed_bits(mixed_bits(seed[0], seed[1], round_) + positions))
            for round_ in (0, 1)
        )
        drawn = tf.where(first == anchors, again, first)
        return tf.reshape(drawn, [-1, self.negative])

    def _with_negatives(self, pairs, labels, partners):
        """The batch and its negative pairs, their labels, and the loss weights.

        Pair ``i`` brings the pairs of its first item with each of
        ``partners[i]``, labelled 0. Those of pairs not labelled similar, and
        those of an item with itself, weigh 0, so that shapes stay fixed; when
        every pair is similar, no weights (None).
        """
        k = self.negative
        drawn = tf.reshape(partners, [-1])
        anchors = tf.repeat(pairs[:, 0], k)
        all_pairs = tf.concat([pairs, tf.stack([anchors, drawn], axis=1)], axis=0)
        all_labels = tf.concat([labels, tf.zeros_like(drawn, labels.dtype)], axis=0)
        if self.all_similar:
            # Weights computed from the data slow XLA's step by a third; none are needed.
            return all_pairs, all_labels, None
        counted = tf.repeat(tf.cast(labels, tf.float32), k) * tf.cast(drawn != anchors, tf.float32)
        sample_weight = tf.concat([tf.ones_like(labels, tf.float32), counted], axis=0)
        return all_pairs, all_labels, sample_weight

    def _train_step(self, pairs, labels, table, sample_weight=None):
        raise NotImplementedError


class KerasAdamTrainer(EpochTrainer):
    """Each step applies ``keras.optimizers.Adam`` to all weights."""

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        self.optimizer = keras.optimizers.Adam()  # its learning rate is set by start
        self.optimizer.build(model.trainable_variables)

    def start(self, *items, learning_rate, n_steps):
        super().start(*items, learning_rate=learning_rate, n_steps=n_steps)
        for variable in self.optimizer.variables:  # the step count and the moments
            variable.assign(tf.zeros_like(variable))
        self.optimizer.learning_rate = learning_rate

    def _train_step(self, pairs, labels, table, sample_weight=None):
        inputs = self._inputs(pairs, table)
        with tf.GradientTape() as tape:
            probabilities = self.model(inputs, training=True)
            loss = _binary_crossentropy(labels[:, None], probabilities, sample_weight)
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss


class ComposedAdamTrainer(EpochTrainer):
    """Keras's Adam update, written out, on item vectors composed once a step.

    A step composes every item's vector from the token vectors (a product
    with the items' token weights), gathers the pairs' vectors from them, and
    differentiates the loss with respect to those. Each item sums its
    gradients and its squared gradients over its occurrences in the batch;
    a token's gradient is the sum of its items' gradients times its weight,
    and, as Keras's Adam accumulates the second moment of a sparse gradient
    (the square of each occurrence's), its squared gradient is the sum of
    their squared gradients times its squared weight. Items that are their
    own tokens, as in a lookup, skip both products.

    An encoder that narrows each item's vector to fewer components (the
    word-vector reading's hidden layer of 32, to 3) maps every item once a
    step, and the pairs send back only the gradients of their narrow vectors;
    the encoder's Jacobian at each item turns those into the same gradients
    and squared gradients of the embedding rows (see
    :meth:`_per_item_gradients`).

    Its work is per item and token, not per token slot of each pair: with
    xkcd names read as words, a step takes 0.4 of Keras's Adam on the
    model's output, and a lookup's no longer (``docs/performance.md``).
    """

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        head = head_layers(model)[1:]  # after the weighted sum
        # The layers that map each item's vector (encoder, normalization), then
        # those of each pair (distance, probability); their variables, in order.
        self.item_layers, self.pair_layers = head[:-2], head[-2:]
        self.item_variables, self.pair_variables = (
            [variable.value for layer in layers for variable in layer.trainable_variables]
            for layers in (self.item_layers, self.pair_layers)
        )
        # Mapping each item once a step, not each occurrence in the pairs, sends
        # back an n-D gradient and its n x n outer product an occurrence, not the
        # embedding's width twice: fewer when an encoder narrows to n components.
        # Not through a normalization: there, summing the gradients in the other
        # order parted from model.fit by 1e-3 of the loss in an epoch (Adam scales
        # up the rounding of gradients that nearly cancel).
        only_encoder = [layer.name for layer in self.item_layers] == [ENCODER]
        if only_encoder:
            n, width = head[0].n_components, self.embeddings.shape[1]
        self.per_item = only_encoder and n + n * n < 2 * width
        # The encoder's last bias moves every vector alike: its gradient is zero,
        # but summed item by item it is rounding noise, which Adam would scale up
        # to steps that move every vector.
        shift = unseen_shift(model)
        self.unseen = [shift is not None and v is shift.value for v in self.item_variables]
        self.learning_rate = tf.Variable(0.0, dtype=tf.float32, trainable=False)
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]

    def start(self, item_tokens, item_weights, partners, *, learning_rate, n_steps):
        super().start(
            item_tokens, item_weights, partners, learning_rate=learning_rate, n_steps=n_steps
        )
        products = token_products(item_tokens, item_weights, *self.embeddings.shape)
        if products is not None:
            self.table["compose"], self.table["spread"] = products
        for variable in (self.iterations, *self.m, *self.v):
            variable.assign(tf.zeros_like(variable))
        self.learning_rate.assign(learning_rate)

    def _train_step(self, pairs, labels, table, sample_weight=None):
        items = self.embeddings
        if "compose" in table:
            items = compose_items(table["compose"], items)
        gradients = self._per_item_gradients if self.per_item else self._per_pair_gradients
        per_item, grad_head, loss = gradients(items, pairs, labels, sample_weight)
        per_token = per_item
        if "spread" in table:
            per_token = spread_to_tokens(table["spread"], per_item, items.shape[1])
        per_token = tf.reshape(per_token, [-1, per_item.shape[1] // 2, 2])[:, : items.shape[1]]
        self._apply_adam(
            [
                (per_token[..., 0], per_token[..., 1]),
                *((gradient, tf.square(gradient)) for gradient in grad_head),
            ]
        )
        return loss

    def _pair_loss(self, pair_vectors, labels, sample_weight):
        probabilities = pair_vectors
        for layer in self.pair_layers:
            probabilities = layer(probabilities)
        return _binary_crossentropy(labels[:, None], probabilities, sample_weight)

    def _per_pair_gradients(self, items, pairs, labels, sample_weight):
        """Each item's gradient and squared gradient, the head's gradients, and the loss.

        The item layers, if any, map each pair's item vectors. Each item's row
        interleaves its gradient and squared gradient, as
        :func:`spread_to_tokens` takes it.
        """
        n_components = items.shape[1]
        pair_vectors = tf.gather(items, pairs)
        with tf.GradientTape() as tape:
            tape.watch(pair_vectors)
            vectors = pair_vectors
            for layer in self.item_layers:
                vectors = layer(vectors)
            loss = self._pair_loss(vectors, labels, sample_weight)
        grad_pairs, *grad_head = tape.gradient(loss, [pair_vectors, *self.variables[1:]])
        # Each occurrence's row interleaves its gradient and squared gradient,
        # [g_1, g_1**2, g_2, g_2**2, ...], padded with zero gradients to
        # padded_width: XLA builds it in one vectorized loop, where the
        # concatenation of the two took a scalar loop, a quarter of the epoch.
        width = padded_width(2 * n_components) // 2
        grad_pairs = tf.pad(
            tf.reshape(grad_pairs, [-1, n_components]), [[0, 0], [0, width - n_components]]
        )
        powers = grad_pairs[:, :, None] * tf.stack([tf.ones_like(grad_pairs), grad_pairs], axis=2)
        per_item = tf.math.unsorted_segment_sum(
            tf.reshape(powers, [-1, 2 * width]), tf.reshape(pairs, [-1]), items.shape[0]
        )
        return per_item, grad_head, loss

    def _per_item_gradients(self, items, pairs, labels, sample_weight):
        """As :meth:`_per_pair_gradients`, the item layers mapping each item once.

        An occurrence's gradient with respect to its item's embedding row is
        ``J.T @ g``, for the gradient ``g`` of its n-D vector and the
        Jacobian ``J`` of the item layers at the item. Summed over the
        item's occurrences, that is ``J.T @ G`` for their summed gradient
        ``G``, and the squares that Keras's Adam sums are
        ``diag(J.T @ S @ J)`` for the sum ``S`` of their outer products
        ``g @ g.T``: the same values, from n + n**2 numbers an occurrence.
        """
        n_items, width = items.shape
        with tf.GradientTape(persistent=True) as item_tape:
            item_tape.watch(items)
            vectors = items
            for layer in self.item_layers:
                vectors = layer(vectors)
        n = vectors.shape[1]
        pair_vectors = tf.gather(vectors, pairs)
        with tf.GradientTape() as tape:
            tape.watch(pair_vectors)
            loss = self._pair_loss(pair_vectors, labels, sample_weight)
        grad_pairs, *grad_pair_variables = tape.gradient(loss, [pair_vectors, *self.pair_variables])
        g = tf.reshape(grad_pairs, [-1, n])
        powers = tf.concat([g, tf.reshape(g[:, :, None] * g[:, None, :], [-1, n * n])], axis=1)
        summed = tf.math.unsorted_segment_sum(powers, tf.reshape(pairs, [-1]), n_items)
        grad_vectors, outer = summed[:, :n], tf.reshape(summed[:, n:], [-1, n, n])
        grad_items, *grad_item_variables = item_tape.gradient(
            vectors, [items, *self.item_variables], output_gradients=grad_vectors
        )
        # The Jacobian's rows, one backward pass through the item layers each.
        jacobian = [
            item_tape.gradient(
                vectors, items, output_gradients=tf.one_hot(tf.fill([n_items], k), n)
            )
            for k in range(n)
        ]
        # diag(J.T @ S @ J) as n**2 elementwise products: XLA on the CPU ran it
        # as a reduction of a broadcast, or as a batch of tiny matrix products,
        # 20-40% slower an epoch (a lookup with a hidden layer of 32).
        squared = tf.add_n(
            [outer[:, i, j, None] * jacobian[i] * jacobian[j] for i in range(n) for j in range(n)]
        )
        del item_tape
        grad_item_variables = [
            tf.zeros_like(gradient) if unseen else gradient
            for gradient, unseen in zip(grad_item_variables, self.unseen, strict=True)
        ]
        padded = padded_width(2 * width) // 2
        per_item = tf.reshape(
            tf.pad(tf.stack([grad_items, squared], axis=2), [[0, 0], [0, padded - width], [0, 0]]),
            [n_items, 2 * padded],
        )
        return per_item, [*grad_item_variables, *grad_pair_variables], loss

    def _apply_adam(self, gradients):
        """One Adam step; ``gradients`` holds a ``(gradient, squared)`` pair per variable."""
        step = tf.cast(self.iterations + 1, tf.float32)
        alpha = self.learning_rate * tf.sqrt(1 - tf.pow(BETA_2, step)) / (1 - tf.pow(BETA_1, step))
        for variable, (gradient, squared), m, v in zip(
            self.variables, gradients, self.m, self.v, strict=True
        ):
            _adam_update(variable, m, v, gradient, squared, alpha)
        self.iterations.assign_add(1)


@dataclass(frozen=True)
class AdamSchedule:
    """Adam's step size per step and the sums that skip zero-gradient steps.

    ``alpha[t]`` is the step size of step ``t`` (counted from 1), and
    ``skip_sum[tau]`` is ``sum(alpha[u] * rho**(u - tau) for u > tau)``.
    """

    alpha: np.ndarray
    skip_sum: np.ndarray
    rho: float

    @classmethod
    def for_steps(cls, n_steps, learning_rate):
        steps = np.arange(n_steps + _SKIP_HORIZON + 1, dtype=np.float64)
        alpha = np.zeros_like(steps)
        alpha[1:] = learning_rate * np.sqrt(1 - BETA_2 ** steps[1:]) / (1 - BETA_1 ** steps[1:])
        skip_sum = np.zeros_like(alpha)
        for tau in range(len(alpha) - 2, -1, -1):
            skip_sum[tau] = RHO * (alpha[tau + 1] + skip_sum[tau + 1])
        return cls(alpha.astype(np.float32), skip_sum.astype(np.float32), float(RHO))


class LazyAdamTrainer(EpochTrainer):
    """Adam whose embedding update touches only the rows of the batch.

    The head's few weights follow Keras's dense Adam update.
    """

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        self.head = head_layers(model)
        self.rho = tf.constant(RHO, tf.float32)

        def zeros(shape, dtype=tf.float32):
            return tf.Variable(tf.zeros(shape, dtype), trainable=False)

        n_items, n_components = self.embeddings.shape
        self.step = zeros((), tf.int32)
        self.m = zeros((n_items, n_components))
        self.v = zeros((n_items, n_components))
        self.last_step = zeros((n_items,), tf.int32)
        self.head_m = [zeros(v.shape) for v in self.variables[1:]]
        self.head_v = [zeros(v.shape) for v in self.variables[1:]]

    def start(self, *items, learning_rate, n_steps):
        super().start(*items, learning_rate=learning_rate, n_steps=n_steps)
        # The step sizes of the fit's steps, and the sums that skip them.
        schedule = AdamSchedule.for_steps(n_steps, learning_rate)
        self.table["alpha"] = tf.constant(schedule.alpha)
        self.table["skip_sum"] = tf.constant(schedule.skip_sum)
        for variable in (self.step, self.m, self.v, self.last_step, *self.head_m, *self.head_v):
            variable.assign(tf.zeros_like(variable))

    def epochs_per_call(self, n_pairs):
        """One: the rows lag behind their skipped steps, and each epoch's vectors catch them up."""
        return 1

    def current_embedding(self):
        return self._all_caught_up()[1].numpy()

    def finish(self):
        rows, w, m, v = self._all_caught_up()
        self.m.assign(m)
        self.v.assign(v)
        self._write_rows(rows, w, self.step)

    def _all_caught_up(self):
        """Every row's index, weights and moments as they are after the last step."""
        rows = tf.range(self.embeddings.shape[0])
        return (rows, *self._caught_up(rows, self.step + 1, self.table["skip_sum"]))

    def _caught_up(self, rows, step, skip_sum):
        """Weights and moments of ``rows`` just before ``step``."""
        last = tf.gather(self.last_step, rows)
        skipped = tf.cast(step - 1 - last, tf.float32)[:, None]
        drift = tf.gather(skip_sum, last)[:, None] - tf.pow(self.rho, skipped) * tf.gather(
            skip_sum, step - 1
        )
        m = tf.gather(self.m, rows)
        v = tf.gather(self.v, rows)
        w = tf.gather(self.embeddings, rows) - drift * tf.math.divide_no_nan(m, tf.sqrt(v))
        return w, tf.pow(tf.constant(BETA_1), skipped) * m, tf.pow(tf.constant(BETA_2), skipped) * v

    def _probabilities(self, pairs, table):
        # The rows lag behind their skipped steps: catch the pairs' rows up first.
        inputs = self._inputs(pairs, table)
        rows = tf.reshape(inputs["tokens"], [-1])
        w = self._caught_up(rows, self.step + 1, table["skip_sum"])[0]
        token_shape = tf.concat([tf.shape(inputs["tokens"]), tf.shape(w)[1:]], axis=0)
        probabilities = self.head[0]([tf.reshape(w, token_shape), inputs["weights"]])
        for layer in self.head[1:]:
            probabilities = layer(probabilities)
        return probabilities

    def _write_rows(self, rows, w, step):
        """Store the weights ``w`` of ``rows`` as they are after ``step``."""
        self.embeddings.scatter_update(tf.IndexedSlices(w, rows))
        self.last_step.scatter_update(tf.IndexedSlices(tf.fill(tf.shape(rows), step), rows))

    def _train_step(self, pairs, labels, table, sample_weight=None):
        step = self.step.assign_add(1)
        inputs = self._inputs(pairs, table)
        token_shape = tf.shape(inputs["tokens"])
        rows = tf.reshape(inputs["tokens"], [-1])
        w, m, v = self._caught_up(rows, step, table["skip_sum"])
        with tf.GradientTape() as tape:
            tape.watch(w)
            token_vectors = tf.reshape(w, tf.concat([token_shape, tf.shape(w)[1:]], axis=0))
            probabilities = self.head[0]([token_vectors, inputs["weights"]])
            for layer in self.head[1:]:
                probabilities = layer(probabilities)
            loss = _binary_crossentropy(labels[:, None], probabilities, sample_weight)
        grad_w, *grad_head = tape.gradient(loss, [w, *self.variables[1:]])
        alpha = tf.gather(table["alpha"], step)

        # Occurrences of one row share its moments: write the decayed moments,
        # then add every occurrence's share of the gradient.
        self.m.scatter_update(tf.IndexedSlices(BETA_1 * m, rows))
        self.m.scatter_add(tf.IndexedSlices((1 - BETA_1) * grad_w, rows))
        self.v.scatter_update(tf.IndexedSlices(BETA_2 * v, rows))
        self.v.scatter_add(tf.IndexedSlices((1 - BETA_2) * tf.square(grad_w), rows))
        m = tf.gather(self.m, rows)
        v = tf.gather(self.v, rows)
        self._write_rows(rows, w - alpha * m / (tf.sqrt(v) + EPSILON), step)

        for variable, gradient, m_head, v_head in zip(
            self.variables[1:], grad_head, self.head_m, self.head_v, strict=True
        ):
            _adam_update(variable, m_head, v_head, gradient, tf.square(gradient), alpha)
        return loss


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
class _Settings:
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

        Fits of one key can share a trainer (see :class:`_TrainerCache`): the
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


@dataclass(frozen=True)
class History:
    """What :func:`_run` leaves: the losses of the epochs run, and why it stopped."""

    losses: np.ndarray
    val_losses: np.ndarray | None = None
    converged: bool = False
    interrupted: bool = False


def _run(trainer, pairs, labels, *, epochs, rng, callbacks, stopping, held_out):
    """Train ``trainer`` for up to ``epochs`` epochs; a :class:`History`.

    With ``early_stopping``, ``stopping`` (a ``Stopping`` of ``_config``) may
    end training earlier, judging the training loss, or the loss on
    ``held_out`` (from :meth:`EpochTrainer.held_out`) when not None, whose
    best epoch's weights are then kept. A callback that returns True after
    an epoch ends training there too (``interrupted``).

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
    losses, val_losses = [], []
    tol = stopping.tol if stopping.early_stopping else None
    best, best_weights, n_no_change, converged = np.inf, None, 0, False
    interrupted, rewind = False, None
    negative_seed = int(rng.integers(np.iinfo(np.int32).max)) if trainer.negative else 0
    per_call = 1 if held_out is not None else trainer.epochs_per_call(n_pairs)
    for callback in callbacks:
        callback(0, np.nan, trainer.snapshot)
    with _tensorflow_logs_silenced, ThreadPoolExecutor(max_workers=1) as pool:
        orders = _Orders(pool, rng, n_pairs, epochs, per_call)
        while len(losses) < epochs and not (converged or interrupted):
            count = per_call
            if tol is not None:
                count = min(count, stopping.n_iter_no_change - n_no_change)
            block, start, count = orders.take(count)
            if per_call == 1:
                seed = (negative_seed, len(losses))
                run = [(trainer.train_epoch(pairs, labels, block[start], seed), None)]
            else:
                chunk, after = trainer.train_epochs(pairs, labels, block, start, count)
                run = [
                    (loss, functools.partial(_epoch_variables, after, j))
                    for j, loss in enumerate(chunk)
                ]
            for j, (loss, variables) in enumerate(run):
                losses.append(loss)
                variables = trainer.snapshot if variables is None else variables
                # Every callback sees the epoch, whichever asks to stop.
                asked = [bool(callback(len(losses), loss, variables)) for callback in callbacks]
                if any(asked) and len(losses) < epochs:  # after the last, there is no need
                    interrupted = True
                    if j < len(run) - 1:  # the call ran on past this epoch
                        rewind = variables
                if tol is not None:
                    judged = loss
                    if held_out is not None:
                        judged = trainer.loss(held_out)
                        val_losses.append(judged)
                    # As scikit-learn's MLPClassifier._update_no_improvement_count.
                    n_no_change = n_no_change + 1 if judged > best - tol else 0
                    if judged < best:
                        best = judged
                        if held_out is not None:
                            best_weights = trainer.snapshot()
                    # The call ends at the soonest epoch that can stop (see above).
                    converged = n_no_change >= stopping.n_iter_no_change
                if interrupted:
                    break
    trainer.finish()
    if rewind is not None:
        trainer.restore(rewind())
    if best_weights is not None:
        trainer.restore(best_weights)
    val_losses = np.array(val_losses) if held_out is not None else None
    return History(np.array(losses), val_losses, converged, interrupted)


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


class _TrainerCache:
    """Idle trainers kept for the next fit of the same shapes in this process.

    Tracing and compiling an epoch takes about as long as 450 epochs of the
    tutorial's fit. A trainer's epoch function takes the item tables and the
    pairs as arguments and keeps its compiled code per shape of them, so a
    later fit of the same :attr:`_Settings.trace_key` (the candidates of a
    grid search that share a fold, repeated fits) starts an idle trainer
    again instead of compiling anew. A trainer is lent to one fit at a time, so
    fits on several threads never share one. Only embeddings of up to
    ``max_values`` values are kept, with at most ``max_traces`` traced
    shapes each, and at most ``max_trainers`` of them, the least recently
    used leaving first. ``TRAINERS.clear()`` frees them all.
    """

    def __init__(self, max_trainers=16, max_values=2**20, max_traces=8):
        self.max_trainers = max_trainers
        self.max_values = max_values
        self.max_traces = max_traces
        self._idle = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def lend(self, key, n_values, new_trainer):
        """A trainer for ``key``: an idle one (``reused`` True) or ``new_trainer()``.

        Yields ``(trainer, reused)``. The trainer is kept for later fits only
        when the block completes.
        """
        with self._lock:
            trainer = self._idle.pop(key, None)
        reused = trainer is not None
        if not reused:
            trainer = new_trainer()
        yield trainer, reused
        if n_values <= self.max_values and trainer.n_traces() <= self.max_traces:
            with self._lock:
                self._idle[key] = trainer
                while len(self._idle) > self.max_trainers:
                    self._idle.popitem(last=False)

    def clear(self):
        with self._lock:
            self._idle.clear()


TRAINERS = _TrainerCache()


@dataclass(frozen=True)
class TrainedWeights:
    """What training leaves: plain arrays and numbers, no TensorFlow."""

    token_vectors: np.ndarray
    distance_scale: float
    similarity_bias: float
    # The encoder's weights, in its order (empty without hidden layers).
    encoder: list
    losses: np.ndarray
    # The held-out loss of each epoch, with early stopping on held-out pairs.
    val_losses: np.ndarray | None = None
    # Training stopped before its last epoch: the judged loss had stopped falling.
    converged: bool = False
    # Training stopped before its last epoch because a callback asked it to.
    interrupted: bool = False


def fit_pair_model(
    item_tokens, item_weights, pairs, labels, config, *, n_tokens, seed, rng, callbacks=()
):
    """Build the token-form model, train it on ``pairs`` and ``labels``, and return its weights.

    The engine's one entry point. Fits of the same :attr:`_Settings.trace_key`
    in one process reuse a compiled trainer (see :class:`_TrainerCache`);
    the result is the same as with a new one.

    Parameters
    ----------
    item_tokens : ndarray of shape (n_items, n_slots), int
        Each item's token ids (rows of the embedding).
    item_weights : ndarray of shape (n_items, n_slots)
        Their weights; 0 pads an item with fewer tokens.
    pairs : ndarray of shape (n_pairs, 2), int
        Item indices.
    labels : ndarray of shape (n_pairs,)
        1 for a similar pair, 0 for a dissimilar one.
    config : TrainingConfig
        The training's settings, ``negative`` an int; the engine reads
        ``n_components``, ``hidden_layer_sizes``, ``normalize`` (the model's,
        as :func:`build_pair_model` takes them), ``epochs``, ``batch_size``,
        ``learning_rate``, ``negative`` (dissimilar pairs drawn in every step
        for each pair labelled 1: its first item with a partner from the
        items of the similar pairs, see :meth:`PartnerTable.from_pairs`),
        ``ns_exponent``, ``stopping`` (a ``Stopping``: with its
        ``validation_fraction``, the held-out pairs are drawn from ``rng``
        before the epochs' orders), and how to train: ``lazy``
        (:class:`LazyAdamTrainer`, or Keras's dense Adam:
        :class:`ComposedAdamTrainer`, or :class:`KerasAdamTrainer` for items
        too many to compose at every step, as ``composed`` says; ``"auto"``
        takes the lazy one when the embedding has at least
        ``LAZY_MIN_VALUES`` values and a step does not touch every item's
        entries, and composes when it does), ``jit_compile`` (XLA, or a
        TensorFlow graph; ``"auto"`` compiles when the fit has at least
        ``XLA_MIN_STEPS`` steps, and always for the lazy update, whose
        graph-mode scatters are not reproducible).
    n_tokens : int
        Rows of the embedding.
    seed : int
        Seed of the model's initial weights, as :func:`build_pair_model` takes it.
    rng : numpy.random.Generator
        Draws each epoch's order of the pairs (and the held-out pairs, and the
        seeds of the negative partners).
    callbacks : sequence of callables, default=()
        Each is called as ``callback(epoch, loss, variables)`` before the
        first epoch (``epoch=0``, ``loss`` NaN) and after each epoch (``epoch``
        counted from 1); ``variables()`` gives the model's trainable weights at
        that point as NumPy arrays (:meth:`EpochTrainer.snapshot`): the token
        vectors, the encoder's, then the head's. One that returns True after
        an epoch ends training there, with that epoch's weights.

    Returns
    -------
    TrainedWeights

    Examples
    --------
    >>> import numpy as np
    >>> from sk_colour_embed._config import TrainingConfig
    >>> items = np.arange(3)[:, None], np.ones((3, 1))
    >>> pairs, labels = np.array([[0, 1], [1, 2], [0, 2]]), np.array([1.0, 0.0, 0.0])
    >>> config = TrainingConfig(n_components=2, epochs=3, batch_size=2)
    >>> trained = fit_pair_model(
    ...     *items, pairs, labels, config, n_tokens=3, seed=0, rng=np.random.default_rng(0)
    ... )
    >>> trained.token_vectors.shape, len(trained.losses)
    ((3, 2), 3)
    """
    kept, held = config.stopping.split(len(pairs), rng)
    held_out = None
    if len(held):
        held_out = pairs[held], labels[held]
        pairs, labels = pairs[kept], labels[kept]
    settings = _Settings.resolve(config, item_weights, labels, n_tokens=n_tokens)
    partners = partner_table(
        pairs, labels, len(item_weights), settings.negative, config.ns_exponent
    )
    if settings.jit_compile:
        # The compiled epochs that earlier processes shared, before the first is compiled.
        COMPILATION_CACHE.load()
    model = settings.model(seed)
    new_trainer = functools.partial(settings.trainer, model)
    with TRAINERS.lend(settings.trace_key, settings.n_values, new_trainer) as (trainer, reused):
        if reused:
            trainer.model.set_weights(model.get_weights())
        trainer.start(
            item_tokens,
            item_weights,
            partners,
            learning_rate=config.learning_rate,
            n_steps=settings.n_steps,
        )
        if held_out is not None:
            # Its negative partners are drawn once, from a seed of their own.
            held_out = trainer.held_out(*held_out, seed=rng.integers(2**31, size=2))
        history = _run(
            trainer,
            pairs,
            labels,
            epochs=config.epochs,
            rng=rng,
            callbacks=callbacks,
            stopping=config.stopping,
            held_out=held_out,
        )
        trained = TrainedWeights(
            *trained_weights(trainer.model),
            losses=history.losses,
            val_losses=history.val_losses,
            converged=history.converged,
            interrupted=history.interrupted,
        )
    if settings.jit_compile:
        COMPILATION_CACHE.publish()  # what this fit compiled, for later processes
    return trained
