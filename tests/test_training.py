import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from sk_colour_embed import PairSampler, PairSimilarityEmbedder
from sk_colour_embed._config import TrainingConfig
from sk_colour_embed._items import ItemTable, validate_items
from sk_colour_embed._training import spread_seeds, train_vectors

SMALL = dict(epochs=5, batch_size=64, learning_rate=0.01)


def test_the_embedder_is_the_training_core_on_its_sampler_s_pairs(css4):
    X, y = css4
    embedder = PairSimilarityEmbedder(sampler=PairSampler(n_pairs=500), random_state=3, **SMALL)
    embedder.fit(X, y)
    # The same draw and the same seeds, through the core alone.
    sampler_seed, init_seed, order_seed = spread_seeds(3, 3)
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
