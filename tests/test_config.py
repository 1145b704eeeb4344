from dataclasses import fields

import numpy as np
import pytest

from sk_colour_embed import PairSimilarityClassifier, PairSimilarityEmbedder
from sk_colour_embed._config import Stopping, TrainingConfig, checked_sizes


@pytest.mark.parametrize("estimator", [PairSimilarityEmbedder, PairSimilarityClassifier])
def test_the_configuration_reads_every_training_parameter_the_estimator_has(estimator):
    params = dict(n_components=3, hidden_layer_sizes=4, epochs=7, batch_size=9)
    params |= dict(learning_rate=0.01, normalize=True, name_vectors=False, verbose=1)
    params |= dict(tol=1e-3, n_iter_no_change=3, early_stopping=True, validation_fraction=0.2)
    config = TrainingConfig.of(estimator(**params))
    assert config.hidden_layer_sizes == (4,)
    assert config.stopping == Stopping(1e-3, 3, 0.2)
    for name, value in params.items():
        if name in {field.name for field in fields(TrainingConfig)} - {"hidden_layer_sizes"}:
            assert getattr(config, name) == value, name
    # Frozen: a training cannot change its settings halfway.
    with pytest.raises(AttributeError):
        config.epochs = 1


def test_what_only_one_estimator_has_keeps_its_default_or_is_given():
    embedder = TrainingConfig.of(PairSimilarityEmbedder(record_every=5), negative=0)
    assert embedder.record_every == 5 and embedder.negative == 0
    classifier = TrainingConfig.of(PairSimilarityClassifier(negative=3, ns_exponent=0.5))
    assert classifier.record_every is None
    assert (classifier.negative, classifier.ns_exponent) == (3, 0.5)
    # Without early stopping, no pair is held out whatever validation_fraction says.
    assert TrainingConfig.of(PairSimilarityEmbedder(tol=1e-3)).stopping.validation_fraction is None


def test_bad_settings_are_refused_with_what_to_do():
    with pytest.raises(ValueError, match="early_stopping=True .* tol is None"):
        TrainingConfig.of(PairSimilarityEmbedder(early_stopping=True))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must hold positive integers.*\(0,\)"):
        TrainingConfig.of(PairSimilarityEmbedder(hidden_layer_sizes=(0,)))
    assert checked_sizes(np.int64(3)) == (3,) and checked_sizes([2, 5]) == (2, 5)


def test_held_out_pairs_are_drawn_from_the_seed_and_never_all_of_them():
    stopping = Stopping(tol=1e-3, validation_fraction=0.25)
    kept, held = stopping.split(8, np.random.default_rng(0))
    assert len(held) == 2 and sorted([*kept, *held]) == list(range(8))
    again = stopping.split(8, np.random.default_rng(0))
    np.testing.assert_array_equal(again[1], held)
    with pytest.raises(ValueError, match="leaves none to train on"):
        Stopping(tol=1e-3, validation_fraction=0.9).split(1, np.random.default_rng(0))
    kept, held = Stopping(tol=None, validation_fraction=0.5).split(4, np.random.default_rng(0))
    assert len(kept) == 4 and len(held) == 0
