import numpy as np

from sk_colour_embed._engine.negatives import PartnerTable


def test_negative_partners_follow_the_similar_pairs_counts_to_a_power():
    pairs = np.array([[0, 1], [0, 2], [0, 1], [3, 4]])
    labels = np.array([1, 1, 1, 0])
    counts = np.array([3, 2, 1, 0, 0, 0])  # items 3 to 5 are in no similar pair
    for exponent in (0.75, 0.0):
        table = PartnerTable.from_pairs(pairs, labels, 6, exponent)
        expected = np.where(counts > 0, counts**exponent, 0) / np.sum(
            counts[counts > 0] ** exponent
        )
        np.testing.assert_allclose(table.distribution(), expected, rtol=1e-6, atol=1e-7)
