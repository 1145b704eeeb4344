import numpy as np
import pytest
import scipy.sparse as sp

from sk_colour_embed._engine.sparse import (
    SCATTER_COST,
    HybridMatrix,
    compose_items,
    ell_width,
    multiply,
    spread_to_tokens,
    token_products,
)


def random_entries(n_rows, n_columns, seed=0):
    """Rows of 0 to 12 entries, most of them short, some repeated coordinates."""
    rng = np.random.default_rng(seed)
    counts = np.minimum(rng.geometric(0.4, size=n_rows) - 1, 12)
    rows = np.repeat(np.arange(n_rows), counts)
    columns = rng.integers(n_columns, size=len(rows))
    return rows, columns, rng.uniform(0.1, 1.0, size=(len(rows), 3))


def test_the_width_is_the_cheapest_of_gathers_and_scatters():
    # 90 rows of 1 entry and 10 of 30: width w costs 100 * w + SCATTER_COST * 10 * (30 - w)
    assert ell_width([1] * 90 + [30] * 10) == 1
    # every row of 4 entries: no entry left to scatter
    assert ell_width([4] * 50) == 4
    assert ell_width([]) == 1
    assert ell_width([0, 0]) == 1
    rng = np.random.default_rng(0)
    for _ in range(50):
        counts = rng.geometric(rng.uniform(0.05, 0.9), size=rng.integers(1, 200))
        widths = np.arange(1, counts.max() + 1)
        costs = [len(counts) * w + SCATTER_COST * np.maximum(counts - w, 0).sum() for w in widths]
        assert ell_width(counts) in widths[costs == np.min(costs)]


@pytest.mark.parametrize("seed", [0, 1])
def test_the_product_is_the_sparse_matrix_product(seed):
    rows, columns, values = random_entries(60, 25, seed)
    matrix = HybridMatrix.from_entries(rows, columns, values, 60)
    assert len(matrix.rest_rows) > 0  # both parts are in use
    dense = np.random.default_rng(seed).normal(size=(25, 3)).astype(np.float32)
    expected = np.stack(
        [
            sp.coo_matrix((values[:, k], (rows, columns)), shape=(60, 25)) @ dense[:, k]
            for k in range(3)
        ],
        axis=1,
    )
    np.testing.assert_allclose(
        multiply(matrix.tensors(), dense).numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_items_that_are_their_own_tokens_need_no_product():
    ids, weights = np.arange(5)[:, None], np.ones((5, 1))
    assert token_products(ids, weights, 5, 2) is None
    # another order, another weight, or an item without a token: a product
    assert token_products(ids[::-1].copy(), weights, 5, 2) is not None
    assert token_products(ids, weights * 2, 5, 2) is not None
    assert token_products(ids, np.r_[weights[:4], [[0.0]]], 5, 2) is not None
    # as many entries as items, but one item with two and one with none
    two_slots = np.array([[0, 1], [0, 0], [2, 0]]), np.array([[1, 1], [0, 0], [1, 0]])
    assert token_products(*two_slots, 3, 2) is not None


# Tokens 0 and 2 are in two items of three (a weight of 0 pads), token 1 in one.
@pytest.mark.parametrize("block_fill, n_in_block", [(0.3, 3), (0.5, 2), (0.9, 0)])
def test_the_spread_scales_gradients_by_weights_and_squared_gradients_by_squared_weights(
    block_fill, n_in_block
):
    ids = np.array([[0, 2], [1, 2], [2, 0]])
    weights = np.array([[-0.5, 0.25], [1.0, 0.0], [2.0, 1.0]])
    compose, spread = token_products(ids, weights, 3, 2, block_fill=block_fill)
    assert len(compose.get("block_tokens", [])) == n_in_block
    token_vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    composed = compose_items(compose, token_vectors).numpy()
    np.testing.assert_allclose(composed, np.einsum("is,isk->ik", weights, token_vectors[ids]))
    # per item: gradient and squared gradient interleaved, [g_1, s_1, g_2, s_2]
    per_item = np.array([[1, 10, 2, 20], [3, 30, 4, 40], [5, 50, 6, 60]], np.float32)
    per_token = spread_to_tokens(spread, per_item, 2).numpy()
    matrix = sp.coo_matrix((weights.ravel(), (np.repeat(np.arange(3), 2), ids.ravel())))
    matrix = matrix.toarray()  # (items, tokens)
    np.testing.assert_allclose(per_token[:, ::2], matrix.T @ per_item[:, ::2], rtol=1e-6)
    np.testing.assert_allclose(per_token[:, 1::2], (matrix**2).T @ per_item[:, 1::2], rtol=1e-6)
