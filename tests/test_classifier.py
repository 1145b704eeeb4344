import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_colour_embed import PairSampler, PairSimilarityClassifier
from sk_colour_embed._warnings import UninformativePairsWarning

from conftest import nearest_name_regressor, small_embedder


def small_classifier(**params):
    defaults = dict(epochs=30, batch_size=128, learning_rate=0.01, random_state=0)
    return PairSimilarityClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def colour_pairs(css4):
    """Labelled colour pairs from the tutorial's rule: a training and a test set."""
    X, y = css4
    train = PairSampler(n_pairs=20_000, random_state=0).fit_resample(X, y)
    test = PairSampler(n_pairs=2_000, random_state=1).fit_resample(X, y)
    return train, test


@pytest.fixture(scope="module")
def fitted(colour_pairs):
    (pairs, similar), _ = colour_pairs
    return small_classifier().fit(pairs, similar)


def test_the_sampler_output_feeds_the_classifier_which_learns_the_rule(fitted, colour_pairs):
    _, (pairs, similar) = colour_pairs
    assert list(fitted.classes_) == [0, 1]
    auc = roc_auc_score(similar, fitted.predict_proba(pairs)[:, 1])
    untrained = clone(fitted).set_params(epochs=1, learning_rate=1e-6)
    untrained.fit(*colour_pairs[0])
    assert auc > 0.85  # on pairs it never saw, of items it did
    assert auc > roc_auc_score(similar, untrained.predict_proba(pairs)[:, 1]) + 0.2


def test_probabilities_decisions_and_labels_agree(fitted, colour_pairs):
    _, (pairs, _) = colour_pairs
    probabilities = fitted.predict_proba(pairs)
    decision = fitted.decision_function(pairs)
    np.testing.assert_allclose(probabilities[:, 1], expit(decision), rtol=1e-12)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    expected = (probabilities[:, 1] >= fitted.threshold_).astype(int)
    np.testing.assert_array_equal(fitted.predict(pairs), expected)
    # The decision falls with the distance of the two vectors.
    vectors = fitted.vectors_
    first, second = (vectors.get_vectors(pairs[c]) for c in ("item_x", "item_y"))
    distance = np.sum((first - second) ** 2, axis=1)
    np.testing.assert_allclose(
        decision, vectors.similarity_bias - vectors.distance_scale * distance, rtol=1e-12
    )


def test_each_pair_is_scored_on_its_own(fitted, colour_pairs):
    # What scikit-learn's subset and order invariance checks ask, on real pairs.
    _, (pairs, _) = colour_pairs
    scores = fitted.decision_function(pairs)
    order = np.random.default_rng(0).permutation(len(pairs))
    np.testing.assert_array_equal(fitted.decision_function(pairs.iloc[order]), scores[order])
    np.testing.assert_array_equal(fitted.decision_function(pairs[:7]), scores[:7])
    unfitted = clone(fitted)
    params = unfitted.get_params()
    assert unfitted.fit(pairs[:50], np.tile([0, 1], 25)).get_params() == params


def test_calibrate_threshold_maximises_the_score_on_the_given_pairs(fitted, colour_pairs):
    _, (pairs, similar) = colour_pairs
    classifier = pickle.loads(pickle.dumps(fitted))
    probabilities = classifier.predict_proba(pairs)[:, 1]
    best = max(accuracy_score(similar, probabilities >= t) for t in np.unique(probabilities))
    at_half = accuracy_score(similar, classifier.predict(pairs))
    classifier.calibrate_threshold(pairs, similar)
    calibrated = accuracy_score(similar, classifier.predict(pairs))
    assert calibrated >= at_half and calibrated == pytest.approx(best, abs=0.002)
    assert classifier.threshold_ != fitted.threshold_ and classifier.threshold == 0.5
    classifier.calibrate_threshold(pairs, similar, scoring="balanced_accuracy")
    assert classifier.threshold_ < 0.5  # similar pairs are the rarer class
    with pytest.raises(ValueError, match="scoring must be one of"):
        classifier.calibrate_threshold(pairs, similar, scoring="roc_auc")
    with pytest.raises(ValueError, match="labels that fit did not see, such as 2"):
        classifier.calibrate_threshold(pairs, np.full(len(pairs), 2))


