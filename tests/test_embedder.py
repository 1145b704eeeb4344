import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.special import expit
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError, UndefinedMetricWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline

from sk_colour_embed import PairSampler, PairSimilarityEmbedder
from sk_colour_embed._warnings import UninformativePairsWarning

from conftest import (
    nearest_name_regressor,
    query_in_a_process_without_tensorflow,
    small_embedder,
)


def run_python(code, **kwargs):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **kwargs)


def test_transform_looks_up_each_rows_vector(fitted_css4, css4):
    X, _ = css4
    embedder = fitted_css4
    assert embedder.embedding_.shape == (148, 2)
    assert embedder.embedding_.index[0] == X["name"][0]
    rows = X.iloc[[5, 0, 5]]
    out = embedder.transform(rows)
    assert out.dtype == np.float64 and out.shape == (3, 2)
    np.testing.assert_array_equal(out[0], embedder.embedding_.loc[X["name"][5]].to_numpy())
    np.testing.assert_array_equal(out[0], out[2])
    assert embedder.get_feature_names_out().tolist() == [
        "pairsimilarityembedder0",
        "pairsimilarityembedder1",
    ]
    assert len(embedder.history_["loss"]) == 40
    assert embedder.history_["loss"][-1] < embedder.history_["loss"][0]


def test_fit_transform_equals_fit_then_transform(css4):
    X, y = css4
    np.testing.assert_array_equal(
        small_embedder().fit_transform(X, y), small_embedder().fit(X, y).transform(X)
    )


def test_same_random_state_same_embedding_other_state_differs(css4):
    X, y = css4
    a, b, c = (small_embedder(random_state=s).fit(X, y).embedding_ for s in (5, 5, 6))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_sampler_is_cloned_and_seeded_from_the_embedder(css4):
    X, y = css4
    sampler = PairSampler(n_pairs=1000)
    embedder = small_embedder(sampler=sampler).fit(X, y)
    assert not hasattr(sampler, "items_") and sampler.random_state is None
    assert embedder.sampler_ is not sampler and embedder.sampler_.random_state is not None
    own_seed = small_embedder(sampler=PairSampler(n_pairs=1000, random_state=1))
    assert own_seed.fit(X, y).sampler_.random_state == 1


def test_set_output_pandas_keeps_the_index(fitted_css4, css4):
    X, _ = css4
    rows = X.iloc[[3, 7]]
    out = fitted_css4.set_output(transform="pandas").transform(rows)
    try:
        assert list(out.columns) == fitted_css4.get_feature_names_out().tolist()
        assert list(out.index) == [3, 7]
    finally:
        fitted_css4.set_output(transform="default")


# -- pandas and polars ---------------------------------------------------------

# A column of names as a user's table holds it: each form gives what the plain pandas
# table gives. A polars Series was refused at fit ("Expected 2D array") and warned at
# transform and score; a Series of keys in most_similar was a TypeError.
TABLES = {
    "pandas": lambda names: pd.DataFrame({"name": names}),
    "pandas Series": lambda names: pd.Series(names, name="name"),
    "pandas string": lambda names: pd.DataFrame({"name": pd.array(names, dtype="string")}),
    "pandas category": lambda names: pd.DataFrame({"name": pd.Categorical(names)}),
    "polars": lambda names: pl.DataFrame({"name": names}),
    "polars Series": lambda names: pl.Series("name", names),
    "polars categorical": lambda names: pl.DataFrame(
        {"name": pl.Series(names, dtype=pl.Categorical)}
    ),
}


def as_library(table, y):
    """``y``, a pandas DataFrame, as the library of ``table`` holds it."""
    return pl.from_dict({c: y[c].to_numpy() for c in y.columns}) if "polars" in table else y


@pytest.fixture(
    scope="module", params=[{}, {"vectorizer": TfidfVectorizer()}], ids=["lookup", "tokens"]
)
def on_pandas(request, css4):
    X, y = css4
    return small_embedder(epochs=3, handle_unknown="ignore", **request.param).fit(X, y)


