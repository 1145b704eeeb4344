import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from sk_colour_embed import InSampleSplit, PairSampler, PairSimilarityEmbedder

from conftest import product_table, small_embedder, words_embedder


def test_pipeline_with_a_downstream_regressor(css4):
    X, y = css4

    def r2(epochs):
        embedder = small_embedder(
            n_components=3, sampler=PairSampler(n_pairs=20_000), epochs=epochs
        )
        pipeline = make_pipeline(embedder, KNeighborsRegressor(n_neighbors=5)).fit(X, y)
        assert pipeline.predict(X.head(2)).shape == (2, 3)
        return pipeline.score(X, y)

    # The learned vectors alone locate each colour well enough to predict its
    # RGB; the near-random vectors after one epoch do not.
    trained, untrained = r2(40), r2(1)
    assert trained > 0.6
    assert trained > untrained + 0.3


def test_grid_search_over_dimensions_and_threshold(css4):
    X, y = css4
    grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
    search = GridSearchCV(small_embedder(), grid, cv=InSampleSplit()).fit(X, y)
    assert search.best_params_.keys() == grid.keys()
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 6 and np.isfinite(scores).all() and len(set(scores)) == 6
    assert search.best_score_ == scores.max()
    assert search.best_estimator_.sampler_.threshold == search.best_params_["sampler__threshold"]
    assert search.transform(X.head(1)).shape == (1, search.best_params_["n_components"])


def test_grid_search_over_the_default_sampler(css4):
    X, y = css4
    embedder = PairSimilarityEmbedder(epochs=2, batch_size=128, random_state=0)
    assert embedder.sampler is None
    grid = {"sampler__threshold": [0.1, 0.4], "sampler__n_pairs": [2000]}
    search = GridSearchCV(embedder, grid, cv=InSampleSplit()).fit(X, y)
    assert search.best_estimator_.sampler_.n_pairs == 2000
    assert embedder.sampler is None  # GridSearchCV works on clones
    assert (
        embedder.set_params(sampler__power=1.0).sampler.get_params()
        == PairSampler(power=1.0).get_params()
    )


@pytest.mark.slow  # worker processes that import TensorFlow
def test_grid_search_on_a_dask_cluster_of_worker_processes(css4):
    import joblib
    from dask.distributed import Client, LocalCluster

    X, y = css4
    grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.4]}
    serial = GridSearchCV(small_embedder(), grid, cv=InSampleSplit()).fit(X, y)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
        joblib.parallel_config(backend="dask"),
    ):
        search = GridSearchCV(small_embedder(), grid, cv=InSampleSplit(), n_jobs=-1).fit(X, y)
        trained_in = client.run(lambda: "sk_colour_embed._engine" in sys.modules)
        threads = client.run(lambda: os.environ.get("TF_NUM_INTRAOP_THREADS"))
    assert any(trained_in.values())  # the fits ran in the worker processes
    assert list(threads.values()) == ["1", "1"]  # TensorFlow keeps to its worker's thread
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == serial.best_params_


def test_in_sample_split_trains_and_tests_on_all_rows(css4):
    X, _ = css4
    ((train, test),) = InSampleSplit().split(X)
    np.testing.assert_array_equal(train, np.arange(148))
    np.testing.assert_array_equal(test, train)
    assert InSampleSplit().get_n_splits() == 1


def test_frozen_embedder_in_a_column_transformer(fitted_css4, css4):
    X, y = css4
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "name": X["name"].sample(300, replace=True, random_state=0).to_numpy(),
            "size": rng.uniform(size=300),
        }
    )
    target = table["size"] + table["name"].map(dict(zip(X["name"], y["r"], strict=True)))
    model = make_pipeline(
        ColumnTransformer(
            [("colour", FrozenEstimator(fitted_css4), ["name"]), ("size", "passthrough", ["size"])]
        ),
        LinearRegression(),
    )
    before = fitted_css4.embedding_.copy()
    model.fit(table, target)
    pd.testing.assert_frame_equal(fitted_css4.embedding_, before)  # not refitted
    assert model[0].transform(table).shape == (300, 3)
    assert model[0].get_feature_names_out()[0] == "colour__pairsimilarityembedder0"