def test_string_labels_and_a_column_of_labels(colour_pairs):
    from sklearn.exceptions import DataConversionWarning

    (pairs, similar), (test_pairs, test_similar) = colour_pairs
    words = np.where(similar == 1, "same", "other")
    classifier = small_classifier(epochs=10).fit(pairs, words)
    assert list(classifier.classes_) == ["other", "same"]
    assert set(classifier.predict(test_pairs)) <= {"other", "same"}
    test_words = np.where(test_similar == 1, "same", "other")
    classifier.calibrate_threshold(test_pairs, test_words, scoring="f1")  # "same" is positive
    with pytest.warns(DataConversionWarning):
        column = small_classifier(epochs=10).fit(pairs, similar[:, None])
    np.testing.assert_array_equal(
        column.vectors_.vectors, small_classifier(epochs=10).fit(pairs, similar).vectors_.vectors
    )


def test_grid_search_and_cross_validation_over_pairs(colour_pairs):
    (pairs, similar), _ = colour_pairs
    pairs, similar = pairs[:4000], similar[:4000]
    search = GridSearchCV(
        small_classifier(epochs=10), {"n_components": [1, 3]}, scoring="roc_auc", cv=3
    ).fit(pairs, similar)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores[1] > scores[0]
    assert search.best_params_ == {"n_components": 3}
    pipeline = make_pipeline(
        FunctionTransformer(lambda frame: frame[["item_y", "item_x"]]), small_classifier(epochs=10)
    )
    assert cross_val_score(pipeline, pairs, similar, cv=3, scoring="roc_auc").min() > 0.65


def test_an_imbalanced_learn_pipeline_draws_pairs_then_classifies(css4, colour_pairs):
    from imblearn.pipeline import Pipeline

    X, y = css4
    pipeline = Pipeline(
        [("pairs", PairSampler(n_pairs=20_000, random_state=0)), ("classify", small_classifier())]
    ).fit(X, y)
    _, (pairs, similar) = colour_pairs
    # fit drew the pairs from the colours; predict takes pairs, as a sampler is skipped there
    assert roc_auc_score(similar, pipeline.predict_proba(pairs)[:, 1]) > 0.85


def test_positive_pairs_alone_train_with_negative_partners(colour_pairs):
    (pairs, similar), (test_pairs, test_similar) = colour_pairs
    positives = pairs[similar == 1]

    def fit(**params):
        return small_classifier(epochs=40, **params).fit(positives, np.ones(len(positives)))

    classifier = fit()
    assert list(classifier.classes_) == [0, 1]
    auc = roc_auc_score(test_similar, classifier.predict_proba(test_pairs)[:, 1])
    assert auc > 0.8
    again = fit()
    np.testing.assert_array_equal(classifier.vectors_.vectors, again.vectors_.vectors)
    uniform = fit(ns_exponent=0.0)
    assert not np.array_equal(classifier.vectors_.vectors, uniform.vectors_.vectors)
    with pytest.raises(ValueError, match="one class only"):
        small_classifier(negative=0).fit(positives, np.ones(len(positives)))


def test_bad_pairs_and_labels_are_named(fitted, colour_pairs):
    (pairs, similar), _ = colour_pairs
    with pytest.raises(ValueError, match="even number of columns; it has 3"):
        small_classifier().fit(pairs.assign(extra=1), similar)
    with pytest.raises(ValueError, match="two classes.*holds 3"):
        small_classifier().fit(pairs[:3], [0, 1, 2])
    with pytest.raises(ValueError, match="one class only \\(0\\)"):
        small_classifier().fit(pairs[:3], [0, 0, 0])
    missing = pairs[:3].copy()
    missing.iloc[1, 1] = None
    with pytest.raises(ValueError, match="missing key.*row 1"):
        small_classifier().fit(missing, similar[:3])
    unseen = pd.DataFrame({"item_x": ["red", "red"], "item_y": ["blue", "no such colour"]})
    with pytest.raises(
        ValueError, match="1 item\\(s\\) have no vector \\(the first at row 1\\): 'no such colour'"
    ):
        fitted.predict(unseen)


