"""to_keras: the trained model as a Keras model that predicts, saves and loads as Keras does."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union

from sk_colour_embed import PairSampler, PairSimilarityClassifier, PairSimilarityEmbedder

from conftest import small_embedder

PAIRS = pd.DataFrame(
    {
        "item_x": ["red", "red", "navy", "gold", "tomato", "white"],
        "item_y": ["crimson", "navy", "blue", "yellow", "red", "black"],
    }
)
CHARACTERS = make_union(
    TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
)


@pytest.fixture(
    scope="module",
    params=[
        {},
        {"n_components": 3, "normalize": True},
        {"vectorizer": CHARACTERS},
        {"vectorizer": CHARACTERS, "hidden_layer_sizes": (6, 4), "n_components": 3},
    ],
    ids=["lookup", "unit-sphere", "tokens", "hidden-layers"],
)
def embedder(request, css4):
    X, y = css4
    return small_embedder(**request.param).fit(X, y)


def test_the_keras_model_predicts_the_estimators_probabilities(embedder):
    model = embedder.to_keras()
    inputs = embedder.classifier_.keras_inputs(PAIRS)
    expected = embedder.classifier_.predict_proba(PAIRS)[:, 1]
    np.testing.assert_allclose(model.predict(inputs, verbose=0)[:, 0], expected, rtol=1e-5)
    assert model.get_layer("embedding").get_weights()[0].dtype == np.float32
    np.testing.assert_allclose(
        model.get_layer("embedding").get_weights()[0], embedder.vectors_.token_vectors, rtol=1e-6
    )
    layer = model.get_layer("distance_to_probability")
    head = dict(zip(["raw_scale", "bias"], layer.weights, strict=True))
    softplus = np.logaddexp(0.0, float(head["raw_scale"].numpy()))
    assert softplus == pytest.approx(embedder.vectors_.distance_scale, rel=1e-6)
    assert model.loss == "binary_crossentropy"
    assert model.optimizer.learning_rate.numpy() == pytest.approx(embedder.learning_rate)


def test_a_lookup_model_takes_item_positions_and_holds_the_item_vectors(css4):
    X, y = css4
    embedder = small_embedder(epochs=5).fit(X, y)
    model = embedder.to_keras()
    np.testing.assert_allclose(
        model.get_layer("embedding").get_weights()[0], embedder.embedding_.to_numpy(), rtol=1e-6
    )
    index = embedder.vectors_.get_index(PAIRS.to_numpy().ravel()).reshape(-1, 2)
    np.testing.assert_array_equal(embedder.classifier_.keras_inputs(PAIRS), index)
    model.fit(index, np.array([1, 0, 1, 1, 1, 0]), epochs=1, verbose=0)  # trains further


def test_token_inputs_take_names_never_seen_of_any_length(embedder, css4):
    if not embedder.vectors_.reader.token_form:
        pytest.skip("a lookup has no token inputs")
    names = css4[0]["name"]
    training = embedder.classifier_.keras_inputs(pd.DataFrame({"item_x": names, "item_y": names}))
    long_name = "Dark Tomato Red Medium Sea Green Light Goldenrod Yellow"
    new = pd.DataFrame({"item_x": [long_name], "item_y": ["NAVY"]})
    inputs = embedder.classifier_.keras_inputs(new)
    assert inputs["tokens"].shape == inputs["weights"].shape
    assert inputs["tokens"].shape[:2] == (1, 2)
    assert inputs["tokens"].shape[2] > training["tokens"].shape[2]  # more than any training name
    expected = embedder.classifier_.predict_proba(new)[:, 1]
    predicted = embedder.to_keras().predict(inputs, verbose=0)[:, 0]
    np.testing.assert_allclose(predicted, expected, rtol=1e-5)


def test_pairs_with_an_item_without_a_vector_have_no_inputs(embedder):
    unknown = pd.DataFrame({"item_x": ["red"], "item_y": ["qqq"]})
    with pytest.raises(
        ValueError,
        match=r"1 item\(s\) have no vector in the Keras model \(the first at row 0\): 'qqq'",
    ):
        embedder.classifier_.keras_inputs(unknown)
    # The model has no input for them, whatever handle_unknown: it is not offered.
    classifier = embedder.classifier_.set_params(handle_unknown="ignore")
    missing = pd.DataFrame({"item_x": ["red"], "item_y": [None]})
    for pairs in (unknown, missing):
        with pytest.raises(ValueError) as error:
            classifier.keras_inputs(pairs)
        assert "handle_unknown" not in str(error.value)
    classifier.set_params(handle_unknown="error")


LOAD = """
import json
import sys
import numpy as np
import keras
from sk_colour_embed import build_pair_model  # registers the model's layers with Keras

model = keras.models.load_model(sys.argv[1])
inputs = np.load(sys.argv[2], allow_pickle=False)
inputs = dict(inputs) if "tokens" in inputs.files else inputs["pairs"]
print(json.dumps(model.predict(inputs, verbose=0)[:, 0].tolist()))
print(json.dumps(model.get_layer("embedding").get_weights()[0].shape))
"""


def test_the_model_saves_and_loads_in_a_fresh_process(embedder, tmp_path):
    model = embedder.to_keras()
    model.save(tmp_path / "pairs.keras")
    inputs = embedder.classifier_.keras_inputs(PAIRS)
    np.savez(tmp_path / "inputs.npz", **(inputs if isinstance(inputs, dict) else {"pairs": inputs}))
    result = subprocess.run(
        [sys.executable, "-c", LOAD, tmp_path / "pairs.keras", tmp_path / "inputs.npz"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    predicted, shape = result.stdout.splitlines()[-2:]
    expected = embedder.classifier_.predict_proba(PAIRS)[:, 1]
    np.testing.assert_allclose(json.loads(predicted), expected, rtol=1e-5)
    assert tuple(json.loads(shape)) == embedder.vectors_.token_vectors.shape


def test_the_classifiers_model_on_its_own_pairs(css4):
    X, y = css4
    pairs, similar = PairSampler(n_pairs=5_000, random_state=0).fit_resample(X, y)
    classifier = PairSimilarityClassifier(epochs=10, batch_size=256, random_state=0)
    classifier.fit(pairs, similar)
    model = classifier.to_keras()
    inputs = classifier.keras_inputs(pairs[:100])
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0)[:, 0],
        classifier.predict_proba(pairs[:100])[:, 1],
        rtol=1e-5,
    )
    assert model.get_layer("embedding").get_weights()[0].shape == (len(classifier.vectors_), 2)


def test_an_unfitted_estimator_has_no_keras_model():
    with pytest.raises(NotFittedError):
        PairSimilarityEmbedder().to_keras()
    with pytest.raises(NotFittedError):
        PairSimilarityClassifier().to_keras()