def test_clone_and_pickle(fitted_css4, css4):
    X, _ = css4
    cloned = clone(fitted_css4)
    assert cloned.get_params()["epochs"] == fitted_css4.epochs
    assert not hasattr(cloned, "embedding_")
    restored = pickle.loads(pickle.dumps(fitted_css4))
    np.testing.assert_array_equal(restored.transform(X), fitted_css4.transform(X))


def test_nested_parameters_are_settable():
    embedder = small_embedder()
    embedder.set_params(sampler__threshold=0.3)
    assert embedder.get_params()["sampler__threshold"] == 0.3


@pytest.mark.slow  # 11 fits on the 949 xkcd colours
def test_default_cv_grid_search_scores_held_out_names(xkcd):
    X, y = xkcd
    # the default handle_unknown: held-out names with no known word are left out of the score
    embedder = words_embedder(
        sampler=PairSampler(n_pairs=10_000), epochs=10, handle_unknown="error"
    )
    grid = {"n_components": [2, 3]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # names without a known word
        search = GridSearchCV(embedder, grid).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and (scores > 0.3).all()
    # a split's score is the embedder's score on that split's held-out names
    train, test = next(KFold(5).split(X))
    refit = clone(embedder).set_params(n_components=2).fit(X.iloc[train], y.iloc[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = refit.score(X.iloc[test], y.iloc[test])
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected)


LOOKUP_DEFAULT_CV_SEARCH = """
from sklearn.model_selection import GridSearchCV
from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
X, y = load_colours("css4", return_X_y=True)
embedder = PairSimilarityEmbedder(sampler=PairSampler(n_pairs=500), epochs=20, random_state=0)
grid = {{"n_components": [2, 3]}}
search = GridSearchCV(embedder.set_params(handle_unknown={handle_unknown!r}), grid).fit(X, y)
print(search.best_score_)
"""


@pytest.mark.slow  # fresh processes that import TensorFlow, one for each handle_unknown
def test_a_lookup_search_under_the_default_cv_says_why_once():
    # What a user sees, in a fresh process under Python's default warning filters: 2
    # candidates x 5 splits, each split's items never seen in fit. The two run at once.
    started = {
        handle_unknown: subprocess.Popen(
            [sys.executable, "-c", LOOKUP_DEFAULT_CV_SEARCH.format(handle_unknown=handle_unknown)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for handle_unknown in ["error", "ignore"]
    }
    for handle_unknown, process in started.items():
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stderr
        assert stdout.strip() == "nan", handle_unknown
        assert "Traceback" not in stderr
        ours = [line for line in stderr.splitlines() if "score is NaN" in line]
        assert len(ours) == 1, (handle_unknown, ours)
        for way_out in ("cv=InSampleSplit()", "vectorizer", "reference=(X, y)"):
            assert way_out in ours[0]


@pytest.mark.slow  # judged on the 949 xkcd colours
def test_a_pipeline_predicts_the_colour_of_names_it_never_saw(xkcd):
    X, y = xkcd
    predictor = make_pipeline(
        words_embedder(sampler=PairSampler(n_pairs=20_000), epochs=20),
        SimpleImputer(),  # a name with no known word gets the mean vector
        KNeighborsRegressor(5),
    )
    folds = KFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        error = -cross_val_score(predictor, X, y, cv=folds, scoring="neg_root_mean_squared_error")
    baseline = -cross_val_score(
        DummyRegressor(), X, y, cv=folds, scoring="neg_root_mean_squared_error"
    )
    assert error.mean() < 0.85 * baseline.mean()


def test_a_pipeline_that_would_learn_vectors_from_class_labels_warns(css4):
    X, y = css4
    warm = (y["r"] - y["b"] > 0.2).to_numpy()
    pipeline = make_pipeline(small_embedder(epochs=2), LogisticRegression())
    with pytest.warns(UserWarning, match=r"like class labels.*FrozenEstimator") as record:
        pipeline.fit(X, warm)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # real descriptors: no warning
        small_embedder(epochs=2).fit(X, y)
        small_embedder(epochs=2).fit(X, y["r"])


def reference_embedder(reference, **params):
    """A token embedder learning from ``reference``, for a column of free-text colour names."""
    reader = make_union(
        TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
    )
    defaults = dict(
        n_components=3,
        vectorizer=reader,
        sampler=PairSampler(n_pairs=3_000),
        epochs=10,
        batch_size=128,
        learning_rate=0.01,
        handle_unknown="ignore",
        reference=reference,
        random_state=0,
    )
    return PairSimilarityEmbedder(**{**defaults, **params})


def product_pipeline(embedder):
    return Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [("colour", embedder, ["product_colour"]), ("price", "passthrough", ["price"])]
                ),
            ),
            ("impute", SimpleImputer()),
            ("ridge", Ridge(alpha=0.1)),
        ]
    )


