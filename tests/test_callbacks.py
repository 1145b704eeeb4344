"""scikit-learn's callbacks on both estimators: a fit is a task, each epoch a subtask of it."""

import os
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from sk_colour_embed import InSampleSplit, PairSampler, PairSimilarityClassifier

from conftest import small_embedder


class Recording:
    """Records the hooks scikit-learn calls, as its own tests' callback does.

    ``stop_after`` (an epoch counted from 1, or None) asks training to stop at
    the end of that epoch.
    """

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", context))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context, fitted_estimator))
        return context.task_name == "epoch" and context.task_id + 1 == self.stop_after

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))

    def epochs(self, hook="end"):
        """The epoch tasks whose ``hook`` was called, in order."""
        return [e[1] for e in self.events if e[0] == hook and e[1].task_name == "epoch"]


class PropagatedRecording(Recording):
    """A :class:`Recording` that meta-estimators hand down to their estimators, at any depth."""

    max_propagation_depth = None


def small_classifier(**params):
    defaults = dict(epochs=5, batch_size=64, learning_rate=0.01, random_state=0)
    return PairSimilarityClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def colour_pairs(css4):
    X, y = css4
    return PairSampler(n_pairs=2000, random_state=0).fit_resample(X, y)


@pytest.fixture(params=["embedder", "classifier"])
def estimator_and_data(request, css4, colour_pairs):
    """A function that makes a small estimator of one kind, and its data."""
    if request.param == "embedder":
        return (lambda **params: small_embedder(**{"epochs": 5, **params})), css4
    return small_classifier, colour_pairs


def test_each_epoch_is_a_subtask_of_the_fit(estimator_and_data):
    make, (X, y) = estimator_and_data
    recording = Recording()
    estimator = make().set_callbacks(recording).fit(X, y)
    kinds = [event[0] for event in recording.events]
    assert kinds == ["setup", "begin", *["begin", "end"] * 5, "end", "teardown"]
    fit = recording.events[1][1]
    assert (fit.task_name, fit.max_subtasks, fit.parent) == ("fit", 5, None)
    epochs = recording.epochs()
    assert [task.task_id for task in epochs] == list(range(5)) == list(fit._children_map)
    assert all(task.parent is fit for task in epochs)
    # Each epoch's estimator predicts as after that epoch; the last as the fitted one.
    fitted = [event[2] for event in recording.events if event[0] == "end"]
    assert [f.n_iter_ for f in fitted[:5]] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(fitted[4].vectors_.vectors, estimator.vectors_.vectors)
    assert not np.array_equal(fitted[3].vectors_.vectors, estimator.vectors_.vectors)
    if hasattr(estimator, "sampler_"):  # the embedder's epochs: the sampler that drew the pairs
        assert all(f.sampler_ is estimator.sampler_ for f in fitted[:5])
    # The hooks leave nothing behind but the callbacks set.
    assert estimator._skl_callbacks == [recording]
    assert not hasattr(estimator, "_callback_fit_ctx")


def test_callbacks_change_nothing_in_the_fit(estimator_and_data):
    make, (X, y) = estimator_and_data
    plain = make().fit(X, y)
    # Recording asks for each epoch's fitted estimator, the bar for nothing.
    monitored = make().set_callbacks(Recording(), ProgressBar()).fit(X, y)
    np.testing.assert_array_equal(plain.vectors_.vectors, monitored.vectors_.vectors)
    assert plain.history_ == monitored.history_


def test_scoring_monitor_scores_the_embedder_after_each_epoch(css4):
    X, y = css4
    embedder = small_embedder(epochs=8)
    monitor = ScoringMonitor(scoring={"spearman": type(embedder).score})
    embedder.set_callbacks(monitor).fit(X, y)
    scores = monitor.get_logs().data_as_pandas
    epochs = scores[scores["task_name"] == "epoch"]
    assert epochs["task_id"].tolist() == list(range(8))
    assert epochs["spearman"].iloc[-1] == embedder.score(X, y)
    assert epochs["spearman"].iloc[0] < epochs["spearman"].iloc[-1]