@pytest.mark.parametrize("table", TABLES)
def test_pandas_and_polars_tables_fit_transform_score_and_query_alike(on_pandas, css4, table):
    X, y = css4
    names, reference = X["name"].to_list(), on_pandas.transform(X)
    X_table, y_table = TABLES[table](names), as_library(table, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning about feature names
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit, on purpose
        fitted = clone(on_pandas).fit(X_table, y_table)
        np.testing.assert_array_equal(fitted.transform(X), reference)  # the same fit
        np.testing.assert_array_equal(on_pandas.transform(X_table), reference)
        assert on_pandas.score(X_table, y_table) == on_pandas.score(X, y)
    keys = TABLES[table](["red", "navy", "teal"])
    keys = keys if "Series" in table else keys.to_series() if "polars" in table else keys["name"]
    np.testing.assert_array_equal(on_pandas[keys], on_pandas[["red", "navy", "teal"]])
    assert keys[0] in on_pandas
    by_list = on_pandas.most_similar(["red", "navy"], negative=["teal"], topn=5)
    assert on_pandas.most_similar(keys[:2], negative=keys[2:], topn=5) == by_list


def test_missing_names_in_pandas_and_polars_are_missing(on_pandas):
    expected = on_pandas.transform(pd.DataFrame({"name": ["red", None]}))
    assert np.isnan(expected[1]).all() and np.isfinite(expected[0]).all()
    for missing in (
        pd.DataFrame({"name": pd.array(["red", pd.NA], dtype="string")}),
        pl.DataFrame({"name": ["red", None]}),
        pl.Series(["red", None]),
    ):
        np.testing.assert_array_equal(on_pandas.transform(missing), expected)


def test_set_output_polars_gives_a_polars_table(on_pandas, css4):
    X, y = css4
    embedder = clone(on_pandas).set_output(transform="polars")
    embedder.fit(pl.DataFrame({"name": X["name"].to_list()}), as_library("polars", y))
    out = embedder.transform(X.head(3))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == embedder.get_feature_names_out().tolist()
    np.testing.assert_array_equal(out.to_numpy(), on_pandas.transform(X.head(3)))
    # In a ColumnTransformer of a polars table, as a pipeline holds it.
    table = pl.DataFrame({"name": X["name"].to_list(), "price": np.arange(len(X), dtype=float)})
    columns = ColumnTransformer(
        [("colour", clone(on_pandas), ["name"]), ("price", "passthrough", ["price"])]
    ).set_output(transform="polars")
    out = columns.fit(table, as_library("polars", y)).transform(table.head(3))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == [
        "colour__pairsimilarityembedder0",
        "colour__pairsimilarityembedder1",
        "price__price",
    ]
    np.testing.assert_array_equal(out.to_numpy()[:, :2], on_pandas.transform(X.head(3)))


def test_score_ranks_distances_like_the_descriptors(fitted_css4, css4):
    X, y = css4
    score = fitted_css4.score(X, y)
    assert 0.5 < score <= 1
    shuffled = y.sample(frac=1, random_state=0).to_numpy()
    assert abs(fitted_css4.score(X, shuffled)) < 0.2


def test_score_samples_pairs_when_there_are_many():
    X = pd.DataFrame({"name": [f"item{i}" for i in range(700)]})  # 244,650 pairs
    y = np.random.default_rng(0).uniform(size=(700, 3))
    embedder = small_embedder(sampler=PairSampler(n_pairs=30_000), epochs=30).fit(X, y)
    sampled = embedder.score(X, y)
    assert sampled == embedder.score(X, y)  # a fixed sample
    first, second = np.triu_indices(700, k=1)
    vectors = embedder.embedding_.to_numpy()
    exact = spearmanr(
        ((vectors[first] - vectors[second]) ** 2).sum(axis=1),
        ((y[first] - y[second]) ** 2).sum(axis=1),
    ).statistic
    assert exact > 0.2
    assert sampled == pytest.approx(exact, abs=0.01)


def test_unknown_items_error_names_them(fitted_css4):
    unknown = pd.DataFrame({"name": ["red", "not a colour", "bleu"]})
    with pytest.raises(ValueError) as error:
        fitted_css4.transform(unknown)
    # What is wrong comes first, then what to do in transform; no cross-validation talk.
    message = str(error.value)
    assert message.startswith(
        "2 item(s) have no vector (the first at row 1): 'not a colour', 'bleu'"
    )
    assert "handle_unknown='ignore'" in message and "InSampleSplit" not in message


def test_an_unknown_key_that_differs_only_in_case_is_named(fitted_css4):
    with pytest.raises(ValueError, match=r"keys are exact: 'Red' is not 'red'"):
        fitted_css4.transform(["Red", "navy"])
    with pytest.raises(KeyError, match=r"' Navy' is not 'navy'"):
        fitted_css4.most_similar(" Navy")


def test_score_with_too_few_known_items_is_nan_and_says_why(fitted_css4):
    unknown = pd.DataFrame({"name": ["red", "not a colour", "bleu"]})
    with pytest.warns(UndefinedMetricWarning, match=r"score is NaN.*InSampleSplit.*reference"):
        assert np.isnan(fitted_css4.score(unknown, np.zeros((3, 3))))


def test_score_of_one_item_on_several_rows_is_nan_and_says_so_each_time(fitted_css4):
    # After one row had warned, one item on two rows returned NaN silently, and the
    # warning blamed a lookup for vectors that both rows had.
    def score(names):  # one line of the user's, as in a loop
        return fitted_css4.score(pd.DataFrame({"name": names}), np.zeros((len(names), 3)))

    ranked = r"score is NaN: it ranks the distances of pairs of at least 3 distinct items"
    nan = UndefinedMetricWarning
    with pytest.warns(nan, match=ranked + r".*1 row\(s\) of 1 distinct.*1 with a vector$"):
        assert np.isnan(score(["red"]))
    with pytest.warns(nan, match=r"2 row\(s\) of 1 distinct item.*1 with a vector$"):
        assert np.isnan(score(["red", "red"]))
    with pytest.warns(nan, match=r"2 row\(s\) of 2 distinct.*1 with a vector: a lookup"):
        assert np.isnan(score(["red", "not a colour"]))


def test_unknown_items_as_nan(fitted_css4, css4):
    X, y = css4
    embedder = fitted_css4
    embedder.set_params(handle_unknown="ignore")
    try:
        out = embedder.transform(pd.DataFrame({"name": ["red", "not a colour"]}))
        assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()
        rows = pd.concat([X, pd.DataFrame({"name": ["not a colour"]})], ignore_index=True)
        descriptors = np.vstack([y.to_numpy(), [[0.5, 0.5, 0.5]]])
        with pytest.warns(
            UserWarning, match=r"score leaves out 1 item\(s\) that have no vector: 'not a colour'"
        ):
            assert embedder.score(rows, descriptors) == embedder.score(X, y)
    finally:
        embedder.set_params(handle_unknown="error")


def test_repeated_keys_are_one_item_with_a_warning_for_conflicts(kaggle_csv):
    from sk_colour_embed import load_colours

    with pytest.warns(UserWarning, match="empty"):
        X, y = load_colours(kaggle_csv, return_X_y=True)
    with pytest.warns(UserWarning, match=r"1 item key\(s\) .* averaged: 'coral'") as record:
        embedder = small_embedder(epochs=2).fit(X, y)
    assert record[0].filename == __file__  # the warning points at the user's fit
    assert len(embedder.embedding_) == 10
    assert embedder.embedding_.index.is_unique
    np.testing.assert_allclose(
        embedder.items_.descriptors[list(embedder.embedding_.index).index("coral")],
        np.array([255, 127, 40]) / 255,
    )


def test_several_key_columns():
    X = pd.DataFrame(
        {"palette": ["a", "a", "b", "b"] * 3, "name": ["red", "blue", "red", "teal"] * 3}
    )
    y = np.tile([[1, 0, 0], [0, 0, 1], [0.8, 0.1, 0], [0, 0.5, 0.5]], (3, 1))
    embedder = small_embedder(epochs=5).fit(X, y)
    keys = [("a", "red"), ("a", "blue"), ("b", "red"), ("b", "teal")]
    assert embedder.embedding_.index.tolist() == keys
    out = embedder.transform(X)
    np.testing.assert_array_equal(out[0], out[4])  # the same (palette, name)
    assert not np.array_equal(out[0], out[2])  # the same name, another palette
    neighbours = embedder.most_similar(("a", "red"), topn=3)
    assert sorted(key for key, _ in neighbours) == sorted(keys[1:])
    assert embedder.similarity(("a", "red"), neighbours[0][0]) == pytest.approx(neighbours[0][1])


def test_queries_follow_distances(fitted_css4):
    embedder = fitted_css4
    vectors = embedder.embedding_
    neighbours = embedder.most_similar("red", topn=5)
    assert len(neighbours) == 5 and "red" not in [key for key, _ in neighbours]
    similarities = [s for _, s in neighbours]
    assert similarities == sorted(similarities, reverse=True)
    distances = ((vectors - vectors.loc["red"]) ** 2).sum(axis=1).drop("red")
    assert [key for key, _ in neighbours] == distances.nsmallest(5).index.tolist()
    assert embedder.similarity("red", neighbours[0][0]) == pytest.approx(similarities[0])
    assert embedder.similarity("red", "red") == 1.0 > embedder.similarity("red", "blue")
    assert len(embedder.most_similar("red", topn=1000)) == 147
    with pytest.raises(KeyError, match="no vector for 'rouge'"):
        embedder.similarity("red", "rouge")
    with pytest.raises(ValueError, match="topn must be a positive integer"):
        embedder.most_similar("red", topn=0)


def test_a_batch_larger_than_all_pairs_is_one_step(css4):
    X, y = css4
    embedder = small_embedder(sampler=PairSampler(n_pairs=300), batch_size=1000, epochs=3).fit(X, y)
    assert len(embedder.history_["loss"]) == 3
    assert np.isfinite(embedder.embedding_.to_numpy()).all()


def test_normalize_puts_vectors_on_the_unit_sphere(css4):
    X, y = css4
    embedder = small_embedder(n_components=3, normalize=True).fit(X, y)
    np.testing.assert_allclose(np.linalg.norm(embedder.embedding_, axis=1), 1, rtol=1e-6)


def test_recording_keeps_vectors_every_k_epochs(css4):
    X, y = css4
    embedder = small_embedder(epochs=10, record_every=4).fit(X, y)
    assert embedder.recorded_epochs_.tolist() == [0, 4, 8]
    assert embedder.recording_.shape == (3, 148, 2) and embedder.recording_.dtype == np.float32
    assert not np.allclose(embedder.recording_[0], embedder.recording_[2])
    assert not hasattr(small_embedder(epochs=1).fit(X, y), "recording_")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "'n_components' parameter of PairSimilarityEmbedder"),
        ({"handle_unknown": "prior"}, "'handle_unknown' parameter .* must be a str among"),
        (
            {"sampler": "pairs"},
            "'sampler' parameter .* must be an instance of "
            "'sk_colour_embed._sampling.PairSampler' or None",
        ),
        ({"learning_rate": 0}, "'learning_rate' parameter"),
    ],
)
def test_bad_parameters_are_named(css4, params, message):
    X, y = css4
    with pytest.raises(ValueError, match=message):
        PairSimilarityEmbedder(**params).fit(X, y)


