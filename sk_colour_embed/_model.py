"""The Keras model: embedding, squared distance, distance-to-probability.

This module owns the model's layer names: the engine reads the trained
weights through :func:`trained_weights` and the layers between the embedding
and the probability through :func:`head_layers`.

Importing this module imports Keras (and TensorFlow); the rest of the package
imports it only when a model is built or trained.
"""

import math

import numpy as np

from sk_colour_embed._keras_env import keras
from sk_colour_embed._params import checked_sizes
from sk_colour_embed._vectors import NORM_EPSILON, encoder_layers

layers = keras.layers
ops = keras.ops

EMBEDDING = "embedding"
WEIGHTED_SUM = "weighted_sum"
ENCODER = "encoder"
UNIT_NORMALIZATION = "unit_normalization"
SQUARED_DISTANCE = "squared_distance"
PROBABILITY = "distance_to_probability"

# softplus(_UNIT_SCALE_RAW) == 1: the distance scale starts at one.
_UNIT_SCALE_RAW = math.log(math.e - 1.0)


@keras.saving.register_keras_serializable(package="sk_colour_embed")
class WeightedSum(layers.Layer):
    """The weighted sum of each item's token vectors.

    Maps ``[token_vectors, weights]``, shapes ``(batch, 2, n_slots, n_components)``
    and ``(batch, 2, n_slots)``, to ``(batch, 2, n_components)``. With weights
    that sum to 1 it is their weighted mean.
    """

    def call(self, inputs):
        token_vectors, weights = inputs
        return ops.sum(token_vectors * weights[..., None], axis=-2)

    def compute_output_shape(self, input_shape):
        shape = input_shape[0]
        return (*shape[:-2], shape[-1])


@keras.saving.register_keras_serializable(package="sk_colour_embed")
class Encoder(layers.Layer):
    """Hidden layers between an item's summed token vectors and its vector.

    The embedding's width is the first hidden layer's: the weighted sum of
    token vectors is that layer's product, and this layer adds its bias and
    the ReLU, then each further hidden layer (``Dense``, ReLU), and a linear
    ``Dense`` to ``n_components``, as ``MLPRegressor(hidden_layer_sizes)``
    maps features. Its weights are, in order, the first bias, then the
    kernel and bias of each ``Dense`` (:func:`sk_colour_embed._vectors.encoder_layers`
    reads that order; :func:`sk_colour_embed._vectors.encode` applies them with
    NumPy).
    """

    def __init__(self, hidden_layer_sizes, n_components, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.n_components = n_components
        self.seed = seed

    def build(self, input_shape):
        sizes = (*self.hidden_layer_sizes, self.n_components)
        self.first_bias = self.add_weight(shape=(sizes[0],), initializer="zeros", name="bias_0")
        self.dense = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
            seed = None if self.seed is None else self.seed + i
            kernel = self.add_weight(
                shape=(n_in, n_out),
                initializer=keras.initializers.GlorotUniform(seed=seed),
                name=f"kernel_{i}",
            )
            bias = self.add_weight(shape=(n_out,), initializer="zeros", name=f"bias_{i}")
            self.dense.append((kernel, bias))

    def call(self, summed):
        vectors = ops.relu(summed + self.first_bias)
        for i, (kernel, bias) in enumerate(self.dense):
            vectors = ops.matmul(vectors, kernel) + bias
            if i + 1 < len(self.dense):
                vectors = ops.relu(vectors)
        return vectors

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.n_components)

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_layer_sizes": list(self.hidden_layer_sizes),
            "n_components": self.n_components,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="sk_colour_embed")
class UnitNormalization(layers.Layer):
    """Each vector divided by its norm, or by ``NORM_EPSILON`` if the norm is smaller.

    Keras's ``UnitNormalization`` gives the same values, as ``x *
    minimum(rsqrt(sum(x**2)), 1 / epsilon)``; at a vector of zeros (an item
    whose ReLUs are all off, or whose features are all zero) ``rsqrt`` is
    infinite, and compiled with XLA its gradient is ``0 * inf``: NaN, and the
    fit diverges. Clipping the squared norm before ``rsqrt`` gives the same
    values and a finite gradient everywhere.
    """

    def call(self, vectors):
        squared_norms = ops.sum(ops.square(vectors), axis=-1, keepdims=True)
        return vectors * ops.rsqrt(ops.maximum(squared_norms, NORM_EPSILON**2))


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


def _head(n_components, hidden_layer_sizes, normalize, seed):
    """The layers from a pair of summed token vectors to the probability of similar."""
    head = []
    if hidden_layer_sizes:
        head.append(Encoder(hidden_layer_sizes, n_components, seed=seed, name=ENCODER))
    if normalize:
        head.append(UnitNormalization(name=UNIT_NORMALIZATION))
    return head + [SquaredDistance(name=SQUARED_DISTANCE), DistanceToProbability(name=PROBABILITY)]


