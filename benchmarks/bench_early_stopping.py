"""Score and loss after each epoch, and where early stopping and the convergence warning fall.

python benchmarks/bench_early_stopping.py [--data xkcd css4 random400] [--epochs 500]

For each table (the 949 xkcd colours, the 148 CSS colours, 400 made-up items
with three random descriptors each), the tutorial's settings
(``PairSimilarityEmbedder(n_components=2, random_state=0)``: 100,000 pairs,
batch 512, Adam 0.001) are fitted for ``--epochs`` epochs, with scikit-learn's
``ScoringMonitor`` scoring each epoch (Spearman, embedding against descriptor
distances, as ``score``). Printed: the score and the training loss after
selected epochs, and the loss's fall an epoch there, as the convergence
warning measures it (the least-squares slope of the last 20 epochs, with its
standard error) and whether the warning would fire on a fit of that many
epochs.

Then early stopping on the training loss for several ``tol`` (10 epochs
without an improvement of ``tol``): where it stops and the score there. It
changes nothing but the number of epochs (tested), so it is read off the
curve. And ``early_stopping=True`` with its defaults (``tol=1e-5``, a tenth of
the pairs held out), and with ``validation_fraction=None``, each a real fit.
"""

import argparse
import warnings

import numpy as np
import pandas as pd

from _common import machine

EPOCHS_SHOWN = (10, 20, 50, 100, 150, 200, 250, 300, 400, 500)
TOLS = (1e-3, 3e-4, 1e-4, 3e-5, 2e-5, 1e-5)


def table(name):
    from sk_colour_embed import load_colours

    if name.startswith("random"):
        n_items = int(name.removeprefix("random"))
        rng = np.random.default_rng(0)
        X = pd.DataFrame({"name": [f"item {i}" for i in range(n_items)]})
        return X, rng.uniform(size=(n_items, 3))
    return load_colours(name, return_X_y=True)


def stopping_epoch(losses, tol, n_iter_no_change=10):
    """The epoch at which early stopping on ``losses`` stops, as the engine counts."""
    best, count = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
        if count >= n_iter_no_change:
            return epoch
    return len(losses)


def curve(X, y, epochs):
    """The fit's losses and the score after each epoch, epoch 1 first."""
    from sklearn.callback import ScoringMonitor

    from sk_colour_embed import PairSimilarityEmbedder

    monitor = ScoringMonitor(scoring={"score": PairSimilarityEmbedder.score})
    embedder = PairSimilarityEmbedder(n_components=2, epochs=epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the curve's short prefixes are read, not fitted
        embedder.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs().data_as_pandas
    scores = log.loc[log["task_name"] == "epoch", "score"].to_numpy()
    return np.array(embedder.history_["loss"]), scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["xkcd", "css4", "random400"])
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()
    from sk_colour_embed import PairSimilarityEmbedder
    from sk_colour_embed._fitting import _JUDGED_EPOCHS, _still_falling
    from sk_colour_embed._params import TOL

    print(machine())
    window = _JUDGED_EPOCHS * 10
    for name in args.data:
        X, y = table(name)
        losses, scores = curve(X, y, args.epochs)
        print(f"\n{name} ({len(X)} items), {args.epochs} epochs, score {scores[-1]:.4f}")
        print("epochs  score   loss    fall/epoch  std.err  warns")
        for epoch in (e for e in EPOCHS_SHOWN if e <= args.epochs):
            judged = losses[max(0, epoch - window) : epoch]
            t = np.arange(len(judged))
            slope, intercept = np.polyfit(t, judged, 1)
            residuals = judged - (slope * t + intercept)
            error = np.sqrt(residuals @ residuals / (len(t) - 2) / np.sum((t - t.mean()) ** 2))
            warns = _still_falling(judged, TOL) is not None
            print(
                f"{epoch:6d}  {scores[epoch - 1]:.4f}  {losses[epoch - 1]:.4f}  "
                f"{-slope:10.1e}  {error:7.1e}  {'yes' if warns else 'no'}"
            )
        print("early stopping on the training loss, n_iter_no_change=10:")
        for tol in TOLS:
            stop = stopping_epoch(losses, tol)
            print(f"  tol={tol:<6g} stops after {stop:3d} epochs, score {scores[stop - 1]:.4f}")
        for label, params in [
            ("early_stopping=True (tol=1e-5, 10% held out)", {}),
            ("early_stopping=True, validation_fraction=None", {"validation_fraction": None}),
        ]:
            embedder = PairSimilarityEmbedder(
                n_components=2, epochs=args.epochs, early_stopping=True, random_state=0, **params
            ).fit(X, y)
            kept = ""
            if "val_loss" in embedder.history_:  # the vectors of the best held-out epoch
                kept = f" (kept epoch {int(np.argmin(embedder.history_['val_loss'])) + 1})"
            print(f"  {label}: {embedder.n_iter_} epochs{kept}, score {embedder.score(X, y):.4f}")


if __name__ == "__main__":
    main()
