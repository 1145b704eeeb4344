import hashlib
import subprocess
import sys
from dataclasses import fields, replace

import numpy as np
import pytest

from sk_colour_embed import build_pair_model
from sk_colour_embed._engine import fit_pair_model
from sk_colour_embed._engine.settings import (
    LAZY_MIN_VALUES,
    TRAINERS,
    XLA_MIN_STEPS,
    Settings,
    TrainerCache,
)
from sk_colour_embed._engine.trainers import (
    AdamSchedule,
    ComposedAdamTrainer,
    KerasAdamTrainer,
    LazyAdamTrainer,
)
from sk_colour_embed._keras_env import keras, tf
from sk_colour_embed._model import trained_weights
from sk_colour_embed._params import Stopping, TrainingConfig


def labelled_pairs(n_items, n_pairs, seed=0):
    rng = np.random.default_rng(seed)
    descriptors = rng.uniform(size=(n_items, 3))
    pairs = rng.integers(n_items, size=(n_pairs, 2)).astype(np.int32)
    distance = np.mean((descriptors[pairs[:, 0]] - descriptors[pairs[:, 1]]) ** 2, axis=1)
    labels = (distance < 0.2 * rng.uniform(size=n_pairs) ** 2).astype(np.float32)
    return pairs, labels


def lookup_table(n_items):
    """Each item its own token, of weight 1: the tutorial's lookup."""
    return np.arange(n_items, dtype=np.int32)[:, None], np.ones((n_items, 1), np.float32)


def token_table(n_items, n_tokens, seed=0):
    """Items of 1 to 3 random tokens, weights summing to 1, padded with weight 0."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(n_tokens, size=(n_items, 3)).astype(np.int32)
    weights = rng.uniform(0.5, 1.5, size=(n_items, 3)) * (
        np.arange(3) < rng.integers(1, 4, size=(n_items, 1))
    )
    return ids, (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def dense_table(n_items, n_features=6, seed=0):
    """Every item has every feature, of any sign, and feature 0 in a second slot too."""
    rng = np.random.default_rng(seed)
    ids = np.tile(np.r_[np.arange(n_features), 0], (n_items, 1)).astype(np.int32)
    return ids, rng.normal(scale=0.5, size=ids.shape).astype(np.float32)


TABLES = {
    "lookup": lambda n: (n, *lookup_table(n)),
    "tokens": lambda n: (n // 2 + 2, *token_table(n, n // 2 + 2)),
    # the composed trainer multiplies these as a dense block
    "dense": lambda n: (6, *dense_table(n)),
}

# The seed of the models of these tests' engine fits and of their model.fit references.
MODEL_SEED = 7

# jit_compile=True: each fit compiles its epochs with XLA, seconds a fit; the quick subset
# (-m "not slow") runs the same tests in graph mode alone.
XLA = pytest.param(True, marks=pytest.mark.slow)


def model_for(n_tokens, table, normalize=False, hidden_layer_sizes=()):
    return build_pair_model(
        n_tokens,
        2,
        tokens_per_item=table[0].shape[1],
        hidden_layer_sizes=hidden_layer_sizes,
        normalize=normalize,
        seed=MODEL_SEED,
    )


class Orders:
    """Stands for the engine's rng: each order of the pairs it draws is the next of ``orders``.

    Without ``orders``, every epoch takes the pairs in their order, as
    ``model.fit(shuffle=False)`` does.
    """

    def __init__(self, orders=None):
        self.orders = None if orders is None else iter(orders)

    def permutation(self, n):
        return np.arange(n) if self.orders is None else next(self.orders)


# Keras's fits, by a digest of their data and their settings: several engines are compared
# with the same fit, made once per test run (the tests only read the model).
KERAS_FITS = {}


def fit_with_keras(
    pairs, labels, n_tokens, table, epochs, batch_size, normalize=False, hidden_layer_sizes=()
):
    data = hashlib.sha256()
    for array in (pairs, labels, *table):
        data.update(f"{array.dtype}{array.shape}".encode())
        data.update(np.ascontiguousarray(array).tobytes())
    settings = (n_tokens, epochs, batch_size, normalize, tuple(hidden_layer_sizes))
    key = (data.hexdigest(), settings)
    if key not in KERAS_FITS:
        KERAS_FITS[key] = _fit_with_keras(
            pairs, labels, n_tokens, table, epochs, batch_size, normalize, hidden_layer_sizes
        )
    return KERAS_FITS[key]


def _fit_with_keras(
    pairs, labels, n_tokens, table, epochs, batch_size, normalize, hidden_layer_sizes
):
    model = model_for(n_tokens, table, normalize, hidden_layer_sizes)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    inputs = {"tokens": table[0][pairs], "weights": table[1][pairs]}
    history = model.fit(
        inputs, labels, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0
    )
    return model, history.history["loss"]


def engine_fit(n_tokens, table, pairs, labels, *, rng, callbacks=(), **settings):
    """fit_pair_model with a new trainer, on the model of :func:`model_for`; the trained weights.

    ``settings`` are those of :class:`TrainingConfig`, with a learning rate of 0.01.
    """
    TRAINERS.clear()
    config = TrainingConfig(**{"learning_rate": 0.01, **settings})
    return fit_pair_model(
        *table,
        pairs,
        labels,
        config,
        n_tokens=n_tokens,
        seed=MODEL_SEED,
        rng=rng,
        callbacks=callbacks,
    )


def the_idle_trainer():
    (trainer,) = TRAINERS.idle.values()
    return trainer


def fit_with_engine(
    pairs,
    labels,
    n_tokens,
    table,
    epochs,
    batch_size,
    lazy,
    jit_compile=True,
    normalize=False,
    composed="auto",
    hidden_layer_sizes=(),
):
    """The engine's fit of :func:`fit_with_keras`, on the pairs in their order every epoch."""
    trained = engine_fit(
        n_tokens,
        table,
        pairs,
        labels,
        rng=Orders(),
        epochs=epochs,
        batch_size=batch_size,
        lazy=lazy,
        jit_compile=jit_compile,
        normalize=normalize,
        composed=composed,
        hidden_layer_sizes=hidden_layer_sizes,
    )
    trainer = the_idle_trainer()
    dense = {True: ComposedAdamTrainer, False: KerasAdamTrainer}.get(composed, object)
    assert isinstance(trainer, LazyAdamTrainer if lazy else dense)
    assert trainer._run_epoch._jit_compile == jit_compile
    return trained, trained.history.losses


