"""The training engine: from items, labelled pairs and a configuration to trained weights.

:func:`fit_pair_model` is its one door; the fit core calls it, and nothing
else of the package imports the engine's modules. Importing this package
imports no TensorFlow: every fit's first step, :func:`prepare`, sets up the
compilation cache (``xla_cache``), which TensorFlow reads once at its
import, then imports TensorFlow. Inside:

- ``settings``: a fit's choices resolved for its data, and the idle trainers
  kept by what they trace;
- ``trainers``: the three Adam trainers, whole epochs in one compiled call;
- ``loop``: the epoch loop, its callbacks and early stopping;
- ``sparse``, ``negatives``: the sparse products and the negative partners in
  TensorFlow; ``xla_cache``: compiled epochs shared between processes, safely.

The Keras model itself (``_model``) lies outside: ``to_keras`` and
``build_pair_model`` build it without training.
"""

import functools
from dataclasses import dataclass

import numpy as np


def prepare():
    """The first step of every fit: set up the compilation cache, then import TensorFlow.

    TensorFlow reads the cache's flag once, at its import, so the flag is set
    here, explicitly, and importing a module of the package changes nothing
    (see ``xla_cache``). :func:`fit_pair_model` calls it; the command calls it
    before it times a fit, so that the time is the fit's alone.
    """
    from sk_colour_embed._engine.xla_cache import COMPILATION_CACHE

    COMPILATION_CACHE.prepare()
    import sk_colour_embed._keras_env  # noqa: F401  (TensorFlow and Keras)


@dataclass(frozen=True)
class TrainedWeights:
    """What training leaves: plain arrays and numbers, no TensorFlow."""

    token_vectors: np.ndarray
    distance_scale: float
    similarity_bias: float
    # The encoder's weights, in its order (empty without hidden layers).
    encoder: list
    # The epochs' losses and why training stopped: the epoch loop's ``History`` (its
    # module imports TensorFlow, so the type is named, not imported).
    history: "History"  # noqa: F821


def fit_pair_model(
    item_tokens, item_weights, pairs, labels, config, *, n_tokens, seed, rng, callbacks=()
):
    """Build the token-form model, train it on ``pairs`` and ``labels``, and return its weights.

    The engine's one entry point. Fits of the same :attr:`settings.Settings.trace_key`
    in one process reuse a compiled trainer (see :data:`settings.TRAINERS`);
    the result is the same as with a new one.

    Parameters
    ----------
    item_tokens : ndarray of shape (n_items, n_slots), int
        Each item's token ids (rows of the embedding).
    item_weights : ndarray of shape (n_items, n_slots)
        Their weights; 0 pads an item with fewer tokens.
    pairs : ndarray of shape (n_pairs, 2), int
        Item indices.
    labels : ndarray of shape (n_pairs,)
        1 for a similar pair, 0 for a dissimilar one.
    config : TrainingConfig
        The training's settings, ``negative`` an int; the engine reads
        ``n_components``, ``hidden_layer_sizes``, ``normalize`` (the model's,
        as :func:`build_pair_model` takes them), ``epochs``, ``batch_size``,
        ``learning_rate``, ``negative`` (dissimilar pairs drawn in every step
        for each pair labelled 1: its first item with a partner from the
        items of the similar pairs, see :meth:`PartnerTable.from_pairs`),
        ``ns_exponent``, ``stopping`` (a ``Stopping``: with its
        ``validation_fraction``, the held-out pairs are drawn from ``rng``
        before the epochs' orders), and how to train: ``lazy``
        (:class:`LazyAdamTrainer`, or Keras's dense Adam:
        :class:`ComposedAdamTrainer`, or :class:`KerasAdamTrainer` for items
        too many to compose at every step, as ``composed`` says; ``"auto"``
        takes the lazy one when the embedding has at least
        ``LAZY_MIN_VALUES`` values and a step does not touch every item's
        entries, and composes when it does), ``jit_compile`` (XLA, or a
        TensorFlow graph; ``"auto"`` compiles when the fit has at least
        ``XLA_MIN_STEPS`` steps, and always for the lazy update, whose
        graph-mode scatters are not reproducible).
    n_tokens : int
        Rows of the embedding.
    seed : int
        Seed of the model's initial weights, as :func:`build_pair_model` takes it.
    rng : numpy.random.Generator
        Draws each epoch's order of the pairs (and the held-out pairs, and the
        seeds of the negative partners).
    callbacks : sequence of callables, default=()
        Each is called as ``callback(epoch, loss, variables)`` before the
        first epoch (``epoch=0``, ``loss`` NaN) and after each epoch (``epoch``
        counted from 1); ``variables()`` gives the model's trainable weights at
        that point as NumPy arrays (:meth:`EpochTrainer.snapshot`): the token
        vectors, the encoder's, then the head's. One that returns True after
        an epoch ends training there, with that epoch's weights.

    Returns
    -------
    TrainedWeights

    Examples
    --------
    >>> import numpy as np
    >>> from sk_colour_embed._params import TrainingConfig
    >>> items = np.arange(3)[:, None], np.ones((3, 1))
    >>> pairs, labels = np.array([[0, 1], [1, 2], [0, 2]]), np.array([1.0, 0.0, 0.0])
    >>> config = TrainingConfig(n_components=2, epochs=3, batch_size=2)
    >>> trained = fit_pair_model(
    ...     *items, pairs, labels, config, n_tokens=3, seed=0, rng=np.random.default_rng(0)
    ... )
    >>> trained.token_vectors.shape, len(trained.history.losses)
    ((3, 2), 3)
    """
    prepare()
    from sk_colour_embed._engine.loop import run
    from sk_colour_embed._engine.negatives import partner_table
    from sk_colour_embed._engine.settings import TRAINERS, Settings
    from sk_colour_embed._engine.xla_cache import COMPILATION_CACHE
    from sk_colour_embed._model import trained_weights

    kept, held = config.stopping.split(len(pairs), rng)
    held_out = None
    if len(held):
        held_out = pairs[held], labels[held]
        pairs, labels = pairs[kept], labels[kept]
    settings = Settings.resolve(config, item_weights, labels, n_tokens=n_tokens)
    partners = partner_table(
        pairs, labels, len(item_weights), settings.negative, config.ns_exponent
    )
    if settings.jit_compile:
        # The compiled epochs that earlier processes shared, before the first is compiled.
        COMPILATION_CACHE.load()
    model = settings.model(seed)
    new_trainer = functools.partial(settings.trainer, model)
    with TRAINERS.lend(settings.trace_key, settings.n_values, new_trainer) as (trainer, reused):
        if reused:
            trainer.model.set_weights(model.get_weights())
        trainer.start(
            item_tokens,
            item_weights,
            partners,
            learning_rate=config.learning_rate,
            n_steps=settings.n_steps,
        )
        if held_out is not None:
            # Its negative partners are drawn once, from a seed of their own.
            held_out = trainer.held_out(*held_out, seed=rng.integers(2**31, size=2))
        history = run(
            trainer,
            pairs,
            labels,
            epochs=config.epochs,
            rng=rng,
            callbacks=callbacks,
            stopping=config.stopping,
            held_out=held_out,
        )
        trained = TrainedWeights(*trained_weights(trainer.model), history=history)
    if settings.jit_compile:
        COMPILATION_CACHE.publish()  # what this fit compiled, for later processes
    return trained
