"""Properties every call keeps, on generated item tables, descriptors, parameters and names.

Each property says what a call must give for any input of a kind (never one hand-picked
example): a result that agrees with a plain-Python account of the input, or one of the
package's documented errors (``ValueError``, ``KeyError``, ``TypeError``) whose message
names the parameter, column, row or key at fault, after which the estimator is as it was.
The examples are drawn by hypothesis; the profiles are set in ``conftest.py`` ("ci" by
default, ``HYPOTHESIS_PROFILE=thorough`` for ten times as many). The faults these
properties found are kept as plain tests beside the tests of their modules.
"""

import itertools
import math
import os
import pickle
import re
import shutil
import tempfile
import traceback
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import make_union

from sk_colour_embed import (
    ItemVectors,
    PairSampler,
    PairSimilarityClassifier,
    PairSimilarityEmbedder,
    RegressedItemVectors,
)
from sk_colour_embed._readers import TokenReader
from sk_colour_embed._reference import FITS

# A fit costs 0.1-0.5 s: the properties that fit run a fifth of the profile's examples.
FIT_EXAMPLES = max(settings.default.max_examples // 5, 4)
# Tiny fits, the same few shapes (so that the engine's compiled steps are reused).
TINY = dict(epochs=1, batch_size=32, n_components=2)

# Where an error must not come from: the libraries the package calls.
FOREIGN = ("numpy", "scipy", "pandas", "tensorflow", "keras", "gensim")


# -- what a failed call must look like -------------------------------------------------


def assert_documented_error(error, *names):
    """``error`` is a documented error of the package, raised outside the libraries it calls,
    whose message names one of ``names`` (or X, y, a row, a column or a key)."""
    assert isinstance(error, ValueError | KeyError | TypeError), repr(error)
    where = traceback.extract_tb(error.__traceback__)[-1].filename
    assert not any(f"{os.sep}{library}{os.sep}" in where for library in FOREIGN), (where, error)
    message = str(error.args[0]) if error.args else ""
    words = ["X", "y", "row", "rows", "column", "columns", "key", *names]
    assert any(re.search(rf"(?<!\w){re.escape(str(w))}(?!\w)", message) for w in words), message


def state_of(estimator):
    """Everything a failed call must leave as it was: the attributes (the same objects, with
    the same contents) and the parameters, nested ones included."""
    attributes = {name: (id(value), repr(value)) for name, value in vars(estimator).items()}
    return attributes, repr(estimator.get_params(deep=True))


def call(estimator, method, *args, **kwargs):
    """``estimator.method(*args)``: its result, or the error it raised, warnings caught.

    A ``RuntimeWarning`` from inside the libraries (NumPy's overflow, SciPy's constant
    input) fails the property: the package warns in its own words.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = getattr(estimator, method)(*args, **kwargs), None
        except Exception as raised:  # the property judges it
            result, error = None, raised
    for warning in caught:
        assert not issubclass(warning.category, RuntimeWarning), warning
    return result, error


# -- item tables ------------------------------------------------------------------------

KEY_VALUES = {
    "str": st.text(max_size=6),
    "int": st.integers(min_value=-(2**70), max_value=2**70),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
}
KEY_VALUES["mixed"] = st.one_of(*KEY_VALUES.values())
MISSING = [None, float("nan"), pd.NA]


@dataclass
class Table:
    """Generated keys and descriptors as passed, and what a plain-Python reading makes of them.

    ``items`` maps each distinct key (Python equality, as a dict: ``1``, ``1.0`` and
    ``True`` are one key, ``"1"`` another) to the mean of its rows' descriptors.
    ``faults`` holds the words a refusing error must name (empty when the input is good).
    """

    X: object
    y: object
    rows: list
    items: dict
    n_descriptors: int
    faults: list


def as_container(rows, kind, columns):
    if kind == "list":
        return [list(row) for row in rows]
    if kind == "tuple":
        return tuple(tuple(row) for row in rows)
    if kind == "array":
        array = np.empty((len(rows), len(columns)), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                array[i, j] = value
        return array
    return pd.DataFrame([list(row) for row in rows], columns=columns)


def _is_missing(value):
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _is_infinite(value):
    return isinstance(value, float | np.floating) and math.isinf(value)


@st.composite
def tables(draw, faults="maybe", max_rows=10, max_items=6, min_items=1):
    """An item table: keys of every accepted type, repeated, possibly missing or infinite;
    descriptors of any scale, constant, non-finite, with 0 to many columns.

    ``faults``: "maybe" (now and then one), "none", or "some" (at least one).
    """
    n_columns = draw(st.integers(1, 3))
    kinds = [draw(st.sampled_from(sorted(KEY_VALUES))) for _ in range(n_columns)]
    distinct = draw(
        st.lists(
            st.tuples(*(KEY_VALUES[kind] for kind in kinds)), min_size=min_items, max_size=max_items
        )
    )
    picks = draw(st.lists(st.integers(0, len(distinct) - 1), max_size=max_rows - len(distinct)))
    rows = [list(distinct[i]) for i in draw(st.permutations([*range(len(distinct)), *picks]))]
    if faults == "maybe":  # one time in four
        kinds_of_fault = draw(st.sampled_from([set(), set(), set(), {"key"}, {"y"}, {"length"}]))
    elif faults == "some":
        kinds_of_fault = draw(st.sets(st.sampled_from(["key", "y", "length"]), min_size=1))
    else:
        kinds_of_fault = set()
    if "key" in kinds_of_fault:  # a missing or infinite key somewhere
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, n_columns - 1))
        rows[row][column] = draw(st.sampled_from([*MISSING, float("inf"), -float("inf")]))
    names = [f"key{i}" for i in range(n_columns)]
    X = as_container(rows, draw(st.sampled_from(["list", "tuple", "array", "frame"])), names)
    if isinstance(X, pd.DataFrame):  # the values as pandas holds them (ints with NaN: floats)
        rows = X.astype(object).to_numpy().tolist()
    found = []
    if any(_is_missing(value) or _is_infinite(value) for row in rows for value in row):
        found.append("row")

    good_widths, bad_widths = [None, 1, 3], [0]
    width = draw(st.sampled_from(bad_widths if "y" in kinds_of_fault else good_widths + [12]))
    n_descriptors = 1 if width is None else width
    n_rows = len(rows) + (draw(st.sampled_from([-1, 1])) if "length" in kinds_of_fault else 0)
    unit = st.floats(-1, 1, allow_nan=False, width=32)
    values = draw(
        st.lists(
            st.lists(unit, min_size=n_descriptors, max_size=n_descriptors),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    values = np.array(values, dtype=np.float64).reshape(n_rows, n_descriptors)
    if n_descriptors and draw(st.booleans()):  # a constant column
        values[:, draw(st.integers(0, n_descriptors - 1))] = draw(unit)
    values *= draw(st.sampled_from([1e-300, 1e-6, 1.0, 255.0, 1e150]))
    if "y" in kinds_of_fault and n_rows and draw(st.booleans()):  # else no columns
        width = n_descriptors = draw(st.sampled_from(good_widths))
        values = np.ones((n_rows, 1 if width is None else width))
        values[draw(st.integers(0, n_rows - 1)), 0] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf, 1e200, -1e300])
        )
    if n_rows != len(rows):
        found += ["X", "y"]
    if n_descriptors == 0 or not np.isfinite(values).all() or np.abs(values).max(initial=0) > 6e153:
        found.append("y")
    y_values = values[:, 0] if width is None else values
    y = draw(st.sampled_from(["list", "array", "frame"]))
    if y == "list":
        y = y_values.tolist()
    elif y == "frame":
        y = pd.DataFrame(values, columns=[f"d{i}" for i in range(values.shape[1])])
    else:
        y = y_values

    items = {}
    if not found:
        for row, descriptor in zip(rows, values, strict=True):
            items.setdefault(row[0] if n_columns == 1 else tuple(row), []).append(descriptor)
        items = {key: np.mean(rows_of_key, axis=0) for key, rows_of_key in items.items()}
    return Table(X, y, rows, items, n_descriptors, found)


def same_keys(fitted_keys, expected_keys):
    """The fitted keys are the expected ones, in order, each equal and of the same kind."""
    assert len(fitted_keys) == len(expected_keys), (list(fitted_keys), expected_keys)
    for fitted, expected in zip(fitted_keys, expected_keys, strict=True):
        assert fitted == expected, (fitted, expected)
        # A string equal to a number ("1" against 1) would be a key changed on the way.
        # (Keys Python holds equal, 0 and False, are one, shown either way.)
        parts = zip(*(k if isinstance(k, tuple) else (k,) for k in (fitted, expected)), strict=True)
        for fitted_part, expected_part in parts:
            assert isinstance(fitted_part, str) == isinstance(expected_part, str), (
                fitted,
                expected,
            )


# -- the sampler: pure NumPy, so many examples ------------------------------------------

SAMPLER_PARAMS = {
    "n_pairs": ([1, 2, 300], [0, -1, 2.5, "10", None]),
    "threshold": ([5e-324, 0.2, 1e300], [0, -0.2, float("inf"), float("nan"), "0.2"]),
    "power": ([0, 5e-324, 2.0, 1e300], [-1e-300, float("nan"), float("inf"), None]),
    "random_state": ([0, 2**32 - 1], [-1, 2**32, "0"]),
}


@st.composite
def parameters(draw, space, p_bad=0.15):
    """Parameters at the edges of their constraints: good ones, and now and then a bad one.

    Returns the parameters and the names of the bad ones.
    """
    params, bad = {}, []
    for name, (good_values, bad_values) in space.items():
        if draw(st.booleans()):
            continue  # the default
        if bad_values and draw(st.floats(0, 1)) < p_bad:
            params[name] = draw(st.sampled_from(bad_values))
            bad.append(name)
        else:
            params[name] = draw(st.sampled_from(good_values))
    return params, bad


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@given(table=tables(), params=parameters(SAMPLER_PARAMS, p_bad=0.05))
def test_a_sampler_draws_pairs_of_exactly_the_items_given_or_names_the_fault(table, params):
    params, bad = params
    sampler = PairSampler(**{"random_state": 0, **params})
    before = state_of(sampler)
    result, error = call(sampler, "fit_resample", table.X, table.y)
    expect_error = bad or table.faults or len(table.items) < 2
    event("refused" if error is not None else "drawn")
    if expect_error:
        assert error is not None, (params, table.faults, table.items)
        assert_documented_error(error, *bad)
        assert state_of(sampler) == before
        return
    assert error is None, error
    pairs, similar = result
    n_pairs = sampler.n_pairs
    assert pairs.shape == (n_pairs, 2) and similar.shape == (n_pairs,)
    assert set(np.unique(similar)) <= {0, 1}
    same_keys(sampler.items_.keys, list(table.items))
    np.testing.assert_allclose(
        sampler.items_.descriptors, np.array(list(table.items.values())), rtol=1e-12
    )
    drawn = set(pairs["item_x"]) | set(pairs["item_y"])
    assert all(key in table.items for key in drawn)
    again, _ = call(PairSampler(**sampler.get_params()), "fit_resample", table.X, table.y)
    pd.testing.assert_frame_equal(again[0], pairs)
    np.testing.assert_array_equal(again[1], similar)


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@given(first=tables(faults="none", max_items=4, min_items=2), second=tables())
def test_a_failed_refit_leaves_the_sampler_as_the_first_fit_left_it(first, second):
    assume(len(first.items) >= 2)
    sampler = PairSampler(n_pairs=5).fit(first.X, first.y)
    before = state_of(sampler)
    _, error = call(sampler, "fit", second.X, second.y)
    if error is not None:
        assert_documented_error(error)
        assert state_of(sampler) == before


# -- set_params: every name or none -----------------------------------------------------

NEW_SAMPLER = st.builds(PairSampler, n_pairs=st.just(7))
NEW_VECTORIZER = st.one_of(
    st.none(),
    st.builds(TfidfVectorizer),
    st.builds(lambda: make_union(CountVectorizer(), CountVectorizer(analyzer="char"))),
)
PARAM_VALUES = {
    "n_components": st.just(3),
    "epochs": st.just(4),
    "threshold": st.just(0.3),
    "n_pairs": st.just(9),
    "sampler": st.one_of(st.none(), NEW_SAMPLER),
    "vectorizer": NEW_VECTORIZER,
    "sampler__threshold": st.just(0.3),
    "sampler__n_pairs": st.just(9),
    "vectorizer__lowercase": st.just(False),
    "vectorizer__norm": st.just("l1"),
    "vectorizer__countvectorizer-1__lowercase": st.just(False),
    "bogus": st.just(1),
    "sampler__bogus": st.just(1),
    "vectorizer__bogus": st.just(1),
    "n_components__bogus": st.just(1),
}


@st.composite
def estimators_and_params(draw):
    kind = draw(st.sampled_from([PairSampler, PairSimilarityEmbedder, PairSimilarityClassifier]))
    components = {}
    if kind is PairSimilarityEmbedder:
        components["sampler"] = draw(st.one_of(st.none(), NEW_SAMPLER))
    if kind is not PairSampler:
        components["vectorizer"] = draw(NEW_VECTORIZER)
    names = draw(
        st.lists(st.sampled_from(sorted(PARAM_VALUES)), min_size=1, max_size=4, unique=True)
    )
    return kind(**components), {name: draw(PARAM_VALUES[name]) for name in names}


def settable(estimator, name, params):
    """Whether ``set_params`` can set ``name``, read off the parameters (the oracle)."""
    key, _, sub_name = name.partition("__")
    if key not in estimator.get_params(deep=False):
        return False
    if not sub_name:
        return True
    component = params.get(key, estimator.get_params()[key])
    if component is None and key == "sampler":  # None stands for PairSampler()
        component = PairSampler()
    return hasattr(component, "get_params") and sub_name in component.get_params(deep=True)


@given(case=estimators_and_params())
def test_set_params_sets_every_parameter_or_none_and_names_the_one_at_fault(case):
    estimator, params = case
    bad = [name for name in params if not settable(estimator, name, params)]
    before = state_of(estimator)
    _, error = call(estimator, "set_params", **params)
    if bad:
        assert isinstance(error, ValueError), error
        assert any(repr(name) in str(error) for name in bad), (bad, error)
        assert state_of(estimator) == before
        return
    assert error is None, error
    now = estimator.get_params(deep=True)
    for name, value in params.items():
        assert now[name] is value or now[name] == value, (name, now[name], value)


# -- the embedder: lookups of keys ------------------------------------------------------

EMBEDDER_PARAMS = {
    "n_components": ([1, 2], [0, 1.5]),
    "epochs": ([1, 2], [0]),
    "batch_size": ([1, 32, 10_000], [0, -5]),
    "learning_rate": ([1e-3, 0.1], [0, -1.0, float("nan")]),
    "normalize": ([True, False], ["yes"]),
    "handle_unknown": (["error", "ignore"], ["prior", "drop"]),
    "record_every": ([None, 1], [0]),
}


def tiny_sampler():
    return st.builds(
        PairSampler, n_pairs=st.sampled_from([50, 300]), threshold=st.sampled_from([0.2, 1e3])
    )


def row_keys(table):
    """Each row's key, as the plain-Python reading has it."""
    return [row[0] if len(row) == 1 else tuple(row) for row in table.rows]


def no_ranks(embedder, table):
    """Whether the score is undefined (documented NaN): fewer than 3 items, or all their
    pairs equally far apart in the vectors or in the descriptors."""
    if len(table.items) < 3:
        return True
    first, second = np.triu_indices(len(table.items), k=1)
    for points in (embedder.embedding_.to_numpy(), np.array(list(table.items.values()))):
        distances = np.mean(np.square(points[first] - points[second]), axis=1)
        if np.all(distances == distances[0]):
            return True
    return False


def check_queries(estimator, keys):
    """The queries of a fitted estimator, on its own training keys."""
    query = keys[0]
    neighbours = estimator.most_similar(query, topn=3)
    assert len(neighbours) == min(3, len(keys) - 1)
    assert all(key in keys and not (key == query) for key, _ in neighbours)
    similarities = [similarity for _, similarity in neighbours]
    assert all(0 <= s <= 1 for s in similarities) and similarities == sorted(similarities)[::-1]
    assert estimator.similarity(query, query) == pytest.approx(1.0)


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@pytest.mark.filterwarnings("ignore:y holds .* like class labels:UserWarning")
@settings(max_examples=FIT_EXAMPLES)
@given(
    table=tables(faults="none", max_rows=8, max_items=5, min_items=2),
    params=parameters(EMBEDDER_PARAMS, p_bad=0),
    sampler=tiny_sampler(),
)
def test_an_embedder_gives_each_row_its_items_vector(table, params, sampler):
    params, _ = params
    assume(len(table.items) >= 2)
    embedder = PairSimilarityEmbedder(**{**TINY, **params, "sampler": sampler, "random_state": 0})
    _, error = call(embedder, "fit", table.X, table.y)
    assert error is None, error
    keys = list(table.items)
    same_keys(embedder.embedding_.index, keys)
    vectors, error = call(embedder, "transform", table.X)
    assert error is None, error
    position = {key: i for i, key in enumerate(keys)}  # dict lookup: Python equality
    expected = embedder.embedding_.to_numpy()[[position[key] for key in row_keys(table)]]
    assert vectors.shape == (len(table.rows), embedder.n_components)
    assert np.isfinite(vectors).all()
    np.testing.assert_array_equal(vectors, expected)
    score, error = call(embedder, "score", table.X, table.y)
    assert error is None, error
    assert -1 <= score <= 1 or (math.isnan(score) and no_ranks(embedder, table)), score
    check_queries(embedder, keys)
    copy = pickle.loads(pickle.dumps(embedder))
    np.testing.assert_array_equal(copy.transform(table.X), vectors)


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@given(
    table=tables(max_rows=8, max_items=5),
    params=parameters(EMBEDDER_PARAMS, p_bad=0.3),
    sampler=tiny_sampler(),
)
def test_an_embedder_names_what_is_wrong_and_stays_as_it_was(table, params, sampler):
    params, bad = params
    # Only faults: the good inputs are the test above (and cost a fit).
    assume(bad or table.faults or len(table.items) < 2)
    embedder = PairSimilarityEmbedder(**{**TINY, **params, "sampler": sampler, "random_state": 0})
    before = state_of(embedder)
    _, error = call(embedder, "fit", table.X, table.y)
    assert error is not None, (params, table.faults, table.items)
    assert_documented_error(error, *bad, "items")
    assert state_of(embedder) == before


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@given(table=tables(faults="some", max_rows=8, max_items=5))
def test_a_failed_refit_leaves_the_embedder_as_its_last_fit_left_it(fitted_tiny, table):
    embedder = pickle.loads(pickle.dumps(fitted_tiny))
    before = state_of(embedder)
    _, error = call(embedder, "fit", table.X, table.y)
    assert error is not None
    assert_documented_error(error, "items")
    assert state_of(embedder) == before


@pytest.fixture(scope="module")
def fitted_tiny():
    X = pd.DataFrame({"name": ["red", "green", "blue", "navy"]})
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0.5]])
    return PairSimilarityEmbedder(**TINY, sampler=PairSampler(n_pairs=50), random_state=0).fit(X, y)