def test_scoring_monitor_scores_the_classifier_after_each_epoch(colour_pairs):
    X, y = colour_pairs
    classifier = small_classifier(epochs=6)
    monitor = ScoringMonitor(scoring=["accuracy", "roc_auc"])
    classifier.set_callbacks(monitor).fit(X, y)
    scores = monitor.get_logs().data_as_pandas
    epochs = scores[scores["task_name"] == "epoch"]
    assert len(epochs) == 6
    assert epochs["accuracy"].iloc[-1] == classifier.score(X, y)
    assert epochs["roc_auc"].iloc[0] < epochs["roc_auc"].iloc[-1]


def test_a_callback_can_stop_training_after_an_epoch(estimator_and_data):
    make, (X, y) = estimator_and_data
    recording = Recording(stop_after=3)
    with warnings.catch_warnings():
        # Stopped on purpose: not a fit that has not converged.
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = make(epochs=20).set_callbacks(recording).fit(X, y)
    three = make(epochs=3).fit(X, y)
    assert stopped.n_iter_ == 3 == len(stopped.history_["loss"])
    np.testing.assert_array_equal(stopped.vectors_.vectors, three.vectors_.vectors)
    assert len(recording.epochs("begin")) == len(recording.epochs("end")) == 3


def test_early_stopping_ends_the_epoch_it_did_not_run_as_an_empty_task(css4):
    X, y = css4
    recording = Recording()
    settings = dict(epochs=300, learning_rate=0.05, early_stopping=True, validation_fraction=None)
    embedder = small_embedder(**settings, tol=1e-2).set_callbacks(recording).fit(X, y)
    assert embedder.n_iter_ < 300
    # As scikit-learn's LogisticRegression: every task begun ends, the last one empty.
    begun, ended = recording.epochs("begin"), recording.epochs("end")
    assert begun == ended and len(ended) == embedder.n_iter_ + 1
    last_end = [event for event in recording.events if event[0] == "end"][-2]
    assert last_end[1] is ended[-1] and last_end[2] is None


def test_grid_search_hands_its_callbacks_to_each_fit_and_its_epochs(css4):
    X, y = css4
    recording = PropagatedRecording()
    search = GridSearchCV(small_embedder(epochs=3), {"n_components": [2, 3]}, cv=InSampleSplit())
    search.set_callbacks(recording).fit(X, y)
    epochs = recording.epochs()
    # Two candidates on one split, and the refit: three fits of three epochs.
    assert len(epochs) == 9 and {task.estimator_name for task in epochs} == {
        "PairSimilarityEmbedder"
    }
    fits = {task.parent for task in epochs}
    assert len(fits) == 3
    assert {fit.source_estimator_name for fit in fits} == {"GridSearchCV"}
    # One setup and teardown, by the search: the estimators' fits are its tasks.
    assert [e[0] for e in recording.events].count("setup") == 1


# scikit-learn's word that the pipeline's last step does not take callbacks.
NO_CALLBACKS_DOWNSTREAM = pytest.mark.filterwarnings(
    "ignore:The estimator KNeighborsRegressor does not support callbacks:UserWarning"
)


@NO_CALLBACKS_DOWNSTREAM
def test_a_pipeline_hands_its_callbacks_to_the_embedder_step(css4):
    X, y = css4
    recording = PropagatedRecording()
    pipeline = make_pipeline(small_embedder(epochs=4), KNeighborsRegressor(3))
    pipeline.set_callbacks(recording).fit(X, y)
    (fit,) = {task.parent for task in recording.epochs()}
    assert len(recording.epochs()) == 4
    assert (fit.estimator_name, fit.source_estimator_name) == ("PairSimilarityEmbedder", "Pipeline")


def test_with_a_reference_the_fit_is_one_task_and_trains_without_the_callbacks(css4):
    X, y = css4
    recording = Recording()
    embedder = small_embedder(epochs=3, reference=(X, y)).set_callbacks(recording)
    embedder.fit(X.head(10))
    assert [event[0] for event in recording.events] == ["setup", "begin", "end", "teardown"]
    assert embedder._skl_callbacks == [recording] and embedder.n_iter_ == 3