def test_pairs_of_unseen_items_can_get_the_training_share_of_similar_pairs(colour_pairs):
    (pairs, similar), _ = colour_pairs
    classifier = small_classifier(handle_unknown="ignore", epochs=5).fit(pairs, similar)
    assert classifier.prior_ == pytest.approx(similar.mean())
    unseen = pd.DataFrame({"item_x": ["red", "red"], "item_y": ["crimson", "no such colour"]})
    probability = classifier.predict_proba(unseen)[:, 1]
    assert probability[1] == pytest.approx(similar.mean())
    assert probability[0] == classifier.predict_proba(unseen[:1])[0, 1]
    positives = pairs[similar == 1]
    drawn = small_classifier(handle_unknown="ignore", epochs=5, negative=4)
    drawn.fit(positives, np.ones(len(positives)))
    assert drawn.prior_ == pytest.approx(1 / 5)  # each similar pair and its 4 partners


def test_items_keyed_by_several_columns_are_the_same_layout_twice():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 6, size=(400, 2))
    second = rng.integers(0, 6, size=(400, 2))
    similar = (first[:, 0] == second[:, 0]).astype(int)  # the first key column decides
    pairs = pd.DataFrame(np.hstack([first, second]), columns=["shop_x", "sku_x", "shop_y", "sku_y"])
    classifier = small_classifier(epochs=60).fit(pairs, similar)
    assert len(classifier.vectors_) == 36 and classifier.vectors_.keys.nlevels == 2
    assert roc_auc_score(similar, classifier.predict_proba(pairs)[:, 1]) > 0.9


def test_negatives_need_a_similar_pair_left_after_reading_the_names():
    from sklearn.feature_extraction.text import TfidfVectorizer

    pairs = pd.DataFrame({"a": ["red", "blue", "red"], "b": ["!!!", "???", "blue"]})
    classifier = small_classifier(vectorizer=TfidfVectorizer(), negative=2)
    with pytest.warns(UserWarning, match="no token"):
        with pytest.raises(ValueError, match="no similar pair is left"):
            classifier.fit(pairs, [1, 1, 0])
    assert not hasattr(classifier, "vectors_")


def test_names_never_seen_in_fit_with_a_vectorizer(colour_pairs):
    from sklearn.feature_extraction.text import TfidfVectorizer

    (pairs, similar), _ = colour_pairs
    classifier = small_classifier(vectorizer=TfidfVectorizer()).fit(pairs, similar)
    new = pd.DataFrame({"item_x": ["Dark Red", "dark red"], "item_y": ["RED", "pale sky blue"]})
    probability = classifier.predict_proba(new)[:, 1]
    assert probability[0] > probability[1]
    assert classifier.vectors_.similarity("RED", "red") == pytest.approx(1.0)