# -- references of every container type ----------------------------------------------


def one_shot(container, how):
    """``container`` as a generator, an iterator or a ``map`` of its rows, or its rows as
    iterators: inputs that can be read only once."""
    rows = container.itertuples(index=False) if isinstance(container, pd.DataFrame) else container
    if how == "generator":
        return (row for row in rows)
    if how == "iterator":
        return iter(list(rows))
    if how == "map":
        return map(list, rows) if np.ndim(container) == 2 else map(lambda value: value, rows)
    return [iter(np.atleast_1d(row)) for row in rows]  # rows that are iterators


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@pytest.mark.filterwarnings("ignore:y holds .* like class labels:UserWarning")
@pytest.mark.filterwarnings("ignore::sk_colour_embed.UninformativePairsWarning")
@settings(max_examples=FIT_EXAMPLES)
@given(
    table=tables(faults="none", max_rows=6, max_items=4, min_items=2),
    side=st.sampled_from(["X", "y", None]),
    how=st.sampled_from(["generator", "iterator", "map", "rows"]),
)
def test_a_reference_in_any_container_learns_its_tables_vectors_or_is_refused_by_name(
    table, side, how
):
    assume(len(table.items) >= 2)
    X_ref, y_ref = table.X, table.y
    if side == "X":
        X_ref = one_shot(X_ref, how)
    elif side == "y":
        y_ref = one_shot(y_ref, how)
    params = {**TINY, "sampler": PairSampler(n_pairs=100), "random_state": 0}
    embedder = PairSimilarityEmbedder(**params, reference=(X_ref, y_ref))
    before = state_of(embedder)
    _, error = call(embedder, "fit", table.X)
    if side is not None:
        assert isinstance(error, TypeError), error
        assert_documented_error(error, "reference")
        assert re.match(rf"reference\[{'01'[side == 'y']}\] \({side}\)", str(error)), error
        assert state_of(embedder) == before
        return
    assert error is None, error
    alone = PairSimilarityEmbedder(**params).fit(table.X, table.y)
    np.testing.assert_array_equal(embedder.transform(table.X), alone.transform(table.X))