def test_verbose_is_a_progress_bar_for_the_fit_alone(css4, capsys):
    X, y = css4
    embedder = small_embedder(verbose=1).fit(X, y)
    printed = capsys.readouterr().out
    # Not on a terminal, scikit-learn's bar (rich) draws its last state once.
    assert re.fullmatch(r"PairSimilarityEmbedder - fit \S+ 100% \d:\d\d:\d\d\n", printed), printed
    assert not hasattr(embedder, "_skl_callbacks")  # the bar was the fit's alone
    # Set as a callback, the same bar.
    small_embedder().set_callbacks(ProgressBar()).fit(X, y)
    assert re.sub(r"\d", "0", capsys.readouterr().out) == re.sub(r"\d", "0", printed)


@NO_CALLBACKS_DOWNSTREAM
def test_verbose_inside_a_meta_estimator_says_where_the_bar_goes(css4, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich's width when not on a terminal
    X, y = css4
    pipeline = make_pipeline(small_embedder(epochs=2, verbose=1), KNeighborsRegressor(3))
    with pytest.warns(UserWarning, match=r"verbose=1\) shows no progress bar inside a meta-est"):
        pipeline.fit(X, y)
    assert capsys.readouterr().out == ""
    # On the outermost estimator, the bar shows each fit under it.
    pipeline.set_callbacks(ProgressBar())
    pipeline.set_params(pairsimilarityembedder__verbose=0).fit(X, y)
    printed = capsys.readouterr().out
    assert "Pipeline - fit" in printed and "PairSimilarityEmbedder - fit" in printed


def run_on_a_terminal(code):
    """Run ``code`` with its stdout on a pseudo-terminal; its output and stderr."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=follower, stderr=subprocess.PIPE, text=True
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    stderr = process.communicate()[1]
    assert process.returncode == 0, stderr
    return output.decode(), stderr


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_on_a_terminal_the_bar_moves_epoch_by_epoch():
    # Rich redraws ten times a second: a callback that holds each epoch for 20 ms
    # makes the fit last 4 s after its compilation, whatever the machine's speed.
    code = """
import time
from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours

class Slow:
    def setup(self, estimator, context): pass
    def on_fit_task_begin(self, estimator, context, **kwargs): pass
    def on_fit_task_end(self, estimator, context, **kwargs): time.sleep(0.02)
    def teardown(self, estimator, context): pass

X, y = load_colours('css4', return_X_y=True)
PairSimilarityEmbedder(
    sampler=PairSampler(n_pairs=200), epochs=200, verbose=1, random_state=0
).set_callbacks(Slow()).fit(X, y)
"""
    text, _ = run_on_a_terminal(code)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    shown = [int(p) for p in re.findall(r"PairSimilarityEmbedder - fit \S* *(\d+)%", plain)]
    assert len(set(shown) - {0, 100}) >= 10 and shown[-1] == 100, plain
    assert shown == sorted(shown), plain  # it only moves forward


NO_RICH = """
import sys
sys.modules['rich'] = None  # any import of rich now fails
import pickle, pandas as pd
import sk_colour_embed
from sk_colour_embed import PairSimilarityClassifier, PairSimilarityEmbedder
embedder = pickle.loads(open({path!r}, 'rb').read())
print(embedder.transform(pd.DataFrame({{'name': ['red']}})).tolist())
"""


@pytest.mark.slow  # a fresh Python process
def test_the_package_imports_and_transforms_without_rich(fitted_css4, tmp_path):
    path = tmp_path / "embedder.pkl"
    embedder = pickle.loads(pickle.dumps(fitted_css4)).set_callbacks(ProgressBar())
    path.write_bytes(pickle.dumps(embedder))
    result = subprocess.run(
        [sys.executable, "-c", NO_RICH.format(path=str(path))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    expected = fitted_css4.transform(pd.DataFrame({"name": ["red"]})).tolist()
    assert result.stdout.strip() == str(expected)


def test_scoring_monitor_needs_named_scores_in_scikit_learn_1_9():
    # What docs/design.md says of scikit-learn 1.9.1, for any estimator: ScoringMonitor
    # updates a dict with the scorer's float. When this fails, the note can go.
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(TypeError, match="'float' object is not iterable"):
        LogisticRegression().set_callbacks(ScoringMonitor(scoring=None)).fit(X, y)