def count_trainings(monkeypatch):
    """The list that gets one entry per training of an embedder (a fit on descriptors)."""
    trainings = []
    fit = PairSimilarityEmbedder._fit

    def counted(self, *args):
        trainings.append(self.get_params(deep=False)["n_components"])
        return fit(self, *args)

    monkeypatch.setattr(PairSimilarityEmbedder, "_fit", counted)
    return trainings


def test_the_downstream_score_tunes_an_embedder_with_a_reference(css4, monkeypatch):
    X, y = css4
    table, target = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    grid = {
        "columns__colour__n_components": [2, 3, 5],
        "columns__colour__sampler__threshold": [0.1, 0.4],
    }
    search = GridSearchCV(product_pipeline(reference_embedder((X, y))), grid)  # 5-fold
    search.fit(table, target)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and len(set(scores)) == 6
    # One training per setting: the 30 fits of the folds and the refit share them.
    assert len(trainings) == 6
    best = search.best_estimator_["columns"].named_transformers_["colour"]
    assert best.n_components == search.best_params_["columns__colour__n_components"]
    alone = clone(best).set_params(reference=None).fit(X, y)  # the same settings, on its own
    np.testing.assert_array_equal(best.vectors_.token_vectors, alone.vectors_.token_vectors)
    assert list(best.feature_names_in_) == ["product_colour"]


def test_a_reference_fit_never_uses_y(css4):
    X, y = css4
    table, target = product_table(X, y)
    embedder = reference_embedder((X, y), random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # class labels as y: no warning, y is not used
        warnings.simplefilter("ignore", ConvergenceWarning)  # the fit is short on purpose
        on_labels = clone(embedder).fit(table[["product_colour"]], target > target.mean())
    on_nothing = clone(embedder).fit(table["product_colour"])
    on_prices = clone(embedder).fit(table[["product_colour"]], table["price"])
    for other in (on_nothing, on_prices):
        np.testing.assert_array_equal(on_labels.vectors_.vectors, other.vectors_.vectors)
    assert on_labels.transform(table[["product_colour"]]).shape == (40, 3)


def test_a_bad_reference_is_named(css4):
    X, y = css4
    table, _ = product_table(X, y)
    names = table[["product_colour"]]
    cases = [
        ((X, y.astype(str) + "x"), r"reference=\(X, y\).*y must hold numeric descriptors"),
        ((X.head(1), y.head(1)), r"reference=\(X, y\).*at least 2 distinct items"),
        ((X, y, y), r"reference must be \(X, y\).*holds 3 value\(s\)"),
        ((X, None), r"reference=\(X, y\).*requires y to be passed"),
    ]
    for reference, message in cases:
        embedder = reference_embedder(reference)
        with pytest.raises(ValueError, match=message):
            embedder.fit(names)
        assert not hasattr(embedder, "vectors_")
    one_shot = [
        (((name for name in X["name"]), y), r"reference\[0\] \(X\) is a generator"),
        ((X, (row for row in y.to_numpy())), r"reference\[1\] \(y\) is a generator"),
        ((X, [iter(row) for row in y.to_numpy()]), r"reference\[1\] \(y\)\[0\] is a"),
    ]
    for reference, message in one_shot:  # pickle's words were "cannot pickle 'generator'"
        embedder = reference_embedder(reference)
        with pytest.raises(TypeError, match=message + ".*can be read only once"):
            embedder.fit(names)
        assert not hasattr(embedder, "vectors_")
    lookup = reference_embedder((X, y), vectorizer=None)
    with pytest.raises(ValueError, match=r"X has 2 key column\(s\), but the reference's X has 1"):
        lookup.fit(table)


def test_no_reference_still_needs_descriptors(css4):
    X, _ = css4
    with pytest.raises(ValueError, match="requires y to be passed.*reference=\\(X, y\\)"):
        small_embedder().fit(X)
