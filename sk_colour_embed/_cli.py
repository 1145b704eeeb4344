"""The ``sk-colour-embed`` command: fit colour vectors and write them out."""

import argparse
import json
import sys
import time
from pathlib import Path

from sk_colour_embed._data import ColourFileError, load_colours
from sk_colour_embed._embedder import PairSimilarityEmbedder
from sk_colour_embed._sampling import PairSampler

PROG = "sk-colour-embed"


class _OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a value above 0, got {text!r}")
        return value

    return parse


def build_parser():
    parser = _OneLineErrorParser(
        prog=PROG,
        description=(
            "Learn a vector for each colour name from random pairs of colours "
            "labelled similar or dissimilar (the tutorial's model), and write "
            "the vectors, a picture of them and their score."
        ),
    )
    parser.add_argument(
        "--source",
        default="xkcd",
        help="colour table: 'xkcd' (949 colours, the default), 'css4' (148) or the "
        "path of a CSV in the tutorial's Kaggle format",
    )
    parser.add_argument(
        "--dims", type=_positive(int), default=2, help="dimension of the vectors (default: 2)"
    )
    parser.add_argument(
        "--threshold",
        type=_positive(float),
        default=0.2,
        help="a pair is similar when its mean squared RGB difference is below "
        "threshold * U**2, U uniform (default: 0.2)",
    )
    parser.add_argument(
        "--n-pairs",
        type=_positive(int),
        default=100_000,
        help="random pairs to train on (default: 100000)",
    )
    parser.add_argument(
        "--epochs", type=_positive(int), default=500, help="passes over the pairs (default: 500)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed gives the same result (default: 0)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="folder for the output files (default: results)",
    )
    parser.add_argument(
        "--animate",
        action="store_true",
        help="also record the vectors every epoch and write training.gif, their animation",
    )
    parser.add_argument("--quiet", action="store_true", help="print no progress bar")
    return parser


def run(args):
    """Fit as ``args`` say and write the files; return the metrics and the files' names."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from sk_colour_embed.plotting import animate_training, plot_embedding

    X, y = load_colours(args.source, return_X_y=True)
    embedder = PairSimilarityEmbedder(
        args.dims,
        sampler=PairSampler(n_pairs=args.n_pairs, threshold=args.threshold),
        epochs=args.epochs,
        record_every=1 if args.animate else None,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    start = time.perf_counter()
    embedder.fit(X, y)
    seconds = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    written = ["embedding.csv", "embedding.png", "metrics.json"]
    embedder.embedding_.rename_axis("name").to_csv(args.out / "embedding.csv")
    ax = plot_embedding(embedder, X, y)
    ax.figure.savefig(args.out / "embedding.png", dpi=120)
    plt.close(ax.figure)
    if args.animate:
        animate_training(embedder, X, y, args.out / "training.gif")
        written.append("training.gif")
    metrics = {
        "score": embedder.score(X, y),
        "score_name": "Spearman correlation of embedding and RGB distances",
        "final_loss": embedder.history_["loss"][-1],
        "fit_seconds": round(seconds, 2),
        "n_items": len(embedder.vectors_),
        "settings": {
            "source": str(args.source),
            "dims": args.dims,
            "threshold": args.threshold,
            "n_pairs": args.n_pairs,
            "epochs": args.epochs,
            "seed": args.seed,
        },
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics, written


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        metrics, written = run(args)
    except (ColourFileError, OSError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print(
        f"score {metrics['score']:.3f} ({metrics['score_name']}); "
        f"wrote {', '.join(written)} to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