def assert_same_weights(trained, reference, atol):
    """The weights ``fit_pair_model`` returned are those of the Keras model ``reference``."""
    vectors, scale, bias, encoder = trained_weights(reference)
    np.testing.assert_allclose(trained.token_vectors, vectors, atol=atol)
    assert len(trained.encoder) == len(encoder)
    for weights, expected in zip(trained.encoder, encoder, strict=True):
        np.testing.assert_allclose(weights, expected, atol=atol)
    np.testing.assert_allclose(
        [trained.distance_scale, trained.similarity_bias], [scale, bias], atol=atol
    )


def lookup_fit(n_items, pairs, labels, *, n_components=2, seed=0, **settings):
    """A lookup model of ``n_items`` trained by fit_pair_model; its vectors and losses."""
    trained = engine_fit(
        n_items,
        lookup_table(n_items),
        pairs,
        labels,
        rng=np.random.default_rng(seed),
        n_components=n_components,
        **settings,
    )
    return trained.token_vectors, trained.history.losses


def embedding(model):
    return model.get_layer("embedding").get_weights()[0]


@pytest.mark.parametrize("composed", [True, False])
@pytest.mark.parametrize("table_kind", ["lookup", "tokens", "dense"])
@pytest.mark.parametrize("jit_compile", [XLA, False])
# Without and with a last, smaller batch; the quick subset runs the second, which has both.
@pytest.mark.parametrize("n_pairs", [pytest.param(1000, marks=pytest.mark.slow), 1100])
def test_dense_adam_engines_match_model_fit(n_pairs, jit_compile, table_kind, composed):
    pairs, labels = labelled_pairs(40, n_pairs)
    n_tokens, *table = TABLES[table_kind](40)
    reference, reference_losses = fit_with_keras(pairs, labels, n_tokens, table, 3, 200)
    trained, losses = fit_with_engine(
        pairs,
        labels,
        n_tokens,
        table,
        3,
        200,
        lazy=False,
        jit_compile=jit_compile,
        composed=composed,
    )
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    assert_same_weights(trained, reference, atol=1e-6)


@pytest.mark.parametrize("jit_compile", [XLA, False])
def test_an_item_at_the_origin_trains_on_the_unit_sphere_as_model_fit_trains_it(jit_compile):
    # Item 0's features are all zero, so its vector is the origin (as is an
    # item whose ReLUs are all off): there Keras's UnitNormalization has a NaN
    # gradient under XLA, and the fit diverged in its first epoch.
    pairs, labels = labelled_pairs(40, 1000)
    n_tokens, ids, weights = TABLES["dense"](40)
    weights[0] = 0.0
    table = (ids, weights)
    model = dict(normalize=True)
    reference, reference_losses = fit_with_keras(pairs, labels, n_tokens, table, 2, 200, **model)
    trained, losses = fit_with_engine(
        pairs, labels, n_tokens, table, 2, 200, lazy=False, jit_compile=jit_compile, **model
    )
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    assert_same_weights(trained, reference, atol=1e-6)


@pytest.mark.slow  # compiled with XLA
# The composed engine's hidden layers are the (5, 3) case of
# test_composed_adam_maps_items_once_a_step_as_model_fit_maps_each_pair.
@pytest.mark.parametrize("lazy, composed", [(False, False), (True, "auto")])
@pytest.mark.parametrize("table_kind", ["lookup", "tokens", "dense"])
def test_every_engine_trains_hidden_layers_as_model_fit_does(table_kind, lazy, composed):
    # Batches of all 4 items' pairs, so that the lazy rule has no step to catch up.
    pairs, labels = labelled_pairs(4 if lazy else 40, 600)
    n_tokens, *table = TABLES[table_kind](4 if lazy else 40)
    hidden = dict(hidden_layer_sizes=(5, 3))
    reference, reference_losses = fit_with_keras(pairs, labels, n_tokens, table, 2, 200, **hidden)
    trained, losses = fit_with_engine(
        pairs, labels, n_tokens, table, 2, 200, lazy=lazy, composed=composed, **hidden
    )
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    assert len(reference.get_weights()) == 1 + len(trained.encoder) + 2 == 1 + 5 + 2
    # The lazy rule's step sizes come from a schedule: a float rounding apart.
    assert_same_weights(trained, reference, atol=1e-5 if lazy else 1e-6)