# -- the embedder: names read by a vectorizer -------------------------------------------

COLOUR_WORDS = ["red", "dark red", "light blue", "sea green", "Navy", "RED", "blue-green"]
NAMES = st.one_of(
    st.sampled_from(COLOUR_WORDS),
    st.text(max_size=12),  # any Unicode, empty, control characters
    st.sampled_from(["", " ", "\x00", "\t\n", "\u200b", "ﬁ", "é", "🎨 red", "ß"]),
    st.text(max_size=3).map(lambda text: text * 700),  # very long
)
VECTORIZERS = st.sampled_from(
    [
        lambda: TfidfVectorizer(),
        lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)),
        lambda: TfidfVectorizer(min_df=2),
    ]
)


@st.composite
def named_tables(draw, max_rows=8):
    """One column of names as users pass it, now and then a missing or non-string one."""
    # Colour words among them, so that most fits find tokens to learn.
    words = draw(st.lists(st.sampled_from(COLOUR_WORDS), min_size=1, max_size=4))
    names = draw(st.permutations(words + draw(st.lists(NAMES, max_size=max_rows - 4))))
    faults = []
    if draw(st.integers(0, 5)) == 0:
        names[draw(st.integers(0, len(names) - 1))] = draw(st.sampled_from([None, 3, b"red"]))
        faults.append("row")
    y = draw(st.lists(st.floats(0, 1, width=32), min_size=3 * len(names), max_size=3 * len(names)))
    X = draw(st.sampled_from([pd.DataFrame({"name": names}), [[name] for name in names]]))
    return X, np.reshape(y, (len(names), 3)), names, faults


