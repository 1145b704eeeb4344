"""Fits of an embedder with a reference, kept for their settings."""

import errno
import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from test_composition import count_trainings, product_pipeline, reference_embedder

from sk_colour_embed import PairSampler, PairSimilarityEmbedder, _cache_files
from sk_colour_embed._reference import FITS, MAX_FITS

from conftest import half_written_writes, product_table


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


# The memory folder never costs a fit: whatever is in it, or wherever it points.


def uncached_vectors(X, y, table):
    """The token vectors of the reference embedder's fit without any cache."""
    FITS.clear()
    fitted = reference_embedder((X, y)).fit(table["product_colour"])
    FITS.clear()
    return fitted.vectors_.token_vectors


def kept_files(location):
    """The files under a memory folder, by path under it."""
    return sorted(str(p.relative_to(location)) for p in Path(location).rglob("*") if p.is_file())


def memory_warnings(caught, location):
    ours = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    for warning in ours:
        assert f"memory={str(location)!r}" in str(warning.message)
    return ours


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: b"\x00garbage" * 100,  # overwritten
        lambda data: b"",  # emptied
    ],
    ids=["cut short", "overwritten", "emptied"],
)
def test_a_damaged_kept_fit_is_fitted_again_and_replaced_quietly(
    damage, css4, monkeypatch, tmp_path, capfd
):
    X, y = css4
    table, _ = product_table(X, y)
    expected = uncached_vectors(X, y, table)
    trainings = count_trainings(monkeypatch)
    reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    (kept,) = kept_files(tmp_path)
    assert Path(kept).name == "output.pkl"
    (tmp_path / kept).write_bytes(damage((tmp_path / kept).read_bytes()))
    FITS.clear()  # another process: the folder alone
    capfd.readouterr()
    with pytest.warns(RuntimeWarning) as caught:
        fitted = reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    np.testing.assert_array_equal(fitted.vectors_.token_vectors, expected)
    assert len(memory_warnings(caught, tmp_path)) == 1
    assert "fitted again and replaced" in str(caught[0].message)
    # joblib.Memory printed a traceback and the whole reference here.
    assert "Traceback" not in capfd.readouterr().err
    assert len(trainings) == 2 and kept_files(tmp_path) == [kept]
    FITS.clear()
    reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    assert len(trainings) == 2  # the replaced fit is whole


def refused(*args, **kwargs):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@pytest.mark.parametrize(
    "fault, why",
    [
        ("a file", "Not a directory"),
        ("a full disk", "No space left on device"),
        ("read-only", "Permission denied"),
        ("unreadable", "Permission denied"),
    ],
)
def test_a_memory_that_cannot_be_used_costs_no_fit_and_is_named_once(
    fault, why, css4, monkeypatch, tmp_path, capfd
):
    # Tests run as root, whom permissions do not stop: the refusal is the system's answer.
    X, y = css4
    table, _ = product_table(X, y)
    expected = uncached_vectors(X, y, table)
    location = tmp_path / "memory"
    if fault == "a file":
        location.write_text("not a folder")
    elif fault == "unreadable":
        reference_embedder((X, y), memory=str(location)).fit(table["product_colour"])
        FITS.clear()
        monkeypatch.setattr(_cache_files, "open", refused, raising=False)
    else:
        half_written_writes(monkeypatch, errno.ENOSPC if fault == "a full disk" else errno.EACCES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joblib's own, when the Memory is made on a file
        memories = [str(location), joblib.Memory(location, verbose=0)]
    before = kept_files(location) if location.is_dir() else None
    with pytest.warns(RuntimeWarning) as caught:
        for memory in memories:  # a search's later fits
            FITS.clear()
            fitted = reference_embedder((X, y), memory=memory).fit(table["product_colour"])
            np.testing.assert_array_equal(fitted.vectors_.token_vectors, expected)
    (warning,) = memory_warnings(caught, location)
    assert f"cannot be used ({why})" in str(warning.message)
    assert "Traceback" not in capfd.readouterr().err
    if before is not None:
        assert kept_files(location) == before  # no half-written or temporary file


KEPT_FIT = """
import hashlib, os, sys
sys.path.insert(0, {tests!r})
if os.environ.get("KILLED_WHILE_WRITING"):
    import sk_colour_embed._cache_files as files
    files.os.fsync = lambda fd: os._exit(9)  # the temporary file written, not renamed
from conftest import product_table
from sk_colour_embed import load_colours
from test_composition import reference_embedder
X, y = load_colours("css4", return_X_y=True)
table, _ = product_table(X, y)
fitted = reference_embedder((X, y), memory={memory!r}).fit(table["product_colour"])
print(hashlib.sha256(fitted.vectors_.token_vectors.tobytes()).hexdigest())
"""


def start_kept_fit(memory, **environment):
    code = KEPT_FIT.format(tests=str(Path(__file__).parent), memory=str(memory))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), **environment}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_a_process_killed_while_keeping_a_fit_leaves_nothing_that_breaks_or_stays(
    css4, monkeypatch, tmp_path
):
    X, y = css4
    table, _ = product_table(X, y)
    killed = start_kept_fit(tmp_path, KILLED_WHILE_WRITING="1")
    killed.communicate()
    assert killed.returncode == 9
    (debris,) = kept_files(tmp_path)  # its temporary file, never renamed
    assert Path(debris).name.startswith(".") and Path(debris).name.endswith(".tmp")
    expected = uncached_vectors(X, y, table)
    trainings = count_trainings(monkeypatch)
    fitted = reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    np.testing.assert_array_equal(fitted.vectors_.token_vectors, expected)
    assert len(trainings) == 1
    (kept,) = kept_files(tmp_path)  # the debris removed, the fit kept whole
    assert Path(kept).name == "output.pkl"


@pytest.mark.slow  # fresh processes that import TensorFlow
def test_two_processes_at_once_keep_one_whole_fit(css4, monkeypatch, tmp_path):
    X, y = css4
    table, _ = product_table(X, y)
    processes = [start_kept_fit(tmp_path), start_kept_fit(tmp_path)]
    hashes = []
    for process in processes:
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stderr
        hashes.append(stdout.strip())
    (kept,) = kept_files(tmp_path)
    trainings = count_trainings(monkeypatch)
    FITS.clear()
    fitted = reference_embedder((X, y), memory=str(tmp_path)).fit(table["product_colour"])
    assert len(trainings) == 0  # read from the folder, whole
    expected = uncached_vectors(X, y, table)
    np.testing.assert_array_equal(fitted.vectors_.token_vectors, expected)
    assert hashes == [hashlib.sha256(expected.tobytes()).hexdigest()] * 2


def test_joblib_bounds_and_clears_the_kept_fits(css4, monkeypatch, tmp_path):
    X, y = css4
    table, _ = product_table(X, y)
    memory = joblib.Memory(tmp_path, verbose=0)
    trainings = count_trainings(monkeypatch)
    for clear in (lambda: memory.reduce_size(items_limit=0), memory.clear):
        FITS.clear()
        reference_embedder((X, y), memory=memory).fit(table["product_colour"])
        assert [name for name in kept_files(tmp_path) if name.endswith("output.pkl")]
        clear()
        assert not [name for name in kept_files(tmp_path) if name.endswith("output.pkl")]
    assert len(trainings) == 2
