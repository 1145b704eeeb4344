import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sk_colour_embed import PairSampler, PairSimilarityClassifier, PairSimilarityEmbedder
from sk_colour_embed._fitting import GivenPairs, draw_seeds, fit_vectors, train_vectors
from sk_colour_embed._items import ItemTable, validate_items
from sk_colour_embed._params import TrainingConfig

SMALL = dict(epochs=5, batch_size=64, learning_rate=0.01)


def test_the_embedder_is_the_training_core_on_its_sampler_s_pairs(css4):
    X, y = css4
    embedder = PairSimilarityEmbedder(sampler=PairSampler(n_pairs=500), random_state=3, **SMALL)
    embedder.fit(X, y)
    # The same draw and the same seeds, through the core alone.
    seeds = draw_seeds(3, {"sampler", "init", "order"})
    sampler_seed, init_seed, order_seed = seeds["sampler"], seeds["init"], seeds["order"]
    items = ItemTable.from_rows(*validate_items(PairSimilarityEmbedder(), X, y))
    sampler = PairSampler(n_pairs=500, random_state=sampler_seed).fit(X, y)
    (first, second), _, similar = sampler.draw_index_pairs()
    training = train_vectors(
        items.keys,
        np.column_stack([first, second]),
        similar,
        TrainingConfig(**SMALL),
        (init_seed, order_seed),
    )
    np.testing.assert_array_equal(training.vectors.vectors, embedder.vectors_.vectors)
    assert training.history == embedder.history_ and training.n_iter == embedder.n_iter_ == 5


def test_pairs_of_items_without_a_token_are_left_out_and_the_prior_counts_partners():
    keys = pd.Index(["red", "dark red", "blue", "!!"])
    pairs = np.array([[0, 1], [1, 0], [2, 3], [3, 0], [0, 2]])
    labels = np.array([1, 1, 1, 0, 0])
    config = TrainingConfig(
        vectorizer=CountVectorizer(), record_every=2, negative=2, **{**SMALL, "epochs": 4}
    )
    with pytest.warns(UserWarning, match=r"1 training name\(s\) have no token.*'!!'"):
        training = train_vectors(keys, pairs, labels, config, (0, 0))
    # Three pairs are left, two of them similar, each with two drawn partners.
    assert training.prior == pytest.approx(2 / (3 + 2 * 2))
    assert np.isnan(training.vectors.vectors[3]).all()
    epochs, frames = training.recording
    assert epochs.tolist() == [0, 2, 4] and frames.shape == (3, 4, 2)
    np.testing.assert_array_equal(frames[-1][:3], training.vectors.vectors[:3].astype(np.float32))


def test_nothing_left_to_train_on_is_said():
    keys = pd.Index(["red", "dark red", "!!"])
    config = TrainingConfig(vectorizer=CountVectorizer(), **SMALL)
    with pytest.warns(UserWarning, match="no token"):
        with pytest.raises(ValueError, match="every pair has a name with no token"):
            train_vectors(keys, np.array([[0, 2], [2, 1]]), np.array([1, 0]), config, (0, 0))
    with pytest.warns(UserWarning, match="no token"):
        with pytest.raises(ValueError, match="no similar pair is left to draw negative"):
            train_vectors(
                keys,
                np.array([[0, 2], [0, 1]]),
                np.array([1, 0]),
                TrainingConfig(vectorizer=CountVectorizer(), negative=3, **SMALL),
                (0, 0),
            )


def test_callbacks_see_every_epoch_and_the_variables(css4):
    X, y = css4
    items = ItemTable.from_rows(*validate_items(PairSimilarityEmbedder(), X, y))
    pairs = np.column_stack([np.arange(len(items)), np.roll(np.arange(len(items)), 1)])
    seen = []
    train_vectors(
        items.keys,
        pairs,
        np.arange(len(pairs)) % 2,
        TrainingConfig(**SMALL),
        (0, 0),
        callbacks=[lambda epoch, loss, variables: seen.append((epoch, variables()[0].shape))],
    )
    assert seen == [(epoch, (len(items), 2)) for epoch in range(6)]


# -- convergence ---------------------------------------------------------------