def has_a_known_token(embedder, name):
    """The oracle: does the fitted vectorizer read a token of ``name`` that fit kept?"""
    vectorizer = embedder.vectors_.reader.vectorizer
    return bool(set(vectorizer.build_analyzer()(name)) & set(vectorizer.vocabulary_))


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@pytest.mark.filterwarnings("ignore:.*training name\\(s\\) have no token:UserWarning")
@settings(max_examples=FIT_EXAMPLES)
@given(table=named_tables(), make=VECTORIZERS, queries=st.lists(NAMES | st.none(), max_size=5))
def test_a_vectorizer_gives_a_vector_to_every_name_with_a_known_token(table, make, queries):
    X, y, names, faults = table
    embedder = PairSimilarityEmbedder(
        **TINY,
        vectorizer=make(),
        sampler=PairSampler(n_pairs=100),
        handle_unknown="ignore",
        random_state=0,
    )
    before = state_of(embedder)
    _, error = call(embedder, "fit", X, y)
    event(f"refused: {str(error)[:50]}" if error is not None else "fitted")
    if error is not None:
        assert_documented_error(error, "vectorizer", "names")
        assert state_of(embedder) == before
        return
    assert not faults
    new = pd.DataFrame({"name": queries + names})
    vectors, error = call(embedder, "transform", new)
    assert error is None, error
    assert vectors.shape == (len(new), embedder.n_components)
    for name, vector in zip(new["name"], vectors, strict=True):
        known = not pd.isna(name) and has_a_known_token(embedder, name)
        assert np.isfinite(vector).all() if known else np.isnan(vector).all(), (name, vector)
        if known:
            assert embedder.similarity(name, name) == pytest.approx(1.0)
        else:
            _, error = call(embedder, "most_similar", name)
            assert isinstance(error, KeyError) and repr(name) in error.args[0], (name, error)
    strict = pickle.loads(pickle.dumps(embedder)).set_params(handle_unknown="error")
    _, error = call(strict, "transform", new)
    unknown = np.isnan(vectors[:, 0])
    if unknown.any():
        assert_documented_error(error, *(repr(name) for name in new["name"][unknown]))
    else:
        assert error is None, error


