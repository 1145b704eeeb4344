"""build_pair_model drops into Keras's own scikit-learn wrapper, keras.wrappers."""

import numpy as np
import pytest
from sklearn.base import clone

from sk_colour_embed import PairSampler, build_pair_model, load_colours
from sk_colour_embed._keras_env import keras

from conftest import distance_spearman

pytestmark = pytest.mark.slow  # a Keras fit, judged by its vectors


def pair_classifier_model(X, y, n_items, seed=None, learning_rate=0.01):
    """The pair model for ``SKLearnClassifier``: built from ``X`` and ``y``, compiled.

    The wrapper one-hot encodes the labels (two columns for similar or not)
    and reads predictions back by argmax, so the model gives both
    probabilities, ``[1 - p, p]``, and learns with categorical cross-entropy,
    which for two columns is the binary cross-entropy of ``p``.
    """
    assert X.shape[1] == 2 and y.shape[1] == 2  # item-index pairs; one-hot labels
    pair_model = build_pair_model(n_items, seed=seed)
    similar = pair_model.outputs[0]
    both = keras.layers.Concatenate()([1.0 - similar, similar])
    model = keras.Model(pair_model.inputs, both)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate))
    return model


def test_build_pair_model_in_keras_sklearn_classifier():
    X, y = load_colours("css4", return_X_y=True)
    sampler = PairSampler(n_pairs=20_000, random_state=0).fit(X, y)
    (first, second), _, similar = sampler.draw_index_pairs()
    pairs = np.column_stack([first, second]).astype(np.int32)
    classifier = keras.wrappers.SKLearnClassifier(
        model=pair_classifier_model,
        model_kwargs={"n_items": len(sampler.items_), "seed": 0},
    )
    assert clone(classifier).get_params()["model_kwargs"]["n_items"] == len(sampler.items_)
    classifier.fit(pairs, similar, epochs=20, batch_size=512, verbose=0)

    assert classifier.classes_.tolist() == [False, True]
    predicted = classifier.predict(pairs[:200])
    assert predicted.shape == (200,) and set(np.unique(predicted)) <= {False, True}
    probabilities = classifier.decision_function(pairs[:5])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert classifier.score(pairs, similar) > np.mean(~similar)  # beats "never similar"
    # It learns the same kind of embedding the package's estimator does.
    vectors = classifier.model_.get_layer("embedding").get_weights()[0]
    assert distance_spearman(vectors, sampler.items_.descriptors) > 0.6