@pytest.mark.slow  # a fresh Python process
def test_import_does_not_load_tensorflow():
    # Nor does the fit core or the engine's door: TensorFlow comes with the first fit.
    result = run_python(
        "import sys, sk_colour_embed, sk_colour_embed._fitting, sk_colour_embed._engine; "
        "print(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))"
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.slow  # a fresh Python process
def test_pickled_model_transforms_without_tensorflow(fitted_css4, tmp_path):
    printed = query_in_a_process_without_tensorflow(fitted_css4, "red", tmp_path)
    assert printed == str(fitted_css4.transform(pd.DataFrame({"name": ["red"]})).tolist())


QUIET_FIT = """
import warnings
from sklearn.exceptions import ConvergenceWarning
from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
warnings.simplefilter("ignore", ConvergenceWarning)  # the fits are short on purpose
X, y = load_colours('css4', return_X_y=True)
for seed in range({n_fits}):
    embedder = PairSimilarityEmbedder(
        sampler=PairSampler(n_pairs=2000), epochs={epochs}, random_state=seed
    )
    embedder.fit(X, y)
"""


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_default_fit_prints_nothing():
    # TensorFlow warns about repeated tracing after a few fits; not here.
    result = run_python(QUIET_FIT.format(n_fits=8, epochs=3))
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("", "")


@pytest.mark.parametrize(
    "sampler_params, message",
    [
        ({"n_pairs": 0}, "'n_pairs' parameter of PairSampler"),
        ({"n_pairs": -5}, "'n_pairs' parameter of PairSampler"),
        ({"threshold": float("nan")}, "'threshold' parameter of PairSampler"),
        ({"threshold": float("inf")}, "'threshold' parameter of PairSampler"),
        ({"threshold": -1}, "'threshold' parameter of PairSampler"),
        ({"threshold": 0}, "'threshold' parameter of PairSampler"),
    ],
)
def test_the_samplers_parameters_are_checked_inside_the_embedder(css4, sampler_params, message):
    X, y = css4
    with pytest.raises(ValueError, match=message):
        small_embedder(sampler=PairSampler(**sampler_params)).fit(X, y)
    name, value = next(iter(sampler_params.items()))
    with pytest.raises(ValueError, match=message):
        PairSimilarityEmbedder(epochs=1).set_params(**{f"sampler__{name}": value}).fit(X, y)


def interrupt_training(monkeypatch):
    import sk_colour_embed._engine

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sk_colour_embed._engine, "fit_pair_model", interrupted)


