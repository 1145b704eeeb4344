"""Item keys and descriptors as every estimator reads them (``sk_colour_embed._items``).

The faults here were found by tests/test_properties.py; each is kept as the example it
found.
"""

import numpy as np
import pandas as pd
import pytest

from sk_colour_embed import PairSampler


def test_a_string_and_a_number_in_a_list_of_keys_stay_two_items():
    # NumPy made [["1"], [1]] two strings "1": one item, its descriptors averaged.
    sampler = PairSampler(n_pairs=5).fit([["1"], [1], ["b"]], [0.0, 0.5, 1.0])
    assert list(sampler.items_.keys) == ["1", 1, "b"]
    assert [type(key) for key in sampler.items_.keys] == [str, int, str]
    np.testing.assert_array_equal(sampler.items_.descriptors[:, 0], [0.0, 0.5, 1.0])


def test_a_list_of_key_columns_keeps_each_columns_values():
    sampler = PairSampler(n_pairs=5).fit([["web", 1], ["web", "1"]], [0.0, 1.0])
    assert list(sampler.items_.keys) == [("web", 1), ("web", "1")]


def test_a_missing_key_among_strings_in_a_list_is_missing_not_the_string_nan():
    # NumPy made NaN the string "nan", an item like any other.
    with pytest.raises(
        ValueError, match=r"missing key \(None or NaN\) in 1 row\(s\), the first at row 1"
    ):
        PairSampler().fit([["a"], [float("nan")], ["b"]], [0.0, 0.5, 1.0])


def test_large_ints_among_floats_keep_their_values():
    # NumPy made 2**53 + 1 the float 2**53: two items became one.
    sampler = PairSampler(n_pairs=5).fit([[2**53], [2**53 + 1], [0.5]], [0.0, 1.0, 0.5])
    assert list(sampler.items_.keys) == [2**53, 2**53 + 1, 0.5]


def test_keys_equal_in_python_are_one_item_as_in_a_dict():
    with pytest.warns(UserWarning, match=r"1 item key\(s\) appear with different descriptors"):
        sampler = PairSampler(n_pairs=5).fit([[1], [1.0], [2]], [0.0, 1.0, 0.5])
    assert list(sampler.items_.keys) == [1, 2]


def test_an_infinite_key_among_strings_is_refused_with_its_row():
    X = pd.DataFrame({"name": ["a", float("inf"), "b"]})  # an object column
    with pytest.raises(ValueError, match=r"X must hold finite keys, but row 1 holds inf"):
        PairSampler().fit(X, [0.0, 0.5, 1.0])


def test_descriptors_without_columns_are_named_as_y():
    # scikit-learn's own message named no argument: "Found array with 0 feature(s)".
    with pytest.raises(ValueError, match=r"^y must hold at least one descriptor column; it has"):
        PairSampler().fit([["a"], ["b"]], np.zeros((2, 0)))


def test_keys_and_descriptors_of_different_lengths_are_named():
    # scikit-learn's own message: "Found input variables with inconsistent numbers of samples".
    with pytest.raises(
        ValueError, match=r"one row of descriptors for each row of X; X has 3 row\(s\), y 2"
    ):
        PairSampler().fit([["a"], ["b"], ["c"]], [0.0, 1.0])


@pytest.mark.parametrize(
    "X, y, where",
    [
        (lambda: (name for name in "abc"), lambda: [0.0, 0.5, 1.0], "X is a generator"),
        (lambda: ["a", "b", "c"], lambda: iter([0.0, 0.5, 1.0]), "y is a list_iterator"),
        (lambda: [["a"], iter(["b"]), ["c"]], lambda: [0.0, 0.5, 1.0], r"X\[1\] is a list_it"),
        (lambda: map(str, "abc"), lambda: [0.0, 0.5, 1.0], "X is a map"),
    ],
)
def test_input_that_can_be_read_only_once_is_refused_by_name(X, y, where):
    # NumPy's words were "Expected 2D array, got scalar array instead", naming no argument.
    with pytest.raises(TypeError, match=f"^{where}.*can be read only once"):
        PairSampler().fit(X(), y())
