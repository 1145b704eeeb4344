import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sk_colour_embed import ItemTable, PairSampler
from sk_colour_embed._warnings import UninformativePairsWarning


def test_pairs_follow_the_tutorial_rule(css4):
    X, y = css4
    pairs, similar = PairSampler(n_pairs=50_000, random_state=0).fit_resample(X, y)
    assert list(pairs.columns) == ["item_x", "item_y"]
    assert pairs.shape == (50_000, 2) and similar.shape == (50_000,)
    assert set(np.unique(similar)) == {0, 1}
    rgb = y.set_index(X["name"])
    expected = np.mean(
        (rgb.loc[pairs["item_x"]].to_numpy() - rgb.loc[pairs["item_y"]].to_numpy()) ** 2, axis=1
    )
    # P(similar | d) = P(U > sqrt(d / 0.2)) = 1 - sqrt(d / 0.2) for d < 0.2, else 0.
    assert not similar[expected >= 0.2].any()
    near = expected < 0.0125  # sqrt(0.0625) = 0.25: P(similar) >= 0.75
    assert similar[near].mean() > 0.75
    expected_rate = np.mean(np.clip(1 - np.sqrt(expected / 0.2), 0, None))
    assert similar.mean() == pytest.approx(expected_rate, abs=0.01)


def test_items_are_drawn_uniformly_with_replacement(css4):
    X, y = css4
    pairs, _ = PairSampler(n_pairs=148 * 400, random_state=1).fit_resample(X, y)
    counts = pd.concat([pairs["item_x"], pairs["item_y"]]).value_counts()
    assert len(counts) == 148
    assert counts.std() / counts.mean() < 0.1  # binomial spread of 800 draws each
    assert (pairs["item_x"] == pairs["item_y"]).any()


@pytest.mark.parametrize("threshold", [0.05, 0.4])
def test_threshold_and_power_move_the_positive_rate(css4, threshold):
    X, y = css4
    base = PairSampler(n_pairs=20_000, random_state=0).fit_resample(X, y)[1].mean()
    rate = (
        PairSampler(n_pairs=20_000, threshold=threshold, random_state=0)
        .fit_resample(X, y)[1]
        .mean()
    )
    assert (rate > base) == (threshold > 0.2)
    flatter = PairSampler(n_pairs=20_000, power=0.5, random_state=0).fit_resample(X, y)[1].mean()
    assert flatter > base


def test_same_random_state_same_pairs(css4):
    X, y = css4
    a = PairSampler(n_pairs=1000, random_state=3).fit_resample(X, y)
    b = PairSampler(n_pairs=1000, random_state=3).fit_resample(X, y)
    c = PairSampler(n_pairs=1000, random_state=4).fit_resample(X, y)
    pd.testing.assert_frame_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not a[0].equals(c[0])


def test_several_key_columns_identify_an_item():
    X = pd.DataFrame(
        {"palette": ["web", "web", "x11", "web"], "name": ["red", "blue", "red", "red"]}
    )
    y = np.array([[1, 0, 0], [0, 0, 1], [0.9, 0, 0], [1, 0, 0]])
    sampler = PairSampler(n_pairs=200, random_state=0)
    pairs, _ = sampler.fit_resample(X, y)
    assert list(sampler.items_.keys) == [("web", "red"), ("web", "blue"), ("x11", "red")]
    assert set(pairs["item_x"]) <= set(sampler.items_.keys)
    assert sampler.feature_names_in_.tolist() == ["palette", "name"]


def test_repeated_keys_are_merged_and_conflicts_named():
    X = np.array([["coral"], ["black"], ["coral"], ["black"], ["teal"]], dtype=object)
    y = np.array([[1, 0.5, 0.3], [0, 0, 0], [1, 0.5, 0.0], [0, 0, 0], [0, 0.5, 0.5]])
    with pytest.warns(
        UserWarning, match=r"1 item key\(s\) appear with different descriptors .*'coral'"
    ) as record:
        items = ItemTable.from_rows(X, y)
    assert "black" not in str(record[0].message)
    assert list(items.keys) == ["coral", "black", "teal"]
    np.testing.assert_allclose(items.descriptors[0], [1, 0.5, 0.15])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_pairs": 0}, "'n_pairs' parameter of PairSampler must be an int in the range"),
        ({"threshold": -1}, "'threshold' parameter of PairSampler"),
        ({"power": "two"}, "'power' parameter of PairSampler"),
    ],
)
def test_bad_parameters_are_named(css4, params, message):
    X, y = css4
    with pytest.raises(ValueError, match=message):
        PairSampler(**params).fit_resample(X, y)