def test_an_interrupted_first_fit_leaves_the_embedder_unfitted(css4, monkeypatch):
    X, y = css4
    embedder = small_embedder()
    interrupt_training(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        embedder.fit(X, y)
    with pytest.raises(NotFittedError):
        embedder.transform(X)
    assert vars(embedder).keys() == vars(small_embedder()).keys()  # no fitted attribute


def test_a_failed_refit_leaves_the_previous_fit_whole(css4, monkeypatch):
    X, y = css4
    embedder = small_embedder(epochs=2, record_every=1).fit(X, y)
    before = dict(vars(embedder))
    interrupt_training(monkeypatch)
    other = X.rename(columns={"name": "colour"}).head(50)
    with pytest.raises(KeyboardInterrupt):
        embedder.set_params(record_every=None).fit(other, y.head(50))
    embedder.set_params(record_every=1)
    assert vars(embedder).keys() == before.keys()
    assert all(vars(embedder)[key] is before[key] for key in before)
    assert embedder.transform(X).shape == (148, 2)  # feature names of the first fit


def test_a_refit_without_recording_drops_the_old_recording(css4):
    X, y = css4
    embedder = small_embedder(epochs=2, record_every=1).fit(X, y)
    assert hasattr(embedder, "recording_")
    embedder.set_params(record_every=None).fit(X, y)
    assert not hasattr(embedder, "recording_") and not hasattr(embedder, "recorded_epochs_")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y: (X.assign(name=X["name"].mask(X.index == 5)), y), r"missing key .* row 5"),
        (lambda X, y: (X, y * 1e160), "y must hold finite descriptors below"),
        (lambda X, y: (X, np.full(y.shape, "a")), "y must hold numeric descriptors"),
        (lambda X, y: (X.head(1), y.head(1)), "at least 2 distinct items, but X holds 1"),
    ],
)
def test_bad_items_and_descriptors_are_named(css4, change, message):
    X, y = change(*css4)
    with pytest.raises(ValueError, match=message):
        small_embedder(epochs=1).fit(X, y)


@pytest.mark.parametrize("handle_unknown", ["error", "ignore"])
def test_missing_keys_follow_handle_missing_whatever_handle_unknown(fitted_css4, handle_unknown):
    # A missing key followed handle_unknown: NaN like an unknown one, or an error.
    embedder = clone(fitted_css4).set_params(handle_unknown=handle_unknown)
    vars(embedder).update({k: v for k, v in vars(fitted_css4).items() if k.endswith("_")})
    rows = pd.DataFrame({"name": ["red", None, np.nan]})
    out = embedder.transform(rows)
    np.testing.assert_array_equal(out[0], fitted_css4.transform(["red"])[0])
    assert np.isnan(out[1:]).all()
    embedder.set_params(handle_missing="mean")
    mean = fitted_css4.embedding_.to_numpy().mean(axis=0)
    np.testing.assert_array_equal(embedder.transform(rows)[1:], [mean, mean])
    embedder.set_params(handle_missing="error")
    with pytest.raises(
        ValueError, match=r"missing key \(None or NaN\) in 2 row\(s\), the first at row 1\. "
    ):
        embedder.transform(rows)
    unknown = pd.DataFrame({"name": ["red", None, "not a colour"]})
    embedder.set_params(handle_missing="nan")
    if handle_unknown == "error":
        with pytest.raises(ValueError, match=r"1 item\(s\) have no vector \(the first at row 2\)"):
            embedder.transform(unknown)
    else:
        assert np.isnan(embedder.transform(unknown)[1:]).all()