def random_table(n_items, seed=0):
    """``n_items`` made-up items, each with three random descriptors in [0, 1)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"name": [f"item {i}" for i in range(n_items)]}), rng.uniform(
        size=(n_items, 3)
    )


# Data, pairs drawn and learning rate of fits whose loss has stopped falling after the
# epochs given (None: the tutorial's fits, whose 500 epochs tests/test_quality.py runs).
FITS = {
    "xkcd, 949 colours": ("xkcd", 100_000, 0.001, None),
    "css4, 148 colours": ("css4", 50_000, 0.002, 200),
    "60 random items": (60, 20_000, 0.01, 200),
    "1,000 random items": (1000, 50_000, 0.005, 300),
}


def fit_of(name, epochs, request, **params):
    data, n_pairs, learning_rate, _ = FITS[name]
    X, y = request.getfixturevalue(data) if isinstance(data, str) else random_table(data)
    embedder = PairSimilarityEmbedder(
        sampler=PairSampler(n_pairs=n_pairs),
        learning_rate=learning_rate,
        epochs=epochs,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        embedder.fit(X, y)
    return embedder, [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("name", FITS)
def test_a_fit_that_ends_while_its_loss_still_falls_warns(name, request):
    # The tutorial's fit cut at 20 epochs scores 0.447 (0.867 after 500), its loss falling
    # by 1e-3 an epoch, 0.2% of itself: a fall the warning once let by.
    embedder, caught = fit_of(name, 20, request)
    (warning,) = caught
    match = re.match(
        r"training has not converged: the loss still falls by (\S+) an epoch over the last 20 "
        r"of 20 epochs \(more than tol=1e-05\), so the vectors .* Raise epochs",
        str(warning.message),
    )
    assert match is not None, str(warning.message)
    losses = embedder.history_["loss"]
    assert float(match[1]) > 1e-3 and losses[-1] < losses[-2] < losses[-3]


@pytest.mark.slow  # fits run until their loss has stopped falling
@pytest.mark.parametrize("name", [name for name, fit in FITS.items() if fit[-1] is not None])
def test_a_fit_whose_loss_has_stopped_falling_does_not_warn(name, request):
    _, caught = fit_of(name, FITS[name][-1], request)
    assert not caught, str(caught[0].message)


@pytest.mark.slow  # 300 epochs
def test_the_noise_of_fresh_negative_partners_is_not_a_fall(css4):
    X, y = css4
    pairs, similar = PairSampler(n_pairs=20_000, random_state=0).fit_resample(X, y)
    positives = pairs[similar == 1]
    classifier = PairSimilarityClassifier(epochs=300, learning_rate=0.05, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        classifier.fit(positives, np.ones(len(positives), int))
    # The loss goes up and down from epoch to epoch by far more than tol.
    assert np.abs(np.diff(classifier.history_["loss"][-20:])).max() > 100 * classifier.tol


def test_with_early_stopping_the_held_out_loss_is_judged(request):
    embedder, caught = fit_of("css4, 148 colours", 20, request, early_stopping=True)
    (warning,) = caught
    assert embedder.n_iter_ == 20  # early stopping did not stop it
    assert str(warning.message).startswith("training has not converged: the held-out loss still")


def test_both_estimators_draw_their_seeds_one_way(css4):
    # The classifier's fit is the core's on its pairs, and an unseen_regressor takes a
    # seed after the others: the vectors stay those of the same fit without it.
    X, y = css4
    pairs, labels = PairSampler(n_pairs=500, random_state=0).fit_resample(X, y)
    params = dict(random_state=4, **SMALL)
    plain = PairSimilarityClassifier(**params).fit(pairs, labels)
    regressed = PairSimilarityClassifier(
        unseen_regressor=make_pipeline(TfidfVectorizer(analyzer="char"), Ridge()), **params
    ).fit(pairs, labels)
    np.testing.assert_array_equal(regressed.vectors_.vectors, plain.vectors_.vectors)
    codes, keys = pd.Index(np.concatenate([pairs["item_x"], pairs["item_y"]])).factorize()
    result = fit_vectors(
        keys,
        GivenPairs(codes.reshape(2, -1).T, np.asarray(labels)),
        TrainingConfig.of(plain),
        random_state=4,
    )
    np.testing.assert_array_equal(result.vectors.vectors, plain.vectors_.vectors)
    assert draw_seeds(4, {"init", "order", "regressor"})["init"] == draw_seeds(4, {"init"})["init"]