# -- the pair classifier ----------------------------------------------------------------


@st.composite
def labelled_pairs(draw):
    """Pairs of keys (of any accepted type) and their labels: 0/1, all similar, or odd ones."""
    table = draw(tables(faults="maybe", max_rows=6, max_items=4))
    keys = table.rows
    n_pairs = draw(st.integers(1, 8))
    first = draw(st.lists(st.sampled_from(keys), min_size=n_pairs, max_size=n_pairs))
    second = draw(st.lists(st.sampled_from(keys), min_size=n_pairs, max_size=n_pairs))
    X = [a + b for a, b in zip(first, second, strict=True)]
    labels = draw(
        st.sampled_from(["0/1", "similar", "one class", "three classes"]).flatmap(
            lambda kind: st.lists(
                {
                    "0/1": st.sampled_from([0, 1]),
                    "similar": st.just(1),
                    "one class": st.just(0),
                    "three classes": st.sampled_from([0, 1, 2]),
                }[kind],
                min_size=n_pairs,
                max_size=n_pairs,
            )
        )
    )
    odd = [value for pair in X for value in pair if _is_missing(value) or _is_infinite(value)]
    faults = ["row"] if odd else []
    if len(set(labels)) > 2 or set(labels) in ({0}, {2}):  # one class, not similar
        faults.append("y")
    return X, labels, faults


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@settings(max_examples=FIT_EXAMPLES)
@given(pairs=labelled_pairs())
def test_a_classifier_gives_every_pair_a_probability_or_names_the_fault(pairs):
    X, labels, faults = pairs
    classifier = PairSimilarityClassifier(**TINY, random_state=0)
    before = state_of(classifier)
    _, error = call(classifier, "fit", X, labels)
    event("refused" if error is not None else "fitted")
    if faults:
        assert error is not None, faults
        assert_documented_error(error, "classes", "class")
        assert state_of(classifier) == before
        return
    assert error is None, error
    probabilities, error = call(classifier, "predict_proba", X)
    assert error is None, error
    assert probabilities.shape == (len(X), 2)
    assert np.isfinite(probabilities).all() and (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
    assert set(classifier.predict(X)) <= set(classifier.classes_)
    copy = pickle.loads(pickle.dumps(classifier))
    np.testing.assert_array_equal(copy.predict_proba(X), probabilities)


# -- the fitted vectors: NumPy alone, so many examples ----------------------------------


@st.composite
def item_vectors(draw):
    """ItemVectors of distinct keys of any kind, vectors of any scale, any model head."""
    table = draw(tables(faults="none", max_items=8, min_items=1))
    keys = list(dict.fromkeys(row_keys(table)))  # distinct, as Python sees them
    n_components = draw(st.integers(1, 3))
    scale = draw(st.sampled_from([1e-100, 1e-3, 1.0, 1e3, 1e100]))
    values = draw(
        st.lists(
            st.floats(-1, 1, width=32),
            min_size=len(keys) * n_components,
            max_size=len(keys) * n_components,
        )
    )
    index = (
        pd.MultiIndex.from_tuples(keys)
        if isinstance(keys[0], tuple)
        else pd.Index(keys, dtype=object, tupleize_cols=False)
    )
    vectors = ItemVectors(
        index,
        np.reshape(values, (len(keys), n_components)) * scale,
        distance_scale=draw(st.sampled_from([1e-6, 1.0, 1e6])),
        similarity_bias=draw(st.sampled_from([-50.0, 0.0, 3.0, 50.0])),
        normalize=draw(st.booleans()),
    )
    return vectors, keys


@given(case=item_vectors(), topn=st.integers(1, 10))
def test_queries_rank_every_other_item_by_distance(case, topn):
    vectors, keys = case
    for query in keys[:3]:
        neighbours, error = call(vectors, "most_similar", query, topn=topn)
        assert error is None, error
        assert len(neighbours) == min(topn, len(keys) - 1)
        assert all(not (key == query) for key, _ in neighbours)
        similarities = [similarity for _, similarity in neighbours]
        assert all(0 <= s <= 1 for s in similarities)
        assert similarities == sorted(similarities, reverse=True)
        own = vectors.get_vector(query)
        for key, _ in neighbours:
            assert vectors.similarity(query, key) == vectors.similarity(key, query)
        by_vector, error = call(vectors, "similar_by_vector", own, len(keys))
        assert error is None, error
        assert any(key == query for key, _ in by_vector)
    copy = pickle.loads(pickle.dumps(vectors))
    np.testing.assert_array_equal(copy.get_vectors(copy.keys), vectors.get_vectors(vectors.keys))


# Keys that the generated tables never hold: longer strings, larger ints.
OTHER_KEYS = st.one_of(st.text(min_size=7, max_size=9), st.integers(min_value=2**71))


class GivenPredictions:
    """A regressor whose ``predict`` returns ``make(keys)``: whatever it is drawn to return."""

    def __init__(self, make):
        self.make = make

    def predict(self, keys):
        return self.make(keys)


@st.composite
def predictions(draw, n_components):
    """How a regressor's prediction for ``n`` keys is made: right, of another shape or type,
    or with NaN and inf among the numbers."""
    shape = draw(st.sampled_from(["right", "flat", "one row", "one more column", "strings"]))
    bad_rows = draw(st.sets(st.integers(0, 5), max_size=2))
    bad = draw(st.sampled_from([np.nan, np.inf, -np.inf]))

    def make(keys):
        n = len(keys)
        values = np.arange(n * n_components, dtype=np.float64).reshape(n, n_components) / 7
        values[[row for row in bad_rows if row < n]] = bad
        if shape == "flat":
            return values.ravel()
        if shape == "one row":
            return values[:1]
        if shape == "one more column":
            return np.column_stack([values, values[:, :1]])
        if shape == "strings":
            return values.astype(str)
        return values

    return make


@given(case=item_vectors(), data=st.data(), new=st.lists(OTHER_KEYS, min_size=1, max_size=6))
def test_an_unseen_regressors_predictions_are_vectors_or_the_regressor_is_named(case, data, new):
    learned, _ = case
    make = data.draw(predictions(learned.n_components))
    try:
        vectors = RegressedItemVectors(learned, GivenPredictions(make))
    except ValueError as error:  # checked on two keys when made
        assert_documented_error(error, "unseen_regressor")
        return
    new = list(dict.fromkeys(new))
    expected = np.asarray(make(np.asarray(new, dtype=object)))
    right = expected.shape == (len(new), learned.n_components) or (
        expected.shape == (len(new),) and learned.n_components == 1
    )
    got, error = call(vectors, "get_vectors", new)
    first_at_fault = new[0]
    if right and expected.dtype.kind == "f":
        finite = np.isfinite(expected.reshape(len(new), -1)).all(axis=1)
        first_at_fault = new[np.flatnonzero(~finite)[0]] if not finite.all() else None
    if first_at_fault is None:
        assert error is None, error
        expected = expected.reshape(len(new), -1)
        if learned.normalize:
            expected = expected / np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-12)
        np.testing.assert_array_equal(got, expected)
        return
    assert isinstance(error, ValueError), error
    assert_documented_error(error, "unseen_regressor")
    assert "GivenPredictions" in str(error) and repr(first_at_fault) in str(error), error