@pytest.mark.slow  # compiled with XLA
@pytest.mark.parametrize(
    "hidden_layer_sizes, normalize, per_item",
    [((5, 3), False, True), ((2,), False, False), ((), True, False)],
)
@pytest.mark.parametrize("table_kind", ["lookup", "tokens", "dense"])
def test_composed_adam_maps_items_once_a_step_as_model_fit_maps_each_pair(
    table_kind, hidden_layer_sizes, normalize, per_item
):
    # A narrowing encoder maps each item once a step, and its squared gradients
    # come from the Jacobian; the last bias, unseen by distances, stays put. Without
    # hidden layers, on the unit sphere: the composed engine's normalization.
    pairs, labels = labelled_pairs(40, 600)
    n_tokens, *table = TABLES[table_kind](40)
    model = dict(hidden_layer_sizes=hidden_layer_sizes, normalize=normalize)
    reference, reference_losses = fit_with_keras(pairs, labels, n_tokens, table, 2, 200, **model)
    trained, losses = fit_with_engine(
        pairs, labels, n_tokens, table, 2, 200, lazy=False, composed=True, **model
    )
    assert the_idle_trainer().per_item == per_item
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    assert_same_weights(trained, reference, atol=1e-6)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("jit_compile", [XLA, False])
@pytest.mark.parametrize("table_kind", ["lookup", "tokens"])
def test_lazy_adam_matches_dense_adam_when_every_row_is_in_every_batch(
    jit_compile, normalize, table_kind
):
    # 4 items (3 tokens) and batches of 200 pairs: no row skips a step, so the
    # lazy rule must reproduce Keras's Adam, repeated rows within a batch included.
    pairs, labels = labelled_pairs(4, 1000)
    n_tokens, *table = TABLES[table_kind](4)
    reference, reference_losses = fit_with_keras(pairs, labels, n_tokens, table, 2, 200, normalize)
    trained, losses = fit_with_engine(
        pairs,
        labels,
        n_tokens,
        table,
        2,
        200,
        lazy=True,
        jit_compile=jit_compile,
        normalize=normalize,
    )
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    np.testing.assert_allclose(trained.token_vectors, embedding(reference), atol=1e-5)


@pytest.mark.slow  # the lazy rule: compiled with XLA
def test_lazy_adam_catches_up_skipped_steps():
    # Item 3 is only in the first batch; afterwards dense Adam keeps moving it
    # with its decaying momentum, which the lazy rule applies at the end.
    pairs = np.array([[0, 3]] * 10 + [[0, 1], [1, 2], [2, 0]] * 30, dtype=np.int32)
    labels = np.r_[np.zeros(10), np.tile([1.0, 0.0], 45)].astype(np.float32)
    table = lookup_table(4)
    reference, _ = fit_with_keras(pairs, labels, 4, table, 3, 10)
    trained, _ = fit_with_engine(pairs, labels, 4, table, 3, 10, lazy=True)
    moved = embedding(reference)[3] - model_for(4, table).get_weights()[0][3]
    assert np.abs(moved).max() > 0.05
    # epsilon is left out of skipped steps; gradients here are large, so it is negligible
    np.testing.assert_allclose(trained.token_vectors, embedding(reference), rtol=1e-3, atol=1e-4)


def test_skip_sums_add_up_the_step_sizes():
    schedule = AdamSchedule.for_steps(50, 0.01)
    tau, t = 5, 30
    direct = sum(schedule.alpha[u] * schedule.rho ** (u - tau) for u in range(tau + 1, t))
    via_table = schedule.skip_sum[tau] - schedule.rho ** (t - 1 - tau) * schedule.skip_sum[t - 1]
    assert via_table == pytest.approx(direct, rel=1e-5)
    assert schedule.alpha[1] == pytest.approx(0.01 * np.sqrt(1 - 0.999) / (1 - 0.9), rel=1e-6)


def settings_for(table, labels, n_tokens, **config):
    """The :class:`Settings` that a fit of ``config`` on these items and labels resolves."""
    return Settings.resolve(TrainingConfig(**config), table[1], labels, n_tokens=n_tokens)


def trainer_for(table, labels, n_tokens, **config):
    """The trainer that a fit of ``config`` on these items and labels makes, before training."""
    settings = settings_for(table, labels, n_tokens, **config)
    return settings.trainer(settings.model(seed=0))


