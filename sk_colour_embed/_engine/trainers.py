"""The engine's trainers: whole epochs of mini-batch Adam steps in one XLA call.

Plain ``model.fit`` spends almost all of its time on per-step framework
overhead for this tiny model. Here up to ``EPOCHS_PER_CALL`` epochs are one
call of a function compiled with XLA (for fits long enough to repay the
compilation; a plain TensorFlow graph otherwise), whose ``tf.while_loop``
runs every mini-batch step of each epoch, with the same loss, batches,
number of steps and Adam update rule as ``model.fit`` with
``keras.optimizers.Adam``. The pairs are shuffled afresh every epoch.
The engine's door (``_engine.fit_pair_model``) resolves a fit's choices
(``settings.Settings``), which pick one of these, and the epoch loop
(``loop.run``) drives it.

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
from dataclasses import dataclass

import numpy as np

from sk_colour_embed._engine.negatives import draw, mixed_bits
from sk_colour_embed._engine.sparse import (
    compose_items,
    padded_width,
    spread_to_tokens,
    token_products,
)
from sk_colour_embed._keras_env import keras, tf
from sk_colour_embed._model import (
    ENCODER,
    embedding_variable,
    head_layers,
    unseen_shift,
)

# The defaults of keras.optimizers.Adam.
BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-7
# How fast a skipped row's momentum fades against its step size.
RHO = BETA_1 / np.sqrt(BETA_2)
# After this many skipped steps a row's remaining momentum is below 1e-13 of it.
_SKIP_HORIZON = 300
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
    model's output, and a lookup's no longer (``benchmarks/results.md``).
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
