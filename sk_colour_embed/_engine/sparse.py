"""Products with a fixed sparse matrix, in a layout that XLA runs fast on the CPU.

The token trainer multiplies by the same sparse matrices at every step: the
items' token weights (item vectors from token vectors) and their transpose
(token gradients from item gradients). XLA has no sparse product; it has
gathers, which are fast, and scatters, which cost several times more a row.
So a matrix is held as a hybrid of two parts, as in the ELL/COO ("HYB")
format of sparse matrix-vector kernels:

- a dense part of ``width`` entries a row, padded with zero values: a gather
  and a sum, no scatter;
- the entries that do not fit, as coordinates: a gather and a scatter.

The width trades padded gathers against scattered entries (see
:func:`ell_width`). Tokens in many items (the columns of a dense feature
matrix, such as pretrained word vectors) go in a dense block instead,
multiplied by matrix products (see :data:`BLOCK_FILL`).
"""

from dataclasses import dataclass

import numpy as np

from sk_colour_embed._keras_env import tf

# A scattered entry costs about as much as this many gathered ones (XLA on the
# CPU, rows of a few floats). Measured on 2 cores with xkcd names read as words,
# and as words and character 3-4-grams: any value from 4 to 16 trains as fast,
# within noise; 1 is 1.4-2x slower, and no scatter at all (the widest rows) 10x.
SCATTER_COST = 6
# XLA on the CPU scatters rows of a multiple of 4 floats fastest: 3-D rows of
# [gradient, squared gradient], 6 floats, take 10% longer than when padded to 8.
ROW_MULTIPLE = 4
# A token in at least this share of the items goes in the dense block: a matrix
# product takes far less an entry than a gather (xkcd names read as 256-d word
# vectors: an epoch 16 times slower through gathers alone; see benchmarks/results.md).
BLOCK_FILL = 0.25


def ell_width(counts):
    """The dense part's width for rows of ``counts`` entries: the cheapest, at least 1.

    A width ``w`` costs ``n_rows * w`` gathered entries plus ``SCATTER_COST``
    for each entry beyond the first ``w`` of its row. One more column costs
    ``n_rows`` gathers and saves a scatter for each row longer than ``w``: it
    pays while more than ``n_rows / SCATTER_COST`` rows are longer, so the
    width is the smallest that at most that many rows exceed.
    """
    longest_first = np.sort(np.asarray(counts, dtype=np.int64))[::-1]
    may_exceed = len(longest_first) // SCATTER_COST
    if may_exceed >= len(longest_first):
        return 1
    return max(int(longest_first[may_exceed]), 1)


@dataclass(frozen=True)
class HybridMatrix:
    """A sparse ``(n_rows, n_columns)`` matrix whose entries are vectors of ``k`` values.

    Multiplying it by a dense ``(n_columns, k)`` matrix multiplies elementwise
    (see :func:`multiply`); an ordinary sparse matrix has ``k`` equal values
    an entry.
    """

    columns: np.ndarray  # (n_rows, width) int32, the dense part
    values: np.ndarray  # (n_rows, width, k) float32, 0 where padded
    rest_rows: np.ndarray  # (n_rest,) int32, the entries beyond the width
    rest_columns: np.ndarray
    rest_values: np.ndarray  # (n_rest, k)

    @classmethod
    def from_entries(cls, rows, columns, values, n_rows):
        """The matrix that sums ``values[i]`` at ``(rows[i], columns[i])``."""
        order = np.lexsort((columns, rows))
        rows, columns, values = rows[order], columns[order], np.asarray(values)[order]
        counts = np.bincount(rows, minlength=n_rows)
        slot = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        width = ell_width(counts)
        dense = slot < width
        ell_columns = np.zeros((n_rows, width), np.int32)
        ell_values = np.zeros((n_rows, width, values.shape[1]), np.float32)
        ell_columns[rows[dense], slot[dense]] = columns[dense]
        ell_values[rows[dense], slot[dense]] = values[dense]
        rest = ~dense
        return cls(
            ell_columns,
            ell_values,
            rows[rest].astype(np.int32),
            columns[rest].astype(np.int32),
            values[rest].astype(np.float32),
        )

    def tensors(self):
        """Its arrays as TensorFlow constants, to pass to :func:`multiply`."""
        return {
            name: tf.constant(getattr(self, name))
            for name in ("columns", "values", "rest_rows", "rest_columns", "rest_values")
        }