@given(case=item_vectors(), other=OTHER_KEYS)
def test_a_key_without_a_vector_is_named(case, other):
    vectors, keys = case
    assume(all(not (other == key) for key in keys) and not isinstance(keys[0], tuple))
    _, error = call(vectors, "get_vector", other)
    assert isinstance(error, KeyError) and repr(other) in error.args[0], error
    _, error = call(vectors, "get_vectors", [keys[0], other])
    assert_documented_error(error, repr(other))


@given(
    case=item_vectors(),
    key_to_str=st.sampled_from([None, str, repr, "/".join, "-".join, len, lambda key: "same"]),
)
def test_gensim_keys_are_strings_one_per_item_or_the_fault_is_named(case, key_to_str):
    pytest.importorskip("gensim")
    vectors, keys = case
    keyed, error = call(vectors, "to_keyed_vectors", key_to_str)
    if error is None:
        assert len(keyed) == len(keys)
        assert all(isinstance(key, str) for key in keyed.index_to_key)
        np.testing.assert_array_equal(keyed.vectors, vectors.vectors)
    else:
        assert_documented_error(error, "key_to_str")


# -- token weights: the vectorizer's, in the kept columns -------------------------------

WEIGHTS_VECTORIZERS = st.sampled_from(
    [
        lambda: CountVectorizer(),
        lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)),
        lambda: HashingVectorizer(n_features=2**5),
        lambda: HashingVectorizer(n_features=2**24, alternate_sign=False),
        lambda: make_union(TfidfVectorizer(), HashingVectorizer(n_features=2**8)),
    ]
)


