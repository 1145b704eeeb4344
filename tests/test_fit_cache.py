"""Fits of an embedder with a reference, kept for their settings."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from test_composition import count_trainings, product_pipeline, reference_embedder

from sk_colour_embed import PairSampler, PairSimilarityEmbedder
from sk_colour_embed._fit_cache import FITS, MAX_FITS

from conftest import product_table


@pytest.fixture(autouse=True)
def no_kept_fits():
    FITS.clear()
    yield
    FITS.clear()


def test_a_kept_fit_is_bit_for_bit_a_fresh_one_and_a_copy(css4, monkeypatch):
    X, y = css4
    table, _ = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    first = reference_embedder((X, y), record_every=5).fit(table["product_colour"])
    kept = reference_embedder((X, y), record_every=5).fit(table["product_colour"])
    assert len(trainings) == 1
    FITS.clear()
    fresh = reference_embedder((X, y), record_every=5).fit(table["product_colour"])
    assert len(trainings) == 2
    for embedder in (kept, fresh):
        np.testing.assert_array_equal(embedder.vectors_.token_vectors, first.vectors_.token_vectors)
        np.testing.assert_array_equal(embedder.recording_, first.recording_)
        assert embedder.history_ == first.history_
    kept.vectors_.token_vectors[:] = 0  # each estimator has its own copy
    assert np.abs(first.vectors_.token_vectors).sum() > 0


def test_unseeded_fits_are_never_kept(css4, monkeypatch):
    X, y = css4
    table, _ = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    for random_state in (None, np.random.RandomState(0)):
        for _ in range(2):
            reference_embedder((X, y), random_state=random_state).fit(table["product_colour"])
    # a seeded embedder whose sampler draws from a shared RandomState is unseeded too
    seeded_sampler = PairSampler(n_pairs=3_000, random_state=np.random.RandomState(1))
    for _ in range(2):
        reference_embedder((X, y), sampler=seeded_sampler).fit(table["product_colour"])
    assert len(trainings) == 6


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a short fit
def test_an_unseen_regressor_left_unseeded_is_seeded_by_the_embedder_so_the_fit_is_kept(
    css4, monkeypatch
):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline

    X, y = css4
    table, _ = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    regressor = make_pipeline(
        TfidfVectorizer(analyzer="char_wb"), MLPRegressor(hidden_layer_sizes=4, max_iter=20)
    )
    first, kept = (
        reference_embedder((X[["name"]], y), vectorizer=None, unseen_regressor=regressor).fit(
            table["product_colour"]
        )
        for _ in range(2)
    )
    assert len(trainings) == 1
    new = table["product_colour"].iloc[:5].to_frame()
    np.testing.assert_array_equal(kept.transform(new), first.transform(new))


def test_the_kept_fits_are_bounded(css4, monkeypatch):
    X, y = css4
    table, _ = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    fits = [reference_embedder((X, y), epochs=1, random_state=seed) for seed in range(MAX_FITS)]
    for embedder in fits + fits[1:]:  # all kept: the second round trains nothing
        clone(embedder).fit(table["product_colour"])
    assert len(trainings) == MAX_FITS
    clone(fits[0]).set_params(random_state=MAX_FITS).fit(table["product_colour"])
    clone(fits[1]).fit(table["product_colour"])  # still kept (used last)
    clone(fits[0]).fit(table["product_colour"])  # the least recently used, dropped
    assert len(trainings) == MAX_FITS + 2


def test_a_named_memory_serves_other_processes(css4, monkeypatch, tmp_path):
    X, y = css4
    table, _ = product_table(X, y)
    trainings = count_trainings(monkeypatch)
    first = reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    FITS.clear()  # what another process sees: the folder alone
    other = reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    assert len(trainings) == 1
    np.testing.assert_array_equal(other.vectors_.token_vectors, first.vectors_.token_vectors)


def test_a_parallel_search_with_a_memory_scores_as_a_serial_one(css4, tmp_path):
    X, y = css4
    table, target = product_table(X, y)
    grid = {"columns__colour__n_components": [2, 3]}
    pipeline = product_pipeline(reference_embedder((X, y), memory=str(tmp_path)))
    serial = GridSearchCV(pipeline, grid, cv=3).fit(table, target)
    parallel = GridSearchCV(pipeline, grid, cv=3, n_jobs=2).fit(table, target)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert isinstance(serial.best_estimator_[0].transformers[0][1], PairSimilarityEmbedder)