def test_automatic_choices_follow_embedding_size_and_steps():
    def trainer(n_items, n_pairs, batch_size=1):
        return trainer_for(
            lookup_table(n_items), np.zeros(n_pairs), n_items, epochs=1, batch_size=batch_size
        )

    # composed when the items are no more than the items of a step's pairs
    assert isinstance(trainer(100, 100, batch_size=50), ComposedAdamTrainer)
    assert isinstance(trainer(100, 100, batch_size=49), KerasAdamTrainer)
    assert isinstance(trainer(40_000, 10), LazyAdamTrainer)
    assert not trainer(100, XLA_MIN_STEPS - 1)._run_epoch._jit_compile
    assert trainer(100, XLA_MIN_STEPS)._run_epoch._jit_compile
    assert trainer(40_000, 10)._run_epoch._jit_compile  # lazy: reproducible under XLA only
    # Dense features: every row in every step, however many values, so no lazy update.
    dense = trainer_for(
        dense_table(300, n_features=256), np.zeros(1000), 256, n_components=300, epochs=1
    )
    assert 256 * 300 >= LAZY_MIN_VALUES and isinstance(dense, ComposedAdamTrainer)


def test_the_trace_key_holds_every_setting_that_changes_tracing_and_not_the_steps():
    pairs, labels = labelled_pairs(40, 600)
    labels[:10] = 1
    n_tokens, *table = TABLES["tokens"](40)
    config = dict(epochs=4, batch_size=64, jit_compile=False)
    settings = settings_for(table, labels, n_tokens, **config)
    key = settings.trace_key
    # Fits that differ in their number of steps, or learning rate, share the key...
    longer = settings_for(table, labels, n_tokens, **{**config, "epochs": 9})
    assert longer.n_steps == 9 * 10 and settings.n_steps == 4 * 10  # batches of 64 of 600 pairs
    assert longer.trace_key == key
    assert settings_for(table, labels, n_tokens, **config, learning_rate=0.5).trace_key == key
    assert settings_for(table[:1] + [table[1] * 2], labels, n_tokens, **config).trace_key == key
    # ...and any other setting, resolved from the configuration or the data, changes it.
    changed = [
        settings_for(table, labels, n_tokens, **{**config, **other})
        for other in [
            dict(batch_size=32),
            dict(negative=2),
            dict(n_components=3),
            dict(hidden_layer_sizes=(4,)),
            dict(normalize=True),
            dict(jit_compile=True),
            dict(lazy=True),
            dict(composed=False),
        ]
    ]
    changed += [
        settings_for(table, labels, n_tokens + 1, **config),
        settings_for(dense_table(40), labels, n_tokens, **config),  # other token slots
        settings_for(table, np.ones_like(labels), n_tokens, **config, negative=2),
    ]
    keys = [key, *(other.trace_key for other in changed)]
    assert len(set(keys)) == len(keys)
    # Every field of the settings but n_steps is in the key.
    for field in fields(Settings):
        value = getattr(settings, field.name)
        other = replace(settings, **{field.name: (value, "other")})
        assert (other.trace_key == key) == (field.name == "n_steps"), field.name


def test_training_leaves_tensorflow_logging_as_it_was():
    pairs, labels = labelled_pairs(10, 100)
    logger = tf.get_logger()
    before = logger.level
    logger.setLevel(5)
    try:
        lookup_fit(10, pairs, labels, epochs=1, batch_size=50)
        assert logger.level == 5
    finally:
        logger.setLevel(before)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("jit_compile", [False, XLA])
def test_training_is_deterministic_and_learns(lazy, jit_compile):
    pairs, labels = labelled_pairs(60, 3000)

    def run(seed):
        return lookup_fit(
            60,
            pairs,
            labels,
            seed=seed,
            epochs=15,
            batch_size=64,
            lazy=lazy,
            jit_compile=jit_compile,
        )

    first, second, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other[0])  # a fresh shuffle per seed
    assert first[1][-1] < first[1][0] - 0.1


def test_keras_adam_on_the_pairs_is_deterministic_in_graph_mode():
    pairs, labels = labelled_pairs(60, 3000)

    def run():
        trained, losses = fit_with_engine(
            pairs,
            labels,
            60,
            lookup_table(60),
            3,
            16,
            lazy=False,
            jit_compile=False,
            composed=False,
        )
        return trained.token_vectors, losses

    (first, first_losses), (second, second_losses) = run(), run()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first_losses, second_losses)