def multiply(matrix, dense):
    """The product of the :meth:`HybridMatrix.tensors` ``matrix`` and ``dense``.

    ``dense`` has shape ``(n_columns, k)``; the product ``(n_rows, k)``.
    """
    product = tf.reduce_sum(tf.gather(dense, matrix["columns"]) * matrix["values"], axis=1)
    if matrix["rest_rows"].shape[0]:  # static: a layout without a rest has no scatter
        rest = tf.gather(dense, matrix["rest_columns"]) * matrix["rest_values"]
        product += tf.math.unsorted_segment_sum(rest, matrix["rest_rows"], product.shape[0])
    return product


def padded_width(k):
    """``k`` rounded up to a multiple of ``ROW_MULTIPLE``."""
    return -(-k // ROW_MULTIPLE) * ROW_MULTIPLE


def token_products(item_tokens, item_weights, n_tokens, n_components, block_fill=BLOCK_FILL):
    """The two products of the token trainer, or None when items are their own tokens.

    Returns ``(compose, spread)`` as dicts of TensorFlow constants, for
    :func:`compose_items` and :func:`spread_to_tokens`: ``compose`` maps token
    vectors to item vectors (the weighted sums); ``spread`` maps each item's
    row of gradient and squared gradient, interleaved (``[g_1, g_1**2, g_2,
    g_2**2, ...]``) and padded to :func:`padded_width`, to each token's,
    scaling each gradient by the weight and each squared gradient by the
    squared weight. Tokens in at least ``block_fill`` of the items are
    multiplied as a dense block, the others through :class:`HybridMatrix`.
    Padding slots (weight 0) are left out.
    """
    items, slots = np.nonzero(item_weights)
    tokens, weights = item_tokens[items, slots], item_weights[items, slots].astype(np.float64)
    n_items = len(item_tokens)
    # Item i's one entry is token i, of weight 1.
    identity = np.arange(n_items)
    if n_items == n_tokens and np.array_equal(items, identity):
        if np.array_equal(tokens, identity) and np.all(weights == 1):
            return None
    block_tokens = np.flatnonzero(np.bincount(tokens, minlength=n_tokens) >= block_fill * n_items)
    in_block = np.isin(tokens, block_tokens)
    # The squared weights are summed, not the weights squared: a token in two slots of
    # an item gets each occurrence's squared gradient, as Keras's Adam does.
    block, block_squared = (np.zeros((n_items, len(block_tokens))) for _ in range(2))
    at = (items[in_block], np.searchsorted(block_tokens, tokens[in_block]))
    np.add.at(block, at, weights[in_block])
    np.add.at(block_squared, at, np.square(weights[in_block]))
    items, tokens, weights = items[~in_block], tokens[~in_block], weights[~in_block]
    compose = HybridMatrix.from_entries(items, tokens, weights[:, None], n_items).tensors()
    scales = np.zeros((len(items), padded_width(2 * n_components)))
    scales[:, 0 : 2 * n_components : 2] = weights[:, None]
    scales[:, 1 : 2 * n_components : 2] = np.square(weights)[:, None]
    spread = HybridMatrix.from_entries(tokens, items, scales, n_tokens).tensors()
    if len(block_tokens):
        compose["block"] = tf.constant(block, tf.float32)
        # Transposed here: XLA on the CPU multiplies by a transposed operand at
        # less than half the speed (2.4x slower, 949 x 256 word vectors).
        spread["block_t"] = tf.constant(block.T, tf.float32)
        spread["block_squared_t"] = tf.constant(block_squared.T, tf.float32)
        compose["block_tokens"] = spread["block_tokens"] = tf.constant(block_tokens, tf.int32)
    return compose, spread


def compose_items(compose, token_vectors):
    """Item vectors, the weighted sums of ``token_vectors``, with :func:`token_products`'s."""
    items = multiply(compose, token_vectors)
    if "block" in compose:
        items += tf.matmul(compose["block"], tf.gather(token_vectors, compose["block_tokens"]))
    return items


def spread_to_tokens(spread, per_item, n_components):
    """Each token's gradient and squared gradient from its items', with :func:`token_products`'s.

    ``per_item`` holds each item's gradient and squared gradient,
    interleaved and padded to :func:`padded_width`; a token's are their sums
    scaled by its weight in the item, and by the squared weight.
    """
    per_token = multiply(spread, per_item)
    if "block_t" in spread:
        k, width = n_components, per_item.shape[1]
        gradient = tf.matmul(spread["block_t"], per_item[:, 0 : 2 * k : 2])
        squared = tf.matmul(spread["block_squared_t"], per_item[:, 1 : 2 * k : 2])
        block = tf.reshape(tf.stack([gradient, squared], axis=2), [-1, 2 * k])
        block = tf.pad(block, [[0, 0], [0, width - 2 * k]])
        per_token = tf.tensor_scatter_nd_add(per_token, spread["block_tokens"][:, None], block)
    return per_token