def embedding_width(n_components, hidden_layer_sizes=()):
    """The width of the embedding: the first hidden layer's, else ``n_components``."""
    return hidden_layer_sizes[0] if hidden_layer_sizes else n_components


def build_pair_model(
    n_items: int,
    n_components: int = 2,
    *,
    tokens_per_item: int | None = None,
    hidden_layer_sizes: tuple[int, ...] = (),
    normalize: bool = False,
    seed: int | None = None,
) -> keras.Model:
    """Build the (uncompiled) Keras model of pair similarity.

    In its lookup form (``tokens_per_item=None``, the tutorial's model) the
    model maps a batch of item-index pairs, shape ``(batch, 2)``, to the
    probability that the two items are similar, shape ``(batch, 1)``:
    ``Embedding -> [Encoder] -> [UnitNormalization] -> SquaredDistance ->
    DistanceToProbability``.

    In its token form each item is a weighted bag of tokens (the words or
    character n-grams of a name). The inputs are ``{"tokens": ids, "weights":
    w}``, both of shape ``(batch, 2, tokens_per_item)``, and an item's vector
    is the weighted sum of its token vectors (their weighted mean when the
    weights sum to 1): ``Embedding -> WeightedSum -> [Encoder] ->
    [UnitNormalization] -> SquaredDistance -> DistanceToProbability``. Pad items with fewer tokens
    with weight 0. A lookup item is a token form item with one token of
    weight 1.

    Either form is a plain Keras model: compile it with
    ``loss="binary_crossentropy"`` and any optimizer, or hand the function to
    a wrapper such as scikeras' ``KerasClassifier``.

    Parameters
    ----------
    n_items : int
        Rows of the embedding matrix: distinct items, or distinct tokens in
        the token form.
    n_components : int, default=2
        Dimension of the item vectors: the embedding's without hidden layers,
        the encoder's output with them.
    tokens_per_item : int or None, default=None
        ``None`` for the lookup form; otherwise the number of token slots per
        item.
    hidden_layer_sizes : int or tuple of int, default=()
        With sizes, an :class:`Encoder` of that many hidden ReLU layers maps
        the (summed) embedding vectors, of the first size, to the item
        vectors, of ``n_components``; ``()`` is the tutorial's model.
    normalize : bool, default=False
        Put the item vectors on the unit sphere before measuring distances.
    seed : int or None, default=None
        Seed of the embedding initializer, ``RandomUniform(-0.05, 0.05)``,
        which is Keras's default for ``Embedding``, and, plus 1, 2, ..., of
        the encoder's kernels (``GlorotUniform``, as ``Dense``).

    Returns
    -------
    model : keras.Model
        Layers named ``"embedding"``, (``"weighted_sum"``), (``"encoder"``),
        (``"unit_normalization"``), ``"squared_distance"`` and
        ``"distance_to_probability"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_colour_embed import build_pair_model
    >>> model = build_pair_model(5, 2, seed=0)
    >>> model.predict(np.array([[0, 0], [0, 4]]), verbose=0).shape
    (2, 1)
    >>> tokens = build_pair_model(5, 2, tokens_per_item=3, seed=0)
    >>> ids, weights = np.zeros((1, 2, 3), "int32"), np.ones((1, 2, 3), "float32")
    >>> tokens.predict({"tokens": ids, "weights": weights}, verbose=0).shape
    (1, 1)
    """
    hidden_layer_sizes = checked_sizes(hidden_layer_sizes)
    if tokens_per_item is None:
        return _lookup_model(n_items, n_components, hidden_layer_sizes, normalize, seed)
    return _token_model(n_items, n_components, hidden_layer_sizes, tokens_per_item, normalize, seed)


def _embedding(n_items, width, seed):
    return layers.Embedding(
        n_items,
        width,
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed),
        name=EMBEDDING,
    )


def _lookup_model(n_items, n_components, hidden_layer_sizes, normalize, seed):
    pair = keras.Input(shape=(2,), dtype="int32", name="pair")
    embedding = _embedding(n_items, embedding_width(n_components, hidden_layer_sizes), seed)
    head = _head(n_components, hidden_layer_sizes, normalize, seed)
    return keras.Sequential([pair, embedding, *head], name="pair_similarity")


def _token_model(n_items, n_components, hidden_layer_sizes, tokens_per_item, normalize, seed):
    """The token form; ``tokens_per_item=None`` takes any number of token slots."""
    tokens = keras.Input(shape=(2, tokens_per_item), dtype="int32", name="tokens")
    weights = keras.Input(shape=(2, tokens_per_item), dtype="float32", name="weights")
    width = embedding_width(n_components, hidden_layer_sizes)
    token_vectors = _embedding(n_items, width, seed)(tokens)
    vectors = WeightedSum(name=WEIGHTED_SUM)([token_vectors, weights])
    for layer in _head(n_components, hidden_layer_sizes, normalize, seed):
        vectors = layer(vectors)
    return keras.Model(
        {"tokens": tokens, "weights": weights}, vectors, name="token_pair_similarity"
    )


