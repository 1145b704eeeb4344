from dataclasses import fields

import numpy as np
import pytest

from sk_colour_embed import PairSimilarityClassifier, PairSimilarityEmbedder
from sk_colour_embed._params import TOL, Stopping, TrainingConfig, checked_sizes


@pytest.mark.parametrize("estimator", [PairSimilarityEmbedder, PairSimilarityClassifier])
def test_the_configuration_reads_every_training_parameter_the_estimator_has(estimator):
    params = dict(n_components=3, hidden_layer_sizes=4, epochs=7, batch_size=9)
    params |= dict(learning_rate=0.01, normalize=True, name_vectors=False)
    params |= dict(tol=1e-3, n_iter_no_change=3, early_stopping=True, validation_fraction=0.2)
    config = TrainingConfig.of(estimator(**params))
    assert config.hidden_layer_sizes == (4,)
    assert config.stopping == Stopping(True, 1e-3, 3, 0.2)
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


@pytest.mark.parametrize("estimator", [PairSimilarityEmbedder, PairSimilarityClassifier])
def test_early_stopping_alone_has_a_tol_and_holds_out_a_tenth(estimator):
    stopping = TrainingConfig.of(estimator(early_stopping=True)).stopping
    assert stopping == Stopping(True, TOL, 10, 0.1) and TOL == 1e-5
    # Without early stopping, tol still says when a fit has converged, but nothing stops.
    assert TrainingConfig.of(estimator()).stopping == Stopping(False, TOL, 10, 0.1)


def test_bad_settings_are_refused_with_what_to_do():
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must hold positive integers.*\(0,\)"):
        TrainingConfig.of(PairSimilarityEmbedder(hidden_layer_sizes=(0,)))
    assert checked_sizes(np.int64(3)) == (3,) and checked_sizes([2, 5]) == (2, 5)


def test_held_out_pairs_are_drawn_from_the_seed_and_never_all_of_them():
    stopping = Stopping(early_stopping=True, tol=1e-3, validation_fraction=0.25)
    kept, held = stopping.split(8, np.random.default_rng(0))
    assert len(held) == 2 and sorted([*kept, *held]) == list(range(8))
    again = stopping.split(8, np.random.default_rng(0))
    np.testing.assert_array_equal(again[1], held)
    with pytest.raises(ValueError, match="leaves none to train on"):
        Stopping(True, validation_fraction=0.9).split(1, np.random.default_rng(0))
    # Nothing is held out without early stopping, or when it judges the training loss.
    for stopping in (Stopping(False, validation_fraction=0.5), Stopping(True)):
        kept, held = stopping.split(4, np.random.default_rng(0))
        assert len(kept) == 4 and len(held) == 0