@pytest.mark.slow  # a fresh Python process
def test_a_pickled_classifier_predicts_without_tensorflow(fitted, colour_pairs, tmp_path):
    _, (pairs, _) = colour_pairs
    path = tmp_path / "classifier.pkl"
    path.write_bytes(pickle.dumps(fitted))
    code = f"""
import sys
sys.modules['tensorflow'] = None  # any import of TensorFlow now fails
sys.modules['keras'] = None
import pickle, pandas as pd
classifier = pickle.loads(open({str(path)!r}, 'rb').read())
pairs = pd.DataFrame({{'item_x': ['red'], 'item_y': ['crimson']}})
print(classifier.predict_proba(pairs)[0, 1])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pairs = pd.DataFrame({"item_x": ["red"], "item_y": ["crimson"]})
    expected = fitted.predict_proba(pairs)[0, 1]
    assert float(result.stdout) == pytest.approx(expected)


def test_the_embedder_is_its_sampler_and_this_classifier(css4):
    X, y = css4
    embedder = small_embedder().fit(X, y)
    classifier = embedder.classifier_
    assert isinstance(classifier, PairSimilarityClassifier)
    assert classifier.vectors_ is embedder.vectors_
    pairs = pd.DataFrame({"item_x": ["red", "red"], "item_y": ["crimson", "navy"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sampler's columns are the ones it expects
        similar, dissimilar = classifier.predict_proba(pairs)[:, 1]
    assert similar > dissimilar


def test_pairs_with_almost_no_similar_or_dissimilar_pair_are_named_with_their_share():
    rng = np.random.default_rng(0)
    keys = np.array(list("abcdefghij"))
    pairs = pd.DataFrame(
        {"item_x": keys[rng.integers(10, size=1000)], "item_y": keys[rng.integers(10, size=1000)]}
    )
    different = (pairs["item_x"] != pairs["item_y"]).to_numpy()
    n_different = int(different.sum())
    few = np.zeros(1000, dtype=int)
    few[np.flatnonzero(different)[:3]] = 1
    few[~different] = 1  # an item is like itself, which says nothing of the others
    share = rf"{3 / n_different:.2%}".replace(".", r"\.")
    with pytest.warns(
        UninformativePairsWarning,
        match=rf"^{share} of the pairs of different items are similar \(3 of {n_different}\): "
        r"too few .* give more similar pairs",
    ):
        small_classifier(epochs=1).fit(pairs, few)
    with pytest.warns(UninformativePairsWarning, match=r"too many .*\(negative='auto'\)"):
        small_classifier(epochs=1).fit(pairs, 1 - few)
    # Similar pairs alone are the usual case: drawn partners make 1 in 6 similar.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UninformativePairsWarning)
        small_classifier(epochs=1).fit(pairs[different], np.ones(n_different))


def test_a_converged_classifier_does_not_warn_however_small_its_loss():
    pairs = pd.DataFrame(
        {"item_x": ["a", "a", "b", "c", "c", "d"], "item_y": ["b", "c", "a", "d", "a", "b"]}
    )
    similar = [1, 0, 1, 1, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        classifier = PairSimilarityClassifier(epochs=500, learning_rate=0.05, random_state=0)
        classifier.fit(pairs, similar)
    losses = np.array(classifier.history_["loss"])
    before, last = losses[-100:-50].mean(), losses[-50:].mean()
    # Still falling by a tenth relative to itself, but by less than 1e-4 an epoch.
    assert last < 0.01 and (before - last) / before > 0.1
    assert (classifier.predict(pairs) == similar).all()


def test_the_classifier_answers_gensims_queries(fitted):
    vectors = fitted.vectors_
    assert fitted.most_similar("red", topn=3) == vectors.most_similar("red", topn=3)
    analogy = fitted.most_similar(positive=["darkred", "navy"], negative="red", topn=2)
    given = ["darkred", "navy", "red"]
    point = vectors.get_vector("darkred") + vectors.get_vector("navy") - vectors.get_vector("red")
    nearest = [item for item in fitted.similar_by_vector(point, topn=5) if item[0] not in given]
    assert [key for key, _ in analogy] == [key for key, _ in nearest[:2]]
    assert [s for _, s in analogy] == pytest.approx([s for _, s in nearest[:2]])
    assert fitted.similarity("red", "navy") == vectors.similarity("red", "navy")


def test_the_classifier_takes_gensims_habits(fitted):
    assert "red" in fitted and "reddish" not in fitted
    np.testing.assert_array_equal(fitted["navy"], fitted.vectors_.get_vector("navy"))
    np.testing.assert_array_equal(fitted[["red", "navy"]], fitted.vectors_[["red", "navy"]])
    assert fitted.index_to_key == fitted.vectors_.keys.tolist()
    assert fitted.key_to_index["red"] == fitted.index_to_key.index("red")
    unfitted = PairSimilarityClassifier()
    with pytest.raises(NotFittedError):
        "red" in unfitted  # noqa: B015
    with pytest.raises(NotFittedError):
        unfitted["red"]
    with pytest.raises(NotFittedError):
        unfitted.index_to_key  # noqa: B018


def test_polars_pairs_fit_predict_score_and_query_as_pandas_ones(fitted, colour_pairs):
    (pairs, similar), (test, test_similar) = colour_pairs
    as_polars = pl.DataFrame({column: pairs[column].to_list() for column in pairs.columns})
    test_polars = pl.DataFrame({column: test[column].to_list() for column in test.columns})
    labels, test_labels = pl.Series("similar", similar), pl.Series("similar", test_similar)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning about feature names
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit, on purpose
        on_polars = clone(fitted).fit(as_polars, labels)
        np.testing.assert_array_equal(on_polars.predict_proba(test), fitted.predict_proba(test))
        for method in ("predict_proba", "predict", "decision_function"):
            np.testing.assert_array_equal(
                getattr(fitted, method)(test_polars), getattr(fitted, method)(test)
            )
        assert fitted.score(test_polars, test_labels) == fitted.score(test, test_similar)
    np.testing.assert_array_equal(fitted.keras_inputs(test_polars), fitted.keras_inputs(test))
    keys = test_polars["item_x"][:2]
    assert fitted.most_similar(keys, topn=3) == fitted.most_similar(keys.to_list(), topn=3)
    np.testing.assert_array_equal(fitted[keys], fitted[keys.to_list()])
    assert keys[0] in fitted


# -- early stopping -----------------------------------------------------------


def easy_pairs(n_pairs=400, seed=0):
    """Pairs of 20 items, similar when the items agree modulo 4: learned in a few epochs."""
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, 20, n_pairs), rng.integers(0, 20, n_pairs)
    return pd.DataFrame({"a": first, "b": second}), (first % 4 == second % 4).astype(int)


def convergence_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_early_stopping_on_the_training_loss_stops_once_it_stops_falling_and_only_ends_it():
    X, y = easy_pairs()
    on_training_loss = dict(early_stopping=True, validation_fraction=None, tol=1e-3)
    stopped = small_classifier(epochs=300, learning_rate=0.05, **on_training_loss).fit(X, y)
    assert 10 < stopped.n_iter_ < 300
    assert len(stopped.history_["loss"]) == stopped.n_iter_
    assert "val_loss" not in stopped.history_
    # Each of the last n_iter_no_change epochs improved on the best before it by less than tol.
    losses = np.array(stopped.history_["loss"])
    best_before = np.minimum.accumulate(losses)[:-1]
    assert np.all(losses[-10:] > best_before[-10:] - 1e-3)
    assert not np.all(losses[-11:] > best_before[-11:] - 1e-3)
    # Stopping changes nothing but the number of epochs: the same fit of n_iter_ epochs.
    full = small_classifier(epochs=stopped.n_iter_, learning_rate=0.05).fit(X, y)
    np.testing.assert_array_equal(stopped.vectors_.vectors, full.vectors_.vectors)
    assert full.n_iter_ == stopped.n_iter_


def test_early_stopping_alone_stops_by_the_documented_defaults():
    X, y = easy_pairs()
    stopped = small_classifier(epochs=300, learning_rate=0.05, early_stopping=True).fit(X, y)
    assert (stopped.tol, stopped.n_iter_no_change, stopped.validation_fraction) == (1e-5, 10, 0.1)
    assert stopped.n_iter_ < 300 and len(stopped.history_["val_loss"]) == stopped.n_iter_
    # The held-out loss of the last 10 epochs never fell below its best before by tol.
    val_loss = np.array(stopped.history_["val_loss"])
    best_before = np.minimum.accumulate(val_loss)[:-1]
    assert np.all(val_loss[-10:] > best_before[-10:] - 1e-5)


def test_without_early_stopping_every_epoch_runs_bit_for_bit_whatever_tol():
    X, y = easy_pairs()
    default = small_classifier(epochs=40).fit(X, y)
    assert not default.early_stopping and default.n_iter_ == 40 == len(default.history_["loss"])
    # tol and n_iter_no_change say when a fit has converged, but stop nothing by themselves.
    judged = small_classifier(epochs=40, tol=0.5, n_iter_no_change=1).fit(X, y)
    assert judged.n_iter_ == 40
    np.testing.assert_array_equal(default.vectors_.vectors, judged.vectors_.vectors)


def test_a_fit_stopped_early_has_converged_and_does_not_warn():
    X, y = easy_pairs()
    settings = dict(learning_rate=0.002, n_iter_no_change=20)
    stopped = small_classifier(
        epochs=300, early_stopping=True, validation_fraction=None, tol=0.05, **settings
    )
    assert not convergence_warnings(lambda: stopped.fit(X, y))
    # The first epoch sets the best loss; each of the next 20 falls by less than tol...
    assert stopped.n_iter_ == 21
    # ... but by more than the default tol: the same 21 epochs, run to the end, warn.
    assert convergence_warnings(lambda: small_classifier(epochs=21, **settings).fit(X, y))


def test_early_stopping_holds_out_pairs_drawn_from_the_seed():
    X, y = easy_pairs()

    def fit(random_state):
        return small_classifier(
            epochs=300, learning_rate=0.05, tol=1e-3, early_stopping=True, random_state=random_state
        ).fit(X, y)

    first, again, other = fit(0), fit(0), fit(1)
    assert first.n_iter_ < 300
    assert len(first.history_["val_loss"]) == len(first.history_["loss"]) == first.n_iter_
    assert first.history_ == again.history_
    np.testing.assert_array_equal(first.vectors_.vectors, again.vectors_.vectors)
    assert first.history_["val_loss"] != other.history_["val_loss"]
    # The held-out pairs are not trained on: the training loss is not the one of all pairs.
    plain = small_classifier(epochs=1, learning_rate=0.05).fit(X, y)
    assert first.history_["loss"][0] != plain.history_["loss"][0]


def test_early_stopping_with_negative_partners_draws_theirs_once():
    X, y = easy_pairs()
    similar = X[y == 1]
    fitted = small_classifier(epochs=200, learning_rate=0.05, tol=1e-3, early_stopping=True)
    fitted.fit(similar, np.ones(len(similar), int))
    val_loss = np.array(fitted.history_["val_loss"])
    assert np.isfinite(val_loss).all() and fitted.n_iter_ < 200
    # The dissimilar partners count: the loss of similar pairs alone would keep falling.
    assert val_loss.argmin() < len(val_loss) - 1


def test_stopping_parameters_are_checked():
    X, y = easy_pairs(20)
    for bad in (
        dict(tol=-1.0),
        dict(tol=None),
        dict(n_iter_no_change=0),
        dict(early_stopping="yes"),
        dict(validation_fraction=0.0),
        dict(validation_fraction=1.0),
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            small_classifier(**bad).fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction=0.9 of the 2 training pair"):
        small_classifier(tol=1e-4, early_stopping=True, validation_fraction=0.9).fit(X[:2], [0, 1])


def test_an_unknown_item_gets_the_prior_under_ignore(colour_pairs):
    (pairs, similar), _ = colour_pairs
    unseen = pd.DataFrame({"item_x": ["red", "red"], "item_y": ["blue", "no such colour"]})
    ignoring = small_classifier(handle_unknown="ignore", epochs=5).fit(pairs, similar)
    assert ignoring.predict_proba(unseen)[1, 1] == pytest.approx(ignoring.prior_)


def test_a_missing_item_is_an_unknown_one_under_ignore(colour_pairs):
    (pairs, similar), _ = colour_pairs
    classifier = small_classifier(handle_unknown="ignore", epochs=5).fit(pairs, similar)
    missing = pd.DataFrame({"item_x": ["red", None], "item_y": ["blue", "red"]})
    probability = classifier.predict_proba(missing)[:, 1]
    assert probability[1] == pytest.approx(classifier.prior_)
    assert probability[0] == classifier.predict_proba(missing[:1])[0, 1]
    with pytest.raises(ValueError, match="missing key.*row 1.*handle_unknown='ignore'"):
        classifier.set_params(handle_unknown="error").predict_proba(missing)


def test_the_unknown_item_of_the_earliest_pair_is_the_one_named(fitted):
    unseen = pd.DataFrame({"item_x": ["red", "red", "zzz"], "item_y": ["blue", "qqq", "blue"]})
    with pytest.raises(ValueError, match=r"2 item\(s\) have no vector \(the first at row 1\)"):
        fitted.predict(unseen)


# -- unseen_regressor: vectors for keys never seen in fit ----------------------


def test_an_unseen_regressor_classifies_pairs_of_names_never_seen(colour_pairs):
    (pairs, similar), (test_pairs, _) = colour_pairs
    nearest_name = nearest_name_regressor()
    plain = small_classifier(epochs=5).fit(pairs, similar)
    classifier = small_classifier(epochs=5, unseen_regressor=nearest_name).fit(pairs, similar)
    # the same training, bit for bit: the regressor comes after it
    np.testing.assert_array_equal(
        classifier.predict_proba(test_pairs), plain.predict_proba(test_pairs)
    )
    new = pd.DataFrame({"item_x": ["reddish", "light navy"], "item_y": ["red", "red"]})
    with pytest.raises(ValueError, match="no vector"):
        plain.predict_proba(new)
    # each new name has the learned vector of a training name, and its pairs that name's
    learned = pd.DataFrame(plain.vectors_.vectors, index=plain.vectors_.keys)
    nearest = [
        learned.index[(learned.to_numpy() == classifier.vectors_.get_vector(name)).all(axis=1)][0]
        for name in new["item_x"]
    ]
    as_learned = new.assign(item_x=nearest)
    np.testing.assert_array_equal(classifier.predict_proba(new), plain.predict_proba(as_learned))
    # the Keras model holds the learned vectors only, and says so
    with pytest.raises(ValueError, match="have no vector in the Keras model"):
        classifier.keras_inputs(new)
    # the parameter is cloned, not fitted; several key columns an item are refused
    assert not hasattr(nearest_name[-1], "n_samples_fit_")
    keyed_twice = pd.DataFrame(np.repeat(pairs.to_numpy(), 2, axis=1))
    refused = small_classifier(epochs=5, unseen_regressor=nearest_name)
    with pytest.raises(ValueError, match="reads one column of keys, but the items of X have 2"):
        refused.fit(keyed_twice, similar)
    assert not hasattr(refused, "vectors_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a short fit
def test_the_regressor_is_seeded_and_one_that_cannot_be_fitted_changes_nothing(colour_pairs):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.neural_network import MLPRegressor

    (pairs, similar), _ = colour_pairs
    regressor = make_pipeline(
        TfidfVectorizer(analyzer="char_wb"), MLPRegressor(hidden_layer_sizes=8, max_iter=50)
    )
    first, again = (
        small_classifier(epochs=5, unseen_regressor=regressor, random_state=1)
        .fit(pairs, similar)
        .vectors_.get_vector("reddish")
        for _ in range(2)
    )
    np.testing.assert_array_equal(first, again)
    assert regressor[-1].random_state is None
    refused = small_classifier(epochs=5, unseen_regressor=Ridge())  # no numbers in names
    with pytest.raises(ValueError, match="unseen_regressor could not be fitted"):
        refused.fit(pairs, similar)
    assert not hasattr(refused, "vectors_")
