import numpy as np
import pytest

from sk_colour_embed import build_pair_model
from sk_colour_embed._keras_env import keras


@pytest.mark.parametrize("normalize", [False, True])
def test_model_maps_pairs_to_probabilities(normalize):
    model = build_pair_model(10, 3, normalize=normalize, seed=0)
    names = [layer.name for layer in model.layers]
    assert names[0] == "embedding" and names[-2:] == ["squared_distance", "distance_to_probability"]
    assert ("unit_normalization" in names) == normalize
    probabilities = model.predict(np.array([[0, 0], [0, 1], [2, 9]]), verbose=0)
    assert probabilities.shape == (3, 1)
    assert np.all((probabilities > 0) & (probabilities < 1))
    assert probabilities[0, 0] == pytest.approx(0.5)  # distance 0, bias 0


def test_seed_fixes_the_initial_embedding():
    weights = [build_pair_model(20, 2, seed=s).get_weights()[0] for s in (1, 1, 2)]
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2])
    assert np.abs(weights[0]).max() <= 0.05


@pytest.mark.parametrize("raw_scale", [-3.0, 0.0, 3.0])
def test_closer_always_means_more_similar(raw_scale):
    # The tutorial's Dense(1) layer can start with either sign; this head cannot.
    model = build_pair_model(3, 1, seed=0)
    model.get_layer("embedding").set_weights([np.array([[0.0], [0.1], [1.0]])])
    model.get_layer("distance_to_probability").set_weights([np.array(raw_scale), np.array(0.3)])
    near, far = model.predict(np.array([[0, 1], [0, 2]]), verbose=0)[:, 0]
    assert near > far


def test_model_round_trips_through_keras_saving(tmp_path):
    model = build_pair_model(5, 2, normalize=True, seed=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    pairs = np.array([[0, 1], [3, 4]])
    np.testing.assert_allclose(loaded.predict(pairs, verbose=0), model.predict(pairs, verbose=0))


def test_token_form_is_the_weighted_sum_of_token_vectors():
    model = build_pair_model(4, 2, tokens_per_item=2, seed=0)
    token_vectors = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    model.get_layer("embedding").set_weights([token_vectors])
    model.get_layer("distance_to_probability").set_weights([np.array(3.0), np.array(0.5)])
    # item a: tokens 1 and 2 weighted 0.25 / 0.75; item b: token 0 alone (slot 2 padded)
    inputs = {
        "tokens": np.array([[[1, 2], [0, 3]]], "int32"),
        "weights": np.array([[[0.25, 0.75], [1.0, 0.0]]], "float32"),
    }
    a = 0.25 * token_vectors[1] + 0.75 * token_vectors[2]
    squared = np.sum(a**2)
    expected = 1 / (1 + np.exp(-(0.5 - np.log1p(np.exp(3.0)) * squared)))
    assert model.predict(inputs, verbose=0)[0, 0] == pytest.approx(expected, rel=1e-5)


def test_a_lookup_item_is_a_token_item_of_weight_one():
    lookup = build_pair_model(6, 3, seed=4)
    tokens = build_pair_model(6, 3, tokens_per_item=1, seed=4)
    pairs = np.array([[0, 5], [2, 3], [1, 1]])
    inputs = {"tokens": pairs[:, :, None].astype("int32"), "weights": np.ones((3, 2, 1), "float32")}
    np.testing.assert_allclose(
        tokens.predict(inputs, verbose=0), lookup.predict(pairs, verbose=0), rtol=1e-6
    )


def test_token_model_round_trips_through_keras_saving(tmp_path):
    model = build_pair_model(5, 2, tokens_per_item=3, normalize=True, seed=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    inputs = {
        "tokens": np.array([[[0, 1, 2], [3, 4, 0]]], "int32"),
        "weights": np.array([[[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]]], "float32"),
    }
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0))