def test_nan_key_and_missing_y_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        PairSampler().fit(np.array([["red"], [np.nan]], dtype=object), [[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="requires y to be passed"):
        PairSampler().fit([["red"], ["blue"]], None)


def draw(X, y, **params):
    """fit_resample, returning the pairs, labels and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler = PairSampler(**{"n_pairs": 20_000, "random_state": 0, **params})
        pairs, similar = sampler.fit_resample(X, y)
    return pairs, similar, [w for w in caught if w.category is UninformativePairsWarning]


def test_descriptors_in_0_255_are_named_with_the_share_threshold_and_range(css4):
    X, y = css4
    pairs, similar, caught = draw(X, (y * 255).round())
    different = (pairs["item_x"] != pairs["item_y"]).to_numpy()
    share = similar[different].mean()
    assert share < 0.01  # only the CSS colours with two names (aqua, cyan) stay similar
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"{share:.2%} of the pairs of different items are similar")
    assert "too few" in message and "The threshold is 0.2 and y spans 0 to 255" in message
    assert "multiply threshold by 255**2 (threshold=13005) or divide y by 255" in message
    assert caught[0].filename == __file__  # the user's line, not the package's


def test_the_threshold_scaled_by_the_square_of_the_scale_draws_the_same_pairs(css4):
    X, y = css4
    pairs, similar, caught = draw(X, y)
    assert not caught and 0.15 < similar.mean() < 0.3
    scaled_pairs, scaled_similar, caught = draw(X, y * 255, threshold=0.2 * 255**2)
    assert not caught
    pd.testing.assert_frame_equal(scaled_pairs, pairs)
    np.testing.assert_array_equal(scaled_similar, similar)


@pytest.mark.parametrize(
    "scale, threshold, message",
    [
        (0.0, 0.2, r"100\.00% .* too many .* y spans 0 to 0: y is constant"),
        (1.0, 0.001, r"too few .* threshold is 0.001 and y spans 0 to 1: .* raise it"),
        (1.0, 100, r"too many .* threshold is 100 and y spans 0 to 1: .* lower it"),
        (0.01, 0.2, r"too many .* y spans 0 to 0.01: .* smaller scale .* divide y by 0.01"),
    ],
)
def test_pairs_that_cannot_teach_are_named_whatever_the_cause(css4, scale, threshold, message):
    X, y = css4
    _, _, caught = draw(X, y * scale, threshold=threshold)
    assert len(caught) == 1
    assert re.search(message, str(caught[0].message)), caught[0].message


def test_pairs_of_an_item_with_itself_do_not_count_as_similar_pairs():
    # Two items far apart: every similar pair is an item with itself, which says nothing.
    X = np.array([["black"], ["white"]], dtype=object)
    pairs, similar, caught = draw(X, [[0.0, 0, 0], [1, 1, 1]], n_pairs=1000)
    assert similar.mean() > 0.3  # the self-pairs, about half of them
    assert len(caught) == 1 and str(caught[0].message).startswith("0.00% of the pairs")


def test_fit_resample_keeps_each_pairs_distance_beside_the_two_column_table(css4):
    X, y = css4
    sampler = PairSampler(n_pairs=500, random_state=0)
    pairs, similar = sampler.fit_resample(X, y)
    assert list(pairs.columns) == ["item_x", "item_y"]
    rgb = y.set_index(X["name"])
    expected = np.mean(
        (rgb.loc[pairs["item_x"]].to_numpy() - rgb.loc[pairs["item_y"]].to_numpy()) ** 2, axis=1
    )
    np.testing.assert_allclose(sampler.distances_, expected)
    # The tutorial's rule, read off the table: no pair at distance 0.2 or more is similar.
    table = pairs.assign(diff=sampler.distances_, similar=similar)
    assert not table.loc[table["diff"] >= 0.2, "similar"].any()
    sampler.fit(X, y)  # a fit without pairs drops the distances of the earlier ones
    assert not hasattr(sampler, "distances_")


def test_the_getting_started_page_shows_what_the_sampler_gives(xkcd):
    page = (Path(__file__).parents[1] / "docs" / "getting_started.rst").read_text()
    page = " ".join(page.split())
    X, y = xkcd
    sampler = PairSampler(random_state=0)
    pairs, similar = sampler.fit_resample(X, y)
    table = pairs.assign(diff=sampler.distances_, similar=similar).head(3).to_string()
    assert " ".join(table.split()) in page
    y255 = (y * 255).round()
    _, _, caught = draw(X, y255, n_pairs=100_000)
    assert f"UninformativePairsWarning: {' '.join(str(caught[0].message).split())}" in page
    _, similar255, _ = draw(X, y255, n_pairs=100_000, threshold=0.2 * 255**2)
    np.testing.assert_array_equal(similar255, similar)  # "draws the pairs of [0, 1] exactly"


def test_a_failed_fit_leaves_the_sampler_as_it_was():
    # validate_data recorded n_features_in_ before the missing key was found.
    sampler = PairSampler()
    with pytest.raises(ValueError, match="missing key"):
        sampler.fit([[None]], [0.0])
    assert vars(sampler) == PairSampler().__dict__
    sampler.fit([["a"], ["b"]], [0.0, 1.0])
    with pytest.raises(ValueError, match="missing key"):
        sampler.fit([["a", "x"], [None, "y"]], [0.0, 1.0])
    assert sampler.n_features_in_ == 1 and list(sampler.items_.keys) == ["a", "b"]