@given(
    training=st.lists(NAMES, min_size=1, max_size=8),
    names=st.lists(NAMES | st.none(), max_size=8),
    make=WEIGHTS_VECTORIZERS,
    name_vectors=st.booleans(),
)
def test_token_weights_are_the_vectorizers_in_the_columns_training_used(
    training, names, make, name_vectors
):
    training = np.array(training, dtype=object)
    try:
        tokens = TokenReader.from_names(make(), training, name_vectors)
    except ValueError as error:  # nothing to read in the training names
        assert_documented_error(error, "vectorizer")
        return
    names = np.array(names, dtype=object)
    weights = tokens.read(names)
    assert weights.shape == (len(names), len(tokens))
    if len(names) == 0:
        return
    full = sp.csr_matrix(
        tokens.vectorizer.transform(np.where(pd.isna(names), "", names)), dtype=np.float64
    )
    # The vectorizer's own weights in the kept columns, nothing else of them.
    np.testing.assert_array_equal(
        weights[:, : len(tokens.columns)].toarray(), full[:, tokens.columns].toarray()
    )
    assert set(full[:, tokens.columns].nonzero()[1]) <= set(range(len(tokens.columns)))


# -- determinism ------------------------------------------------------------------------


@st.composite
def fits(draw):
    """An estimator to fit and its data: a lookup, names read into tokens, or pairs."""
    kind = draw(st.sampled_from(["lookup", "names", "pairs"]))
    if kind == "lookup":
        table = draw(tables(faults="none", max_rows=6, max_items=5, min_items=2))
        assume(len(table.items) >= 2)
        return PairSimilarityEmbedder(**TINY, sampler=PairSampler(n_pairs=100)), table.X, table.y
    if kind == "names":
        X, y, _, faults = draw(named_tables())
        assume(not faults)
        embedder = PairSimilarityEmbedder(
            **TINY, vectorizer=draw(VECTORIZERS)(), sampler=PairSampler(n_pairs=100)
        )
        return embedder, X, y
    X, labels, faults = draw(labelled_pairs())
    assume(not faults)
    return PairSimilarityClassifier(**TINY), X, labels


