"""build_pair_model drops into scikeras' KerasClassifier."""

import numpy as np
import pytest
from scikeras.wrappers import KerasClassifier

from sk_colour_embed import PairSampler, build_pair_model, load_colours

from conftest import distance_spearman

pytestmark = pytest.mark.slow  # a Keras fit of 800 steps, judged by its vectors


def test_build_pair_model_in_keras_classifier():
    X, y = load_colours("css4", return_X_y=True)
    sampler = PairSampler(n_pairs=20_000, random_state=0).fit(X, y)
    (first, second), _, similar = sampler.draw_index_pairs()
    pairs = np.column_stack([first, second]).astype(np.int32)
    classifier = KerasClassifier(
        model=build_pair_model,
        model__n_items=len(sampler.items_),
        model__seed=0,
        loss="binary_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=0.01,
        epochs=20,
        batch_size=512,
        random_state=0,
        verbose=0,
    ).fit(pairs, similar)
    assert classifier.predict_proba(pairs[:5]).shape == (5, 2)
    assert set(np.unique(classifier.predict(pairs))) <= {0, 1}
    # It learns the same kind of embedding the package's estimator does.
    vectors = classifier.model_.get_layer("embedding").get_weights()[0]
    assert distance_spearman(vectors, sampler.items_.descriptors) > 0.6