@pytest.mark.parametrize("jit_compile", [XLA, False])
def test_fewer_pairs_than_a_batch_train_as_one_batch(jit_compile):
    # XLA used to fail to compile the loop's batch slice when it was larger than the pairs.
    pairs, labels = labelled_pairs(10, 50)

    def run(batch_size):
        return lookup_fit(
            10, pairs, labels, epochs=3, batch_size=batch_size, jit_compile=jit_compile
        )

    (too_large, losses), (exact, exact_losses) = run(64), run(50)
    np.testing.assert_array_equal(too_large, exact)
    np.testing.assert_array_equal(losses, exact_losses)


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_memory_follows_the_pairs_not_the_batch_size():
    # VmHWM is this process's own peak: getrusage's ru_maxrss also counts the peak of the
    # parent it was forked from (the test runner, over 1.5 GiB late in the suite).
    code = """
import re, numpy as np
from sk_colour_embed._params import TrainingConfig
from sk_colour_embed._engine import fit_pair_model
config = TrainingConfig(epochs=2, batch_size=10**9, learning_rate=0.01)
fit_pair_model(np.arange(2)[:, None], np.ones((2, 1)), np.array([[0, 1], [1, 0]]),
               np.array([1.0, 0.0]), config, n_tokens=2, seed=0, rng=np.random.default_rng(0))
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1)) / 2**20)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 1.5  # GiB; TensorFlow itself takes about 0.5


@pytest.mark.slow  # the lazy rule: compiled with XLA
def test_short_lazy_fits_of_many_values_are_reproducible():
    # Graph-mode scatters with repeated rows summed in thread order differed
    # by about 1e-7 from run to run here. More items than a step's 1,024 slots:
    # the automatic choice is the lazy update, so compiled with XLA.
    pairs, labels = labelled_pairs(2000, 5000)

    def run():
        return lookup_fit(2000, pairs, labels, n_components=50, epochs=2, batch_size=512)[0]

    first = run()
    assert isinstance(the_idle_trainer(), LazyAdamTrainer)
    assert the_idle_trainer()._run_epoch._jit_compile
    np.testing.assert_array_equal(first, run())


def test_each_epoch_takes_the_pairs_in_a_fresh_order():
    pairs, labels = labelled_pairs(30, 600)
    table = lookup_table(30)

    def run(rng):
        return engine_fit(
            30,
            table,
            pairs,
            labels,
            rng=rng,
            epochs=3,
            batch_size=64,
            lazy=False,
            jit_compile=False,
        ).token_vectors

    rng = np.random.default_rng(3)
    fresh = [rng.permutation(600).astype(np.int32) for _ in range(3)]
    trained = run(np.random.default_rng(3))
    np.testing.assert_array_equal(trained, run(Orders(fresh)))
    assert np.abs(trained - run(Orders([fresh[0]] * 3))).max() > 1e-4  # not one order reused


def numpy_loss(trained, table, pairs, labels, normalize):
    """The binary cross-entropy of the returned weights, computed with NumPy alone."""
    import scipy.sparse as sp

    from sk_colour_embed._vectors import compose

    ids, weights = table
    matrix = sp.csr_matrix(
        (weights.ravel(), (np.repeat(np.arange(len(ids)), ids.shape[1]), ids.ravel()))
    )
    vectors = compose(matrix, trained.token_vectors, normalize)
    squared = np.sum((vectors[pairs[:, 0]] - vectors[pairs[:, 1]]) ** 2, axis=1)
    p = 1 / (1 + np.exp(-(trained.similarity_bias - trained.distance_scale * squared)))
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(labels * np.log(p) + (1 - labels) * np.log(1 - p))))


def one_step(n_items, learning_rate, normalize=False, n_components=2):
    """One Adam step over all of 256 pairs of token items; the weights and the data."""
    pairs, labels = labelled_pairs(n_items, 256)
    n_tokens, *table = TABLES["tokens"](n_items)
    config = TrainingConfig(
        n_components=n_components,
        normalize=normalize,
        epochs=1,
        batch_size=256,
        learning_rate=learning_rate,
    )
    trained = fit_pair_model(
        *table, pairs, labels, config, n_tokens=n_tokens, seed=4, rng=np.random.default_rng(0)
    )
    return trained, (table, pairs, labels)


@pytest.mark.parametrize("normalize", [False, True])
def test_the_model_trains_the_composition_it_is_asked_for(normalize):
    # With a learning rate of ~0 the epoch's loss is the loss of the initial
    # weights, which must be the loss of the same composition in NumPy:
    # training without UnitNormalization under normalize=True fails here.
    trained, data = one_step(12, 1e-12, normalize, n_components=3)
    assert trained.history.losses[0] == pytest.approx(
        numpy_loss(trained, *data, normalize), rel=1e-5
    )
    assert abs(numpy_loss(trained, *data, not normalize) - trained.history.losses[0]) > 1e-4


def test_a_step_lowers_the_loss_of_its_batch():
    before, data = one_step(20, 1e-12)
    after, _ = one_step(20, 0.05)
    assert not np.allclose(after.token_vectors, before.token_vectors)
    assert numpy_loss(after, *data, False) < numpy_loss(before, *data, False) - 1e-3


@pytest.mark.slow  # compiled with XLA
def test_lazy_adam_follows_dense_adam_over_hundreds_of_steps_with_skips():
    # 50 items, batches of 32 (a last batch of 16): rows skip many steps.
    pairs, labels = labelled_pairs(50, 1040)
    table = lookup_table(50)
    reference, reference_losses = fit_with_keras(pairs, labels, 50, table, 12, 32)
    trained, losses = fit_with_engine(pairs, labels, 50, table, 12, 32, lazy=True)  # 396 steps
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-3)
    # epsilon is left out of skipped steps: over ~400 steps that moves weights
    # of size about 1 by at most half a percent here
    np.testing.assert_allclose(trained.token_vectors, embedding(reference), atol=5e-3)


@pytest.mark.slow  # compiled with XLA
def test_the_composed_engine_matches_model_fit_over_a_thousand_steps_at_tutorial_scale():
    pairs, labels = labelled_pairs(949, 100_000)
    table = lookup_table(949)
    reference, reference_losses = fit_with_keras(pairs, labels, 949, table, 6, 512)
    trained, losses = fit_with_engine(
        pairs, labels, 949, table, 6, 512, lazy=False, composed=True
    )  # 1,176 steps
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    np.testing.assert_allclose(trained.token_vectors, embedding(reference), atol=1e-5)


def cached_fit(n_tokens, table, pairs, labels, *, seed=0, callbacks=(), **settings):
    """fit_pair_model with the trainer cache; the trained weights."""
    defaults = {"epochs": 4, "batch_size": 64, "learning_rate": 0.01, "jit_compile": False}
    config = TrainingConfig(**{**defaults, **settings})
    return fit_pair_model(
        *table,
        pairs,
        labels,
        config,
        n_tokens=n_tokens,
        seed=seed,
        rng=np.random.default_rng(seed),
        callbacks=callbacks,
    )


@pytest.fixture
def empty_trainer_cache():
    TRAINERS.clear()
    yield TRAINERS
    TRAINERS.clear()


@pytest.mark.parametrize(
    "table_kind, lazy, jit_compile, negative",
    [
        ("lookup", False, False, 0),
        ("tokens", False, False, 0),
        pytest.param("lookup", False, True, 0, marks=pytest.mark.slow),  # compiled with XLA
        pytest.param("tokens", True, True, 0, marks=pytest.mark.slow),
        pytest.param("tokens", False, True, 3, marks=pytest.mark.slow),
        pytest.param("lookup", True, True, 3, marks=pytest.mark.slow),
    ],
)
def test_a_later_fit_of_the_same_shapes_reuses_the_compiled_trainer(
    empty_trainer_cache, table_kind, lazy, jit_compile, negative
):
    pairs, labels = labelled_pairs(40, 600)
    n_tokens, *table = TABLES[table_kind](40)
    other_pairs, other_labels = labelled_pairs(40, 600, seed=1)
    _, *other_table = TABLES[table_kind](40)
    other_table[1] = np.sqrt(other_table[1])  # the same token slots, other weights
    _, *reversed_table = TABLES[table_kind](40)
    reversed_table[1] = reversed_table[1][::-1].copy()  # other token slots

    settings = dict(lazy=lazy, jit_compile=jit_compile, negative=negative)
    runs = [
        lambda: cached_fit(n_tokens, table, pairs, labels, **settings),
        lambda: cached_fit(n_tokens, other_table, other_pairs, other_labels, seed=1, **settings),
        lambda: cached_fit(n_tokens, table, pairs, labels, learning_rate=0.05, **settings),
        # fewer pairs: the same trainer, traced for their shape
        lambda: cached_fit(n_tokens, table, pairs[:500], labels[:500], **settings),
        lambda: cached_fit(n_tokens, reversed_table, pairs, labels, **settings),
    ]
    reused = [run() for run in runs]
    # One trace per shape of the pairs; the composed trainer's products take
    # the shapes of the items' layout too, which other token slots change.
    trainer = the_idle_trainer()
    composes = isinstance(trainer, ComposedAdamTrainer) and table_kind == "tokens"
    assert trainer.n_traces() == 2 + composes
    fresh = [reused[0]]  # the first run was on an empty cache
    for run in runs[1:]:
        empty_trainer_cache.clear()
        fresh.append(run())
    for got, expected in zip(reused, fresh, strict=True):
        np.testing.assert_array_equal(got.token_vectors, expected.token_vectors)
        np.testing.assert_array_equal(got.history.losses, expected.history.losses)
        assert got.distance_scale == expected.distance_scale
    assert not np.array_equal(reused[0].token_vectors, reused[2].token_vectors)


def test_an_interrupted_fit_leaves_no_trainer_behind(empty_trainer_cache):
    pairs, labels = labelled_pairs(30, 300)
    table = lookup_table(30)
    expected = cached_fit(30, table, pairs, labels)
    empty_trainer_cache.clear()

    def interrupt(epoch, loss, vectors):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_fit(30, table, pairs, labels, callbacks=[interrupt])
    assert not len(empty_trainer_cache.idle)
    np.testing.assert_array_equal(
        cached_fit(30, table, pairs, labels).token_vectors, expected.token_vectors
    )


def test_fits_on_threads_each_get_a_trainer_of_their_own(empty_trainer_cache):
    from concurrent.futures import ThreadPoolExecutor

    pairs, labels = labelled_pairs(30, 3000)
    table = lookup_table(30)
    expected = [cached_fit(30, table, pairs, labels, seed=seed).token_vectors for seed in range(4)]
    logger = tf.get_logger()
    before = logger.level
    logger.setLevel(5)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            fits = pool.map(lambda seed: cached_fit(30, table, pairs, labels, seed=seed), range(4))
            got = list(fits)
        assert logger.level == 5  # the fits that overlapped restored it, whatever their order
    finally:
        logger.setLevel(before)
    for trained, vectors in zip(got, expected, strict=True):
        np.testing.assert_array_equal(trained.token_vectors, vectors)


def test_the_cache_keeps_the_most_recent_trainers_of_bounded_size():
    class Trainer:
        def __init__(self, n_traces=1):
            self.n_traces = lambda: n_traces

    cache = TrainerCache(max_trainers=2, max_values=100, max_traces=3)
    for key in "abc":
        with cache.lend(key, 10, Trainer):
            pass
    with cache.lend("big", 101, Trainer):
        pass
    with cache.lend("retraced", 10, lambda: Trainer(n_traces=4)):
        pass
    assert [key for key in ["a", "b", "c", "big", "retraced"] if cache.idle.get(key)] == ["b", "c"]
    with cache.lend("b", 10, Trainer) as (trainer, reused):
        assert reused and cache.idle.get("b") is None  # lent to one fit at a time


@pytest.mark.parametrize("all_similar", [False, True])
def test_each_similar_pair_brings_its_negatives_drawn_afresh_with_each_seed(all_similar):
    from sk_colour_embed._engine.negatives import PartnerTable

    n_items, k = 5, 4
    pairs, labels = labelled_pairs(n_items, 2000)
    labels[:1000] = 1  # half similar, half as they were
    if all_similar:
        labels[:] = 1
    weights = np.array([1, 2, 3, 4, 0])  # item 4 is never drawn
    items = lookup_table(n_items)
    config = dict(epochs=1, batch_size=len(pairs), jit_compile=False, negative=k)
    trainer = trainer_for(items, labels, n_items, **config)
    assert trainer.all_similar == all_similar
    trainer.start(*items, PartnerTable.from_weights(weights), learning_rate=0.01, n_steps=1)
    table, order = trainer.table["partners"], tf.range(len(pairs))

    def draw(seed):
        seed = tf.constant(seed, tf.uint32)
        partners = trainer._draw_partners(table, seed, tf.constant(pairs), order)
        step = trainer._with_negatives(tf.constant(pairs), tf.constant(labels), partners)
        return [None if t is None else t.numpy() for t in step]

    all_pairs, all_labels, loss_weights = draw([1, 2])
    n = len(pairs)
    np.testing.assert_array_equal(all_pairs[:n], pairs)
    np.testing.assert_array_equal(all_pairs[n:, 0], np.repeat(pairs[:, 0], k))
    np.testing.assert_array_equal(all_labels, np.concatenate([labels, np.zeros(n * k)]))
    # A partner drawn as the item itself is drawn again: what is left is an item drawn
    # twice in a row, with probability p**2 for an item of probability p.
    anchors, partners = all_pairs[n:, 0], all_pairs[n:, 1]
    p = weights / weights.sum()
    expected_self = np.mean(p[anchors] ** 2)
    assert np.mean(anchors == partners) == pytest.approx(expected_self, abs=0.01)
    # Every pair drawn counts when all are similar; otherwise only the negatives of
    # similar pairs, and none of an item with itself.
    if all_similar:
        assert loss_weights is None
    else:
        expected = np.repeat(labels, k) * (anchors != partners)
        np.testing.assert_array_equal(loss_weights, np.concatenate([np.ones(n), expected]))
    # Partners follow the distribution, but for the item itself, drawn again: for an
    # anchor a, P(c) = p_c * (1 + p_a) for c != a, and p_a**2 for a itself.
    per_anchor = p[None, :] * (1 + p[anchors][:, None])
    per_anchor[np.arange(len(anchors)), anchors] = p[anchors] ** 2
    expected_frequency = per_anchor.mean(axis=0)
    frequencies = np.bincount(partners, minlength=n_items) / (n * k)
    np.testing.assert_allclose(frequencies, expected_frequency, atol=0.02)
    again, other = draw([1, 2])[0], draw([1, 3])[0]
    np.testing.assert_array_equal(again, all_pairs)
    assert not np.array_equal(other, all_pairs)


@pytest.mark.parametrize("lazy", [False, XLA])  # the lazy rule is compiled with XLA
def test_training_with_negatives_is_seeded_and_learns_from_similar_pairs_alone(lazy):
    pairs, labels = labelled_pairs(40, 4000)
    similar = pairs[labels == 1]

    def run(seed):
        return lookup_fit(
            40,
            similar,
            np.ones(len(similar), np.float32),
            seed=seed,
            epochs=30,
            batch_size=64,
            lazy=lazy,
            negative=5,
        )

    (first, losses), (second, _), (other, _) = run(0), run(0), run(1)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)
    # the vectors separate similar pairs from random ones
    distance = np.sum((first[pairs[:, 0]] - first[pairs[:, 1]]) ** 2, axis=1)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(labels, -distance) > 0.75
    assert losses[-1] < losses[0] - 0.1


@pytest.mark.parametrize("jit_compile", [XLA, False])
def test_epochs_run_several_a_call_exactly_as_one_a_call(monkeypatch, jit_compile):
    # 11 epochs in calls of up to 4: two full blocks of orders and a short one.
    import sk_colour_embed._engine.trainers as engine

    monkeypatch.setattr(engine, "EPOCHS_PER_CALL", 4)
    pairs, labels = labelled_pairs(30, 600)
    table = lookup_table(30)

    def fit(one_a_call):
        if one_a_call:
            monkeypatch.setattr(engine.EpochTrainer, "epochs_per_call", lambda self, n: 1)
        seen = []
        trained = engine_fit(
            30,
            table,
            pairs,
            labels,
            rng=np.random.default_rng(5),
            callbacks=[lambda epoch, loss, weights: seen.append((epoch, loss, weights()[0]))],
            epochs=11,
            batch_size=64,
            lazy=False,
            jit_compile=jit_compile,
        )
        return trained, seen

    (trained, seen), (expected, expected_seen) = fit(False), fit(True)
    # Bit for bit: the same steps, whatever the number of epochs in a call.
    np.testing.assert_array_equal(trained.history.losses, expected.history.losses)
    assert (
        [epoch for epoch, *_ in seen] == [epoch for epoch, *_ in expected_seen] == list(range(12))
    )
    np.testing.assert_array_equal([loss for _, loss, _ in seen[1:]], expected.history.losses)
    for (_, _, got), (_, _, vectors) in zip(seen, expected_seen, strict=True):
        np.testing.assert_array_equal(got, vectors)  # each epoch's own vectors
    assert not np.array_equal(seen[-1][2], seen[-2][2])
    np.testing.assert_array_equal(trained.token_vectors, expected_seen[-1][2])


@pytest.mark.parametrize("n_iter_no_change", [1, 3, 7])
def test_calls_of_several_epochs_stop_at_the_epoch_one_a_call_stops(monkeypatch, n_iter_no_change):
    import sk_colour_embed._engine.trainers as engine

    monkeypatch.setattr(engine, "EPOCHS_PER_CALL", 5)
    pairs, labels = labelled_pairs(30, 600)
    table = lookup_table(30)

    def fit(one_a_call):
        if one_a_call:
            monkeypatch.setattr(engine.EpochTrainer, "epochs_per_call", lambda self, n: 1)
        return engine_fit(
            30,
            table,
            pairs,
            labels,
            rng=np.random.default_rng(0),
            epochs=60,
            batch_size=64,
            learning_rate=0.05,
            jit_compile=False,
            stopping=Stopping(True, tol=2e-3, n_iter_no_change=n_iter_no_change),
        )

    several, one = fit(False), fit(True)
    assert (
        one.history.stopped_early and len(one.history.losses) < 60
    )  # it stops early, and at the same epoch:
    np.testing.assert_array_equal(several.history.losses, one.history.losses)
    np.testing.assert_array_equal(several.token_vectors, one.token_vectors)
    assert several.history.stopped_early


@pytest.mark.parametrize("one_a_call", [False, True])
def test_a_callback_that_returns_true_ends_training_with_that_epochs_weights(
    monkeypatch, one_a_call
):
    import sk_colour_embed._engine.trainers as engine

    # Epoch 6 is in the middle of the second call of 4: the call runs on to epoch 8.
    monkeypatch.setattr(engine, "EPOCHS_PER_CALL", 4)
    if one_a_call:
        monkeypatch.setattr(engine.EpochTrainer, "epochs_per_call", lambda self, n: 1)
    pairs, labels = labelled_pairs(30, 600)
    table = lookup_table(30)
    settings = dict(epochs=11, batch_size=64, lazy=False, jit_compile=False)
    seen = []

    def stop_after_6(epoch, loss, weights):
        seen.append((epoch, weights()))
        return epoch == 6

    trained = engine_fit(
        30, table, pairs, labels, rng=np.random.default_rng(5), callbacks=[stop_after_6], **settings
    )
    six = engine_fit(
        30, table, pairs, labels, rng=np.random.default_rng(5), **{**settings, "epochs": 6}
    )
    assert [epoch for epoch, _ in seen] == list(range(7))  # no epoch is seen after it
    assert trained.history.interrupted and not trained.history.stopped_early
    assert not six.history.interrupted
    np.testing.assert_array_equal(trained.history.losses, six.history.losses)
    np.testing.assert_array_equal(trained.token_vectors, six.token_vectors)
    np.testing.assert_array_equal(trained.token_vectors, seen[-1][1][0])
    assert (trained.distance_scale, trained.similarity_bias) == (
        six.distance_scale,
        six.similarity_bias,
    )


def test_a_call_runs_as_many_epochs_as_its_orders_and_vectors_fit_in_memory():
    import sk_colour_embed._engine.trainers as engine

    def per_call(n_items, n_pairs, negative=0):
        settings = dict(n_components=4, epochs=2, batch_size=64, lazy=False, negative=negative)
        trainer = trainer_for(lookup_table(n_items), np.ones(600), n_items, **settings)
        return trainer.epochs_per_call(n_pairs)

    assert per_call(30, 600) == engine.EPOCHS_PER_CALL
    too_many = engine.CALL_BYTES // 4 // 3  # room for three epochs of orders, or of vectors
    assert per_call(30, too_many) == 3
    assert per_call(too_many // 4, 600) == 3  # 4-D vectors
    assert per_call(30, 4 * engine.CALL_BYTES) == 1
    assert per_call(30, 600, negative=2) == 1  # partners drawn between epochs