def encoder_sizes(encoder):
    """``(hidden_layer_sizes, n_components)`` of the encoder weights ``encoder``.

    ``encoder`` lists the :class:`Encoder`'s weights in order (empty: none).
    """
    kernels = [kernel for kernel, _ in encoder_layers(encoder)[1]]
    return tuple(np.shape(k)[0] for k in kernels), np.shape(kernels[-1])[1]


def trained_pair_model(
    token_vectors,
    distance_scale,
    similarity_bias,
    *,
    token_form,
    normalize,
    learning_rate,
    encoder=(),
):
    """A compiled model of :func:`build_pair_model`'s form holding trained weights.

    The inverse of :func:`trained_weights`: the embedding holds
    ``token_vectors``, the encoder (if any) the weights ``encoder``, and the
    head gives ``sigmoid(similarity_bias - distance_scale * d)``, its raw
    scale set to ``log(expm1(distance_scale))`` so that its softplus is
    ``distance_scale``. The token form (``token_form=True``) takes any number
    of token slots. Compiled with binary cross-entropy and Adam at
    ``learning_rate``, to train further.
    """
    n_items, n_components = np.shape(token_vectors)
    hidden_layer_sizes = ()
    if len(encoder):
        hidden_layer_sizes, n_components = encoder_sizes(encoder)
    if token_form:
        model = _token_model(n_items, n_components, hidden_layer_sizes, None, normalize, seed=0)
    else:
        model = _lookup_model(n_items, n_components, hidden_layer_sizes, normalize, seed=0)
    model.get_layer(EMBEDDING).set_weights([np.asarray(token_vectors, dtype=np.float32)])
    if len(encoder):
        model.get_layer(ENCODER).set_weights([np.asarray(w, np.float32) for w in encoder])
    # log(expm1(s)) = s + log(-expm1(-s)), without overflow for a large scale; a scale
    # that underflowed to 0 in float32 training keeps the smallest positive one.
    scale = max(float(distance_scale), float(np.finfo(np.float32).tiny))
    raw_scale = scale + np.log(-np.expm1(-scale))
    model.get_layer(PROBABILITY).set_weights(
        [np.array(raw_scale, np.float32), np.array(similarity_bias, np.float32)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="binary_crossentropy"
    )
    # Built, its state (zero moments) is saved whole with the model: Keras builds the
    # optimizer of a loaded model and would otherwise warn that it skipped loading it.
    model.optimizer.build(model.trainable_variables)
    return model


def trained_weights(model):
    """The embedding, distance scale, similarity bias and encoder weights of ``model``.

    As NumPy values; the distance scale is the softplus of the raw weight,
    as the model uses it, and the encoder's weights a list (empty without
    one).
    """
    raw_scale, bias = model.get_layer(PROBABILITY).get_weights()
    scale = distance_scale(raw_scale)
    layer_names = {layer.name for layer in model.layers}
    encoder = model.get_layer(ENCODER).get_weights() if ENCODER in layer_names else []
    return model.get_layer(EMBEDDING).get_weights()[0], scale, float(bias), encoder


def distance_scale(raw_scale):
    """The distance scale of the raw weight ``raw_scale``: its softplus, as the model uses it.

    >>> round(distance_scale(0.0), 4)
    0.6931
    """
    with np.errstate(invalid="ignore"):  # a diverged fit's NaN, which fit then refuses
        return float(np.logaddexp(0.0, raw_scale))


def unseen_shift(model):
    """The variable that moves every item's vector alike, or None.

    The encoder's last bias, when no normalization follows it: the squared
    distance sees only differences, so the loss's gradient with respect to it
    is zero (``model.fit`` computes it so exactly, each pair's two gradients
    cancelling).
    """
    layer_names = {layer.name for layer in model.layers}
    if ENCODER not in layer_names or UNIT_NORMALIZATION in layer_names:
        return None
    return model.get_layer(ENCODER).dense[-1][1]


def embedding_variable(model):
    """The embedding's weight variable."""
    return model.get_layer(EMBEDDING).embeddings


def head_layers(model):
    """The layers after the embedding of a token-form model, in order.

    The first, the weighted sum, takes ``[token_vectors, weights]``.
    """
    names = [WEIGHTED_SUM, ENCODER, UNIT_NORMALIZATION, SQUARED_DISTANCE, PROBABILITY]
    present = {layer.name: layer for layer in model.layers}
    return [present[name] for name in names if name in present]
