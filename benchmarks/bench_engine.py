"""Plain Keras ``model.fit`` against the package's engine, on the same pairs.

The tutorial's settings on the default dataset (949 xkcd colours, 100,000
pairs, batch 512, Adam 0.001). Plain ``fit`` runs ``--plain-epochs`` epochs
(500 by default, so that the final losses compare; fewer are extrapolated
per epoch and the losses are then compared at that epoch). The engine runs
500 epochs ``--repeats`` times; medians are reported.

    python benchmarks/bench_engine.py [--dims 2] [--plain-epochs 500]
"""

import argparse
import time

import numpy as np

from sk_colour_embed import build_pair_model, load_colours
from sk_colour_embed._keras_env import keras

from _common import draw_pairs, machine, median, timed_engine_fit

EPOCHS = 500


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.stamps = [time.perf_counter()]

    def on_epoch_end(self, epoch, logs=None):
        self.stamps.append(time.perf_counter())


def plain_fit(n_items, pairs, labels, n_components, epochs):
    model = build_pair_model(n_items, n_components, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy")
    timer = EpochTimer()
    history = model.fit(
        pairs, labels, batch_size=512, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer]
    )
    return np.array(history.history["loss"]), np.diff(timer.stamps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=2)
    parser.add_argument("--plain-epochs", type=int, default=EPOCHS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    n_items, pairs, labels = draw_pairs(*load_colours(return_X_y=True), 100_000)
    print(f"{n_items} items, {len(pairs):,} pairs, batch 512, {args.dims}-D\n")

    plain_losses, plain_seconds = plain_fit(n_items, pairs, labels, args.dims, args.plain_epochs)
    plain_epoch = median(plain_seconds[1:])
    print(
        f"(a) plain model.fit, {args.plain_epochs} epochs: {plain_epoch:.4f} s per epoch (median), "
        f"first epoch {plain_seconds[0]:.2f} s"
    )
    if args.plain_epochs < EPOCHS:
        print(f"    extrapolated to {EPOCHS} epochs: {plain_epoch * EPOCHS:.0f} s")

    # The first fit of the process compiles the epochs (or loads them from the
    # XLA cache); the next ones, of the same shapes, reuse them.
    runs = [
        timed_engine_fit(n_items, pairs, labels, n_components=args.dims, epochs=EPOCHS, seed=r)
        for r in range(1 + args.repeats)
    ]
    warm = runs[1:]
    engine_epoch = median([median(seconds) for _, seconds in warm])
    training = median([seconds.sum() for _, seconds in warm])
    compile_seconds = runs[0][1].sum() - training
    print(
        f"(b) engine, {EPOCHS} epochs x {args.repeats} runs after a first: "
        f"{engine_epoch:.5f} s per epoch (median); "
        f"training {training:.2f} s per fit ({training / EPOCHS:.4f} s per epoch), "
        f"plus {compile_seconds:.2f} s of compilation in the first fit"
    )

    at = args.plain_epochs - 1
    engine_loss = median([losses[at] for losses, _ in runs])
    print(
        f"\nratio plain / engine per epoch: {plain_epoch / engine_epoch:.1f}x "
        f"(over the whole fit's mean epoch: {plain_epoch / (training / EPOCHS):.1f}x)"
    )
    print(
        f"training loss after {at + 1} epochs: plain {plain_losses[at]:.4f}, "
        f"engine {engine_loss:.4f} "
        f"(median of runs), difference {abs(plain_losses[at] - engine_loss):.4f}"
    )


if __name__ == "__main__":
    main()
