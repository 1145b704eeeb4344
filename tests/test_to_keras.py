"""to_keras: the trained model as a Keras model that predicts, saves and loads as Keras does."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union

from sk_colour_embed import (
    PairSampler,
    PairSimilarityClassifier,
    PairSimilarityEmbedder,
    build_pair_model,
)

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


EMBEDDERS = {
    "lookup": {},
    "unit-sphere": {"n_components": 3, "normalize": True},
    "tokens": {"vectorizer": CHARACTERS},
    "hidden-layers": {"vectorizer": CHARACTERS, "hidden_layer_sizes": (6, 4), "n_components": 3},
}


@pytest.fixture(scope="module")
def embedders(css4):
    """An embedder of each kind, fitted once."""
    X, y = css4
    return {kind: small_embedder(**params).fit(X, y) for kind, params in EMBEDDERS.items()}


@pytest.fixture(params=list(EMBEDDERS))
def embedder(request, embedders):
    return embedders[request.param]


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


# The loading process imports the package and nothing of it: the layers are registered
# when Keras is imported. Warnings are errors: loading warned "Skipping variable loading
# for optimizer 'adam'" when the saved optimizer was not built. One process loads every
# model given, each with the inputs saved beside it.
LOAD = """
import json
import sys
import numpy as np
{imports}

for path in sys.argv[1:]:
    model = keras.models.load_model(path)
    inputs = np.load(path + ".npz", allow_pickle=False)
    inputs = dict(inputs) if "tokens" in inputs.files else inputs["pairs"]
    predicted = model.predict(inputs, verbose=0)[:, 0].tolist()
    print(json.dumps([predicted, model.get_layer("embedding").get_weights()[0].shape]))
"""

# Keras imported after the package, before it, or by TensorFlow.
IMPORTS = {
    "package-then-keras": "import sk_colour_embed, keras",
    "keras-then-package": "import keras, sk_colour_embed",
    "through-tensorflow": "import sk_colour_embed, tensorflow as tf\nkeras = tf.keras",
}


def save(models, folder):
    """Save ``models``, a dict of (Keras model, inputs) by name, each model's inputs beside
    it; the paths of the models."""
    paths = []
    for name, (model, inputs) in models.items():
        path = folder / f"{name}.keras"
        model.save(path)
        arrays = inputs if isinstance(inputs, dict) else {"pairs": inputs}
        with open(f"{path}.npz", "wb") as file:
            np.savez(file, **arrays)
        paths.append(path)
    return paths


def start_loading(paths, imports):
    """A new Python, warnings as errors, that loads the models at ``paths`` after ``imports``."""
    return subprocess.Popen(
        [sys.executable, "-W", "error", "-c", LOAD.format(imports=imports), *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def loaded(process, names):
    """Each model's predictions of its inputs and its embedding's shape, by name, as the
    process of :func:`start_loading` printed them."""
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    lines = (json.loads(line) for line in stdout.splitlines()[-len(names) :])
    return {
        name: (predicted, tuple(shape))
        for name, (predicted, shape) in zip(names, lines, strict=True)
    }


@pytest.fixture(scope="module")
def built():
    """A model of build_pair_model, trained by Keras's own fit, and its pairs."""
    model = build_pair_model(4, 3, hidden_layer_sizes=(5,), normalize=True, seed=0)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    pairs = np.array([[0, 1], [2, 3], [0, 3]])
    model.fit(pairs, np.array([1, 1, 0]), epochs=2, verbose=0)
    return model, pairs


# A fresh process is the point: what registers the layers when Keras loads a model. Each
# order of the imports, in a process of its own (the three run at once), loads every kind
# of model, the estimators' and build_pair_model's.
@pytest.mark.slow
def test_the_models_save_and_load_in_a_fresh_process_whoever_imports_keras_first(
    embedders, built, tmp_path
):
    models = {
        kind: (embedder.to_keras(), embedder.classifier_.keras_inputs(PAIRS))
        for kind, embedder in embedders.items()
    }
    models["built"] = built
    paths = save(models, tmp_path)
    started = {order: start_loading(paths, imports) for order, imports in IMPORTS.items()}
    for order, process in started.items():
        models_loaded = loaded(process, list(models))
        for kind, embedder in embedders.items():
            predicted, shape = models_loaded[kind]
            expected = embedder.classifier_.predict_proba(PAIRS)[:, 1]
            np.testing.assert_allclose(predicted, expected, rtol=1e-5, err_msg=f"{order}, {kind}")
            assert shape == embedder.vectors_.token_vectors.shape
        model, pairs = built
        predicted, shape = models_loaded["built"]
        expected = model.predict(pairs, verbose=0)[:, 0]
        np.testing.assert_allclose(predicted, expected, rtol=1e-6, err_msg=order)
        assert shape == (4, 5)


@pytest.mark.slow  # a fresh Python process
def test_keras_on_another_backend_imports_without_the_packages_layers(tmp_path):
    # The package trains on TensorFlow alone: with Keras on another backend it registers
    # nothing, and importing Keras after it neither fails nor warns. Only TensorFlow is
    # installed here, so a stand-in keras package on the path says it runs on JAX.
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text(
        "from types import SimpleNamespace\nbackend = SimpleNamespace(backend=lambda: 'jax')\n"
    )
    code = (
        "import sys, sk_colour_embed, keras; "
        "print(keras.__file__ == sys.argv[1], 'sk_colour_embed._model' in sys.modules, "
        "'tensorflow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, tmp_path / "keras" / "__init__.py"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), str(tmp_path)])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "False"]


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
