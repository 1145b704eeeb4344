"""Negative partners: the items drawn as dissimilar partners of the similar pairs' items.

As word2vec draws negative words: in proportion to a power of each item's
number of similar pairs, fresh every epoch, from a fast seeded hash rather
than a random generator. The table is built in NumPy; the draws run inside
the engine's compiled calls.
"""

from dataclasses import dataclass

import numpy as np

from sk_colour_embed._keras_env import tf


def partner_table(pairs, labels, n_items, negative, ns_exponent):
    """The partner table when ``negative`` > 0, else None."""
    if not negative:
        return None
    return PartnerTable.from_pairs(np.asarray(pairs), np.asarray(labels), n_items, ns_exponent)


@dataclass(frozen=True)
class PartnerTable:
    """The distribution of negative partners as Walker's alias table.

    A draw takes a uniform item ``i`` and keeps it with probability
    ``probability[i]``, else takes ``alias[i]``: two gathers per draw,
    whatever the number of items (a search of the cumulative distribution
    costs, under XLA, a comparison with every item).
    """

    probability: np.ndarray
    alias: np.ndarray

    @classmethod
    def from_pairs(cls, pairs, labels, n_items, ns_exponent):
        """Items of the similar pairs, by their number of similar pairs to a power.

        As word2vec's distribution of negative words (``ns_exponent`` 0.75);
        items in no similar pair are never drawn.
        """
        counts = np.bincount(pairs[labels == 1].ravel(), minlength=n_items).astype(np.float64)
        return cls.from_weights(np.where(counts > 0, counts**ns_exponent, 0.0))

    @classmethod
    def from_weights(cls, weights):
        """The table that draws item ``i`` with probability ``weights[i] / sum(weights)``."""
        n, total = len(weights), np.sum(weights)
        if not total > 0:
            raise ValueError("negative partners need an item of positive weight to draw.")
        scaled = np.asarray(weights, dtype=np.float64) * n / total
        probability, alias = np.ones(n), np.arange(n)
        small = list(np.flatnonzero(scaled < 1))
        large = list(np.flatnonzero(scaled >= 1))
        while small and large:
            low, high = small.pop(), large.pop()
            probability[low], alias[low] = scaled[low], high
            scaled[high] -= 1 - scaled[low]
            (small if scaled[high] < 1 else large).append(high)
        # What rounding leaves over keeps itself, unless it is never to be drawn.
        for item in small:
            if weights[item] == 0:
                probability[item], alias[item] = 0.0, int(np.argmax(weights))
        return cls(probability.astype(np.float32), alias.astype(np.int32))

    def distribution(self):
        """The probability of drawing each item."""
        n = len(self.probability)
        kept = self.probability.astype(np.float64)
        passed = np.bincount(self.alias, weights=1 - kept, minlength=n)
        return (kept + passed) / n


def mixed_bits(*values):
    """A well-mixed uint32 hash of uint32 or int32 ``values`` (elementwise), as random bits.

    Chris Wellons's ``lowbias32`` integer hash, folded over the values. The
    negative partners are drawn from it, as word2vec draws them from a linear
    congruential generator: TensorFlow's stateless generators cost more under
    XLA on the CPU than the training step they serve.
    """
    x = tf.constant(0x9E3779B9, tf.uint32)
    for value in values:
        value = tf.convert_to_tensor(value)
        if value.dtype != tf.uint32:
            value = tf.bitcast(tf.cast(value, tf.int32), tf.uint32)
        x = tf.bitwise.bitwise_xor(x, value)
        for shift, factor in ((16, 0x7FEB352D), (15, 0x846CA68B)):
            x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(shift, tf.uint32)))
            x = x * tf.constant(factor, tf.uint32)
        x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(16, tf.uint32)))
    return x


def draw(partners, bits):
    """The items that the 32-bit numbers ``bits`` draw from the alias table ``partners``.

    A number scaled to [0, n_items) picks an item by its whole part and keeps
    it, or takes its alias, by its fraction.
    """
    n_items = tf.cast(tf.shape(partners["alias"])[0], tf.float64)
    scaled = tf.cast(bits, tf.float64) * (n_items / 2**32)
    items = tf.cast(scaled, tf.int32)
    keep = tf.cast(scaled - tf.floor(scaled), tf.float32)
    return tf.where(
        keep < tf.gather(partners["probability"], items), items, tf.gather(partners["alias"], items)
    )