@pytest.mark.filterwarnings("ignore:.*appear with different descriptors:UserWarning")
@pytest.mark.filterwarnings("ignore:.*training name\\(s\\) have no token:UserWarning")
@pytest.mark.filterwarnings("ignore:y holds .* like class labels:UserWarning")
@settings(max_examples=max(FIT_EXAMPLES // 2, 3))
@given(case=fits(), seed=st.integers(0, 2**32 - 1))
def test_the_same_random_state_gives_the_same_fit(case, seed):
    estimator, X, y = case
    first, error = call(estimator.set_params(random_state=seed), "fit", X, y)
    assume(error is None)  # refusals are the properties above
    again, error = call(pickle.loads(pickle.dumps(first)), "fit", X, y)
    assert error is None, error
    for fitted in (first, again):
        assert fitted.history_ == first.history_
        np.testing.assert_array_equal(fitted.vectors_.token_vectors, first.vectors_.token_vectors)


# -- caches in every state ----------------------------------------------------------------

DAMAGES = {
    "cut": lambda data: data[: len(data) // 2],
    "overwritten": lambda data: bytes(len(data)),
    "emptied": lambda data: b"",
    "one byte changed": lambda data: data[:-1] + bytes([data[-1] ^ 1]),
    "grown": lambda data: data + b"more",
}


@st.composite
def damaged_folders(draw):
    """What is done to a cache folder between two fits: each file damaged or left, debris
    of a writer that died added, or the folder made a file."""
    return {
        "damages": draw(st.lists(st.sampled_from([None, *DAMAGES]), min_size=1, max_size=4)),
        "debris": draw(st.booleans()),
        "a file": draw(st.sampled_from([False, False, False, True])),
    }


def damage_folder(folder, state):
    """Apply ``state`` (of :func:`damaged_folders`) to every file below ``folder``."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for path, damage in zip(files, itertools.cycle(state["damages"])):
        if damage is not None:
            path.write_bytes(DAMAGES[damage](path.read_bytes()))
    if state["debris"]:
        for path in files:
            (path.parent / f".{path.name}.ffff-1-0a1b.tmp").write_bytes(b"half a fi")
    if state["a file"]:
        shutil.rmtree(folder)
        folder.write_bytes(b"not a folder")


@pytest.fixture(scope="module")
def tiny_reference():
    X = pd.DataFrame({"name": ["red", "green", "blue", "navy"]})
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0.5]])
    plain = PairSimilarityEmbedder(**TINY, sampler=PairSampler(n_pairs=50), random_state=0)
    return X, y, plain.fit(X, y).transform(X)


@settings(max_examples=FIT_EXAMPLES)
@given(state=damaged_folders())
def test_a_memory_folder_in_any_state_gives_the_fit_without_it(tiny_reference, state):
    X, y, expected = tiny_reference
    folder = Path(tempfile.mkdtemp()) / "fits"
    try:
        embedder = PairSimilarityEmbedder(
            **TINY, sampler=PairSampler(n_pairs=50), random_state=0, reference=(X, y)
        )
        for attempt in range(2):  # the first fills the folder, the second meets the damage
            FITS.clear()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                vectors = embedder.set_params(memory=str(folder)).fit(X).transform(X)
            np.testing.assert_array_equal(vectors, expected)
            ours = [w for w in caught if "memory=" in str(w.message)]
            assert len(ours) <= 1, [str(w.message) for w in ours]
            if attempt == 0:
                damage_folder(folder, state)
    finally:
        FITS.clear()
        shutil.rmtree(folder.parent, ignore_errors=True)


@given(
    entries=st.lists(
        st.tuples(st.sampled_from([None, *DAMAGES]), st.binary(min_size=1, max_size=64)),
        max_size=6,
    ),
    debris=st.booleans(),
)
def test_only_whole_entries_of_a_shared_compilation_cache_reach_tensorflow(entries, debris):
    from sk_colour_embed import _cache_files
    from sk_colour_embed._engine.xla_cache import VARIABLE, CompilationCache
    from sk_colour_embed._keras_env import tf

    shared = Path(tempfile.mkdtemp())
    try:
        private = f"ram://test_properties/{uuid.uuid4().hex}"
        cache = CompilationCache({VARIABLE: str(shared)}, private=private)
        cache.prepare()
        folder = Path(cache.subfolder())
        folder.mkdir(parents=True)
        whole = {}
        for i, (damage, payload) in enumerate(entries):
            data = _cache_files.frame(payload)
            if damage is None:
                whole[f"e{i}.pb"] = payload
            else:
                data = DAMAGES[damage](data)
            (folder / f"e{i}.pb.entry").write_bytes(data)
            if debris:
                (folder / f".e{i}.pb.entry.ffff-1-0a1b.tmp").write_bytes(data[:3])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cache.load()
        reached = {}
        if tf.io.gfile.exists(private):
            for name in tf.io.gfile.listdir(private):
                reached[name] = tf.io.gfile.GFile(f"{private}/{name}", "rb").read()
        assert reached == whole
    finally:
        shutil.rmtree(shared, ignore_errors=True)
