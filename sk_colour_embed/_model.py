"""The Keras model: embedding, squared distance, distance-to-probability.

Importing this module imports Keras (and TensorFlow); the rest of the package
imports it only when a model is built or trained.
"""

import math

from sk_colour_embed._keras_env import keras

layers = keras.layers
ops = keras.ops

# softplus(_UNIT_SCALE_RAW) == 1: the distance scale starts at one.
_UNIT_SCALE_RAW = math.log(math.e - 1.0)


@keras.saving.register_keras_serializable(package="sk_colour_embed")
class SquaredDistance(layers.Layer):
    """Squared euclidean distance between the two vectors of each pair.

    Maps ``(batch, 2, n_components)`` to ``(batch, 1)``.
    """

    def call(self, pair_vectors):
        difference = pair_vectors[:, 0, :] - pair_vectors[:, 1, :]
        return ops.sum(ops.square(difference), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package="sk_colour_embed")
class DistanceToProbability(layers.Layer):
    """``sigmoid(bias - softplus(raw_scale) * distance)``.

    The tutorial uses ``Dense(1, sigmoid)`` here, whose weight starts with a
    random sign; when it starts positive, training settles on an embedding in
    which similar pairs are far apart. A softplus scale keeps the probability
    decreasing in the distance for every value of the weights, so closer
    vectors always mean more similar items.
    """

    def build(self, input_shape):
        self.raw_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(_UNIT_SCALE_RAW),
            name="raw_scale",
        )
        self.bias = self.add_weight(shape=(), initializer="zeros", name="bias")

    def call(self, distance):
        return ops.sigmoid(self.bias - ops.softplus(self.raw_scale) * distance)

    def compute_output_shape(self, input_shape):
        return input_shape


def build_pair_model(
    n_items: int, n_components: int = 2, *, normalize: bool = False, seed: int | None = None
) -> keras.Sequential:
    """Build the (uncompiled) Keras model of pair similarity.

    The model maps a batch of item-index pairs, shape ``(batch, 2)``, to the
    probability that the two items are similar, shape ``(batch, 1)``:
    ``Embedding -> [UnitNormalization] -> SquaredDistance ->
    DistanceToProbability``. It is a plain Keras model: compile it with
    ``loss="binary_crossentropy"`` and any optimizer, or hand the function to
    a wrapper such as scikeras' ``KerasClassifier``.

    Parameters
    ----------
    n_items : int
        Number of distinct items (rows of the embedding matrix).
    n_components : int, default=2
        Dimension of the embedding.
    normalize : bool, default=False
        Put the vectors on the unit sphere before measuring distances.
    seed : int or None, default=None
        Seed of the embedding initializer, ``RandomUniform(-0.05, 0.05)``,
        which is Keras's default for ``Embedding``.

    Returns
    -------
    model : keras.Sequential
        Layers named ``"embedding"``, (``"unit_normalization"``),
        ``"squared_distance"`` and ``"distance_to_probability"``.
    """
    initializer = keras.initializers.RandomUniform(-0.05, 0.05, seed=seed)
    model_layers = [
        keras.Input(shape=(2,), dtype="int32", name="pair"),
        layers.Embedding(
            n_items, n_components, embeddings_initializer=initializer, name="embedding"
        ),
    ]
    if normalize:
        model_layers.append(layers.UnitNormalization(name="unit_normalization"))
    model_layers += [
        SquaredDistance(name="squared_distance"),
        DistanceToProbability(name="distance_to_probability"),
    ]
    return keras.Sequential(model_layers, name="pair_similarity")