def test_the_indicator_tells_looked_up_placed_missing_and_unknown_rows_apart(held_out_css4):
    (X, y), (X_new, _) = held_out_css4
    embedder = small_embedder(
        unseen_regressor=nearest_name_regressor(), add_indicator=True, handle_unknown="ignore"
    ).fit(X, y)
    known, new = X["name"].iloc[0], X_new["name"].iloc[0]
    rows = [known, known.upper(), new, None, "zzzz qqq"]
    out = embedder.transform(rows)
    assert out.shape == (5, 2 + 3)
    assert list(embedder.get_feature_names_out()) == [
        "pairsimilarityembedder0",
        "pairsimilarityembedder1",
        "pairsimilarityembedder_missing",
        "pairsimilarityembedder_unseen",
        "pairsimilarityembedder_name_distance",
    ]
    vectors, missing, unseen, distance = out[:, :2], out[:, 2], out[:, 3], out[:, 4]
    np.testing.assert_array_equal(vectors, embedder.set_params(add_indicator=False).transform(rows))
    np.testing.assert_array_equal(missing, [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(unseen, [0, 1, 1, 0, 1])
    assert distance[0] == 0 and distance[1] == 0  # another case of a known name
    assert 0 < distance[2] < 1 and distance[3] == 1 and distance[4] == 1
    # in a pipeline, the names follow set_output
    frame = embedder.set_params(add_indicator=True).set_output(transform="pandas").transform(rows)
    assert list(frame.columns) == list(embedder.get_feature_names_out())


def test_a_misspelt_name_is_nearer_its_name_than_a_made_up_one(fitted_css4):
    names = ["turquiose", " DarkOliveGreen", "qwxz"]  # the CSS names are "turquoise", ...
    distance = fitted_css4.vectors_.name_distance(names)
    assert distance[1] == 0 and 0 < distance[0] < 0.5 < distance[2]


def test_score_needs_the_descriptors_fit_saw(fitted_css4, css4):
    X, y = css4
    with pytest.raises(ValueError, match=r"y has 2 descriptor column\(s\), but fit saw 3"):
        fitted_css4.score(X, y.iloc[:, :2])


def test_a_fit_stopped_while_the_loss_still_falls_says_so(css4):
    # More data sets and sizes, and fits that have converged: tests/test_fitting.py.
    X, y = css4
    with pytest.warns(
        ConvergenceWarning,
        match=r"not converged: the loss still falls by .* an epoch over the last 20 of 30 "
        r"epochs \(more than tol=1e-05\).* Raise epochs",
    ):
        small_embedder(epochs=30).fit(X, y)


def test_the_fitted_width_survives_a_change_of_n_components(css4):
    X, y = css4
    embedder = small_embedder(epochs=1).fit(X, y)
    embedder.set_params(n_components=3)
    assert embedder.embedding_.shape == (148, 2)
    assert len(embedder.get_feature_names_out()) == 2


@pytest.mark.parametrize("as_column", [list, tuple, np.array, pd.Series])
def test_a_column_of_keys_as_users_pass_it(fitted_css4, css4, as_column):
    X, y = css4
    names = as_column(X["name"].to_list())
    np.testing.assert_array_equal(fitted_css4.transform(names), fitted_css4.transform(X))
    assert fitted_css4.score(names, y) == fitted_css4.score(X, y)
    refit = small_embedder(epochs=2).fit(names, y)
    np.testing.assert_array_equal(
        refit.transform(names), small_embedder(epochs=2).fit(X, y).transform(X)
    )


def test_a_column_keeps_its_name_and_mismatched_columns_are_refused(css4):
    X, y = css4
    fitted = small_embedder(epochs=2).fit(X["name"], y)
    assert fitted.feature_names_in_.tolist() == ["name"]  # the Series' name
    assert fitted.transform(["red"]).shape == (1, 2)  # a list is that column
    pairs = small_embedder(epochs=2).fit(np.column_stack([X["name"], X["name"]]), y)
    with pytest.raises(ValueError, match="fit saw 2 key columns. Reshape your data"):
        pairs.transform(["red", "blue"])
    with pytest.raises(ValueError, match="X has 1 features, but .* is expecting 2"):
        pairs.transform(np.array([["red"]]))


def test_one_key_column_is_taken_under_any_name(fitted_css4, css4):
    # A fit on df[["name"]] refused df[["paint"]] with scikit-learn's feature-names
    # message, while df["paint"] worked: one column of names is the column, as a text
    # vectorizer takes any column of text.
    X, y = css4
    expected = fitted_css4.transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor "X does not have valid feature names"
        for renamed in (X.rename(columns={"name": "paint"}), X.rename(columns={"name": 0})):
            np.testing.assert_array_equal(fitted_css4.transform(renamed), expected)
            assert fitted_css4.score(renamed, y) == fitted_css4.score(X, y)
        on_a_list = small_embedder(epochs=2).fit(X["name"].to_list(), y)
        np.testing.assert_array_equal(
            on_a_list.transform(X.rename(columns={"name": "paint"})), on_a_list.transform(X)
        )
    assert fitted_css4.feature_names_in_.tolist() == ["name"]  # fit's, as before


def test_several_key_columns_keep_scikit_learns_rule_on_names(css4):
    X, y = css4
    both = pd.DataFrame({"name": X["name"], "again": X["name"]})
    fitted = small_embedder(epochs=2).fit(both, y)
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- other"):
        fitted.transform(both.rename(columns={"again": "other"}))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        fitted.transform(both[["again", "name"]])


def test_a_diverging_fit_says_so_and_names_learning_rate(css4):
    X, y = css4
    with pytest.warns(ConvergenceWarning) as record:
        embedder = small_embedder(learning_rate=1e6).fit(X, y)
    assert len(record) == 1  # not also "has not converged", whose advice would be wrong
    assert re.match(
        r"training diverged: the loss ends at .*, far above the 0.693 it starts from .* "
        r"Lower learning_rate \(now 1e\+06\)",
        str(record[0].message),
    )
    assert embedder.history_["loss"][-1] > 100 * np.log(2)


def test_a_fit_whose_loss_stops_being_a_number_is_refused_and_changes_nothing(css4):
    X, y = css4
    embedder = small_embedder(epochs=2).fit(X, y)
    vectors, history = embedder.vectors_, embedder.history_
    embedder.set_params(learning_rate=1e20)
    with pytest.raises(ValueError, match=r"diverged: .* numbers in epoch 1 of 2.*\(now 1e\+20\)"):
        embedder.fit(X, y)
    assert embedder.vectors_ is vectors and embedder.history_ is history


def test_descriptors_on_another_scale_are_named_once_by_the_embedder(css4):
    X, y = css4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        small_embedder(epochs=1).fit(X, y * 255)
    messages = [str(w.message) for w in caught if w.category is UninformativePairsWarning]
    assert len(messages) == 1
    assert "threshold is 0.2 and y spans 0 to 255" in messages[0]


def test_gensim_queries_on_the_embedder(fitted_css4):
    embedder = fitted_css4
    vectors = embedder.embedding_
    both = embedder.most_similar(["red", "blue"], topn=3)  # a list of keys: their mean
    middle = vectors.loc[["red", "blue"]].mean().to_numpy()
    expected = embedder.similar_by_vector(middle, topn=5)
    assert both == [item for item in expected if item[0] not in ("red", "blue")][:3]
    analogy = embedder.most_similar(positive=["darkred", "blue"], negative=["red"], topn=1)
    point = 2 * vectors.loc[["darkred", "blue"]].mean() - vectors.loc["red"]
    nearest = ((vectors - point) ** 2).sum(axis=1).drop(["darkred", "blue", "red"]).idxmin()
    assert analogy[0][0] == nearest
    assert embedder.most_similar("red", topn=3) == embedder.most_similar(positive="red", topn=3)
    assert "red" in embedder.vectors_ and "Red" not in embedder.vectors_
    with pytest.raises(ValueError, match=r"positive\[1\] must hold finite numbers"):
        embedder.most_similar(["red", np.array([np.nan, 0.0])])
    with pytest.raises(ValueError, match="vector must be a vector of numbers; it holds <U"):
        embedder.similar_by_vector(np.array(["red", "blue"]))


def test_the_embedder_takes_gensims_habits(fitted_css4):
    # "red" in embedder was TypeError: argument of type 'PairSimilarityEmbedder' is not
    # iterable; embedder["red"], index_to_key and key_to_index did not exist.
    embedder = fitted_css4
    assert "red" in embedder and "Red" not in embedder
    np.testing.assert_array_equal(embedder["red"], embedder.transform(["red"])[0])
    both = embedder[["red", "navy"]]
    np.testing.assert_array_equal(both, embedder.transform(["red", "navy"]))
    assert embedder.index_to_key == embedder.embedding_.index.tolist()
    assert embedder.key_to_index["navy"] == embedder.index_to_key.index("navy")
    with pytest.raises(KeyError, match="'Red'"):
        embedder["Red"]  # a key without a vector, whatever handle_unknown
    with pytest.raises(TypeError, match="not iterable"):
        iter(embedder)


def test_an_unfitted_embedder_answers_no_gensim_habit():
    embedder = PairSimilarityEmbedder()
    for habit in (
        lambda: "red" in embedder,
        lambda: embedder["red"],
        lambda: embedder.index_to_key,
        lambda: embedder.key_to_index,
    ):
        with pytest.raises(NotFittedError):
            habit()


def test_a_bool_key_among_floats_in_a_list_is_found_as_given():
    # NumPy made [[False, 0.0], ...] floats: the items were (0.0, 0.0), and pandas
    # does not find a bool among floats, so most_similar((False, 0.0)) was a KeyError.
    X = [[False, 0.0], [True, 0.0], [False, 1.0]]
    with pytest.warns(UninformativePairsWarning, match="too few"):  # 3 items far apart
        embedder = small_embedder(epochs=1).fit(X, [0.0, 0.5, 1.0])
    assert list(embedder.embedding_.index) == [(False, 0.0), (True, 0.0), (False, 1.0)]
    assert len(embedder.most_similar((False, 0.0), topn=2)) == 2
    np.testing.assert_array_equal(embedder.transform(X), embedder.embedding_.to_numpy())


def test_a_score_of_constant_descriptors_is_nan_in_the_packages_words():
    # SciPy's ConstantInputWarning came out of spearmanr, with its NaN.
    X, y = [["a"], ["b"], ["c"]], [[0.5, 0.5, 0.5]] * 3
    with pytest.warns(UninformativePairsWarning, match="y is constant"):
        embedder = small_embedder(epochs=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SciPy's warning, if any, fails
        with pytest.warns(
            UndefinedMetricWarning, match=r"all 3 pairs are equally far apart in the descriptors"
        ):
            assert np.isnan(embedder.score(X, y))


def test_early_stopping_keeps_the_vectors_of_the_best_held_out_epoch(css4):
    X, y = css4
    embedder = small_embedder(
        epochs=200, learning_rate=0.02, tol=1e-3, early_stopping=True, record_every=1
    ).fit(X, y)
    val_loss = embedder.history_["val_loss"]
    assert embedder.n_iter_ == len(val_loss) == len(embedder.history_["loss"]) < 200
    assert embedder.n_iter_ == embedder.classifier_.n_iter_ == embedder.recorded_epochs_[-1]
    best = int(np.argmin(val_loss)) + 1  # recordings start at epoch 0
    assert best < embedder.n_iter_
    np.testing.assert_array_equal(
        embedder.embedding_.to_numpy(np.float32), embedder.recording_[best]
    )


def test_n_iter_is_epochs_without_early_stopping(css4):
    X, y = css4
    embedder = small_embedder(epochs=7).fit(X, y)
    assert embedder.n_iter_ == 7 == len(embedder.history_["loss"])


def test_early_stopping_alone_stops_on_a_tenth_of_the_pairs_held_out(css4):
    X, y = css4
    embedder = small_embedder(epochs=300, learning_rate=0.02, early_stopping=True).fit(X, y)
    assert (embedder.tol, embedder.n_iter_no_change) == (1e-5, 10)
    assert embedder.n_iter_ < 300 and len(embedder.history_["val_loss"]) == embedder.n_iter_
    # 4,000 pairs drawn, 400 of them held out: the training loss is of the other 3,600.
    held_out = small_embedder(epochs=1, early_stopping=True, validation_fraction=0.1)
    kept_all = small_embedder(epochs=1, early_stopping=True, validation_fraction=None)
    assert held_out.fit(X, y).history_["loss"] != kept_all.fit(X, y).history_["loss"]


def test_an_unknown_item_gets_a_nan_row_under_ignore_in_the_classifier_too(css4):
    X, y = css4
    unknown = pd.DataFrame({"name": ["red", "not a colour"]})
    ignoring = small_embedder(epochs=2, handle_unknown="ignore").fit(X, y)
    assert np.isnan(ignoring.transform(unknown)[1]).all()
    # The classifier of the same training ignores them as the embedder does.
    assert ignoring.classifier_.handle_unknown == "ignore"


# -- unseen_regressor: vectors for keys never seen in fit ----------------------


@pytest.fixture(scope="module")
def held_out_css4(css4):
    """The CSS colours split into 128 training names and 20 held out, as (X, y) each."""
    X, y = css4
    held = np.arange(len(X)) % 7 == 3
    return (X[~held], y[~held]), (X[held], y[held])


def test_an_unseen_regressor_places_names_never_seen_and_keeps_the_learned_vectors(
    held_out_css4,
):
    (X, y), (X_new, y_new) = held_out_css4
    lookup = small_embedder().fit(X, y)
    embedder = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    # the same training, bit for bit: the regressor comes after it
    np.testing.assert_array_equal(embedder.transform(X), lookup.transform(X))
    with pytest.raises(ValueError, match="have no vector"):
        lookup.transform(X_new)
    # each new name has the learned vector of its nearest training name
    new = embedder.transform(X_new)
    learned = lookup.embedding_.to_numpy()
    assert all((learned == vector).all(axis=1).any() for vector in new)
    name = X_new["name"].iloc[0]
    assert name in embedder.vectors_ and name not in lookup.vectors_
    (nearest, similarity), *_ = embedder.most_similar(name, topn=3)
    np.testing.assert_array_equal(embedder.embedding_.loc[nearest], new[0])
    assert similarity == embedder.similarity(name, nearest)
    # held-out names are scored, which a lookup alone cannot do
    assert 0 < embedder.score(X_new, y_new) <= 1
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(lookup.score(X_new, y_new))
    # the parameter is cloned, not fitted
    with pytest.raises(NotFittedError):
        embedder.unseen_regressor.predict(["red"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a short fit
def test_the_unseen_regressor_is_seeded_by_the_embedder(held_out_css4):
    (X, y), (X_new, _) = held_out_css4
    regressor = make_pipeline(
        TfidfVectorizer(analyzer="char_wb"), MLPRegressor(hidden_layer_sizes=8, max_iter=50)
    )
    fits = [
        small_embedder(unseen_regressor=regressor, random_state=seed).fit(X, y)
        for seed in (1, 1, 2)
    ]
    assert regressor[-1].random_state is None
    assert fits[0].vectors_.regressor[-1].random_state is not None
    first, again, other = (fit.transform(X_new) for fit in fits)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_regressed_vectors_are_on_the_unit_sphere_under_normalize(held_out_css4):
    (X, y), (X_new, _) = held_out_css4
    regressor = make_pipeline(TfidfVectorizer(analyzer="char_wb"), Ridge())
    embedder = small_embedder(n_components=3, normalize=True, unseen_regressor=regressor)
    new = embedder.fit(X, y).transform(X_new)
    np.testing.assert_allclose(np.linalg.norm(new, axis=1), 1, rtol=1e-9)


def test_missing_keys_follow_handle_missing_with_an_unseen_regressor(held_out_css4):
    # With a regressor, a missing key raised under the default handle_unknown="error".
    (X, y), _ = held_out_css4
    embedder = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    vectors = embedder.transform(pd.DataFrame({"name": ["red", None, "reddish"]}))
    assert np.isnan(vectors[1]).all() and np.isfinite(vectors[[0, 2]]).all()
    with pytest.raises(ValueError, match="missing"):
        embedder.set_params(handle_missing="error").transform(["red", None])


def test_a_number_given_to_an_unseen_regressor_of_names_is_named(held_out_css4):
    # It ended in "AttributeError: 'int' object has no attribute 'lower'".
    (X, y), _ = held_out_css4
    embedder = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    with pytest.raises(ValueError, match=r"unseen_regressor Pipeline could not predict.*5 \(int\)"):
        embedder.transform(["red", 5])


class OneValueRegressor(RegressorMixin, BaseEstimator):
    """Predicts one number per key: not a vector."""

    def fit(self, X, y):
        self.n_seen_ = len(X)
        return self

    def predict(self, X):
        return np.zeros(len(X))


class NotFiniteForNewNames(RegressorMixin, BaseEstimator):
    """Predicts the mean vector for the names of fit, NaN or inf for any other."""

    def fit(self, X, y):
        self.seen_, self.mean_ = set(X), np.mean(y, axis=0)
        return self

    def predict(self, X):
        vectors = np.tile(self.mean_, (len(X), 1))
        vectors[[key not in self.seen_ for key in X]] = [np.nan, np.inf]
        return vectors


class OneRowWhateverTheKeys(RegressorMixin, BaseEstimator):
    """Predicts one vector however many keys it is given."""

    def fit(self, X, y):
        self.mean_ = np.mean(y, axis=0)
        return self

    def predict(self, X):
        return self.mean_[np.newaxis, :]


def test_an_unseen_regressors_bad_predictions_are_refused_naming_it_and_the_first_name(
    held_out_css4,
):
    # They gave NaN/inf vectors silently, and a failed reshape that named nothing.
    (X, y), (X_new, _) = held_out_css4
    for handle_unknown in ("error", "ignore"):
        embedder = small_embedder(
            epochs=2, unseen_regressor=NotFiniteForNewNames(), handle_unknown=handle_unknown
        ).fit(X, y)
        first_new = X_new["name"].iloc[0]
        message = f"NotFiniteForNewNames predicted values that are not finite.*{first_new!r}"
        with pytest.raises(ValueError, match=message):
            embedder.transform(X_new)
        with pytest.raises(ValueError, match="NotFiniteForNewNames predicted"):
            embedder.most_similar(first_new)
    embedder = small_embedder(epochs=2, unseen_regressor=OneRowWhateverTheKeys())
    with pytest.raises(ValueError, match=r"OneRowWhateverTheKeys predicted an array of shape"):
        embedder.fit(X, y)  # checked at fit on two names, not one


@pytest.mark.parametrize("n_components", [1, 2])
def test_what_is_not_a_regressor_is_refused_as_unseen_regressor(held_out_css4, n_components):
    # A clusterer predicts one label a key: it passed as a vector of 1 component.
    (X, y), _ = held_out_css4
    for regressor, kind in [
        (make_pipeline(TfidfVectorizer(), KMeans(2, n_init=1)), "a clusterer"),
        (NotAnEstimator(), "not tagged as a regressor"),
    ]:
        embedder = small_embedder(n_components=n_components, unseen_regressor=regressor)
        with pytest.raises(ValueError, match=f"must be a scikit-learn regressor.*is {kind}"):
            embedder.fit(X, y)
        assert not hasattr(embedder, "vectors_")


class NotAnEstimator:
    """Has fit and predict, but no scikit-learn tags."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros((len(X), 2))


@pytest.mark.parametrize(
    "regressor, columns, message",
    [
        (nearest_name_regressor(), ["name", "name"], "column of keys, but the items of X have 2"),
        (Ridge(), ["name"], "unseen_regressor could not be fitted on the training keys"),
        (OneValueRegressor(), ["name"], "predicted an array of shape \\(2,\\).*vector of 2 number"),
    ],
)
def test_an_unseen_regressor_that_cannot_work_is_named_and_fit_changes_nothing(
    held_out_css4, regressor, columns, message
):
    (X, y), _ = held_out_css4
    embedder = small_embedder(unseen_regressor=regressor)
    with pytest.raises(ValueError, match=message):
        embedder.fit(X[columns].set_axis(range(len(columns)), axis=1), y)
    assert not hasattr(embedder, "vectors_")


def test_a_search_with_held_out_folds_scores_a_lookup_with_an_unseen_regressor(css4):
    X, y = css4
    embedder = small_embedder(epochs=10, unseen_regressor=nearest_name_regressor())
    search = GridSearchCV(embedder, {"n_components": [2, 3]}, cv=3).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_the_embedders_classifier_classifies_names_never_seen_with_its_regressor(
    held_out_css4,
):
    (X, y), (X_new, _) = held_out_css4
    embedder = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    classifier = embedder.classifier_
    assert classifier.vectors_ is embedder.vectors_
    new, known = X_new["name"].iloc[0], X["name"].iloc[0]
    distance = np.sum(np.square(embedder.transform(X_new[:1]) - embedder.transform(X[:1])))
    pair = pd.DataFrame({"item_x": [new], "item_y": [known]})
    expected = expit(classifier.vectors_.log_odds(distance))
    assert classifier.predict_proba(pair)[0, 1] == pytest.approx(expected, rel=1e-12)


def test_a_pickled_embedder_keeps_its_unseen_regressor(held_out_css4):
    (X, y), (X_new, _) = held_out_css4
    embedder = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    loaded = pickle.loads(pickle.dumps(embedder))
    np.testing.assert_array_equal(loaded.transform(X_new), embedder.transform(X_new))


def test_training_names_without_a_token_get_the_unseen_regressors_vector_too(xkcd):
    # With name_vectors=False, a training name none of whose words is kept
    # (min_df=2) has no vector of its own: the regressor gives it one.
    X, y = xkcd[0].iloc[:300], xkcd[1].iloc[:300]
    reading = dict(vectorizer=TfidfVectorizer(min_df=2), name_vectors=False)
    with pytest.warns(UserWarning, match="no token that the vectorizer keeps"):
        plain = small_embedder(**reading, handle_unknown="ignore").fit(X, y)
    without = np.isnan(plain.embedding_.to_numpy()[:, 0])
    assert without.any()
    embedder = small_embedder(**reading, unseen_regressor=nearest_name_regressor())
    with pytest.warns(UserWarning, match="no token that the vectorizer keeps"):
        embedder.fit(X, y)
    vectors = embedder.embedding_.to_numpy()
    np.testing.assert_array_equal(vectors[~without], plain.embedding_.to_numpy()[~without])
    np.testing.assert_array_equal(vectors, embedder.transform(X))
    assert np.isfinite(vectors).all()
    assert embedder.classifier_.vectors_ is embedder.vectors_
