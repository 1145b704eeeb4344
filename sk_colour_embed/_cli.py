"""The ``sk-colour-embed`` command: fit colour vectors and write them out.

Exit codes: 0 done; 1 the run failed (a colour file that cannot be read, a
file that cannot be written); 2 the command line is wrong (an option, an
unknown ``--source``, an ``--out`` that cannot be a folder of results), told
before any training; 130 interrupted. Output files appear whole or not at
all: each is written to a temporary file in ``--out`` (or ``--projector``)
and renamed into place once all of them are written.
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from sk_colour_embed._data import BUILTIN_SOURCES, ColourFileError, load_colours
from sk_colour_embed._embedder import PairSimilarityEmbedder
from sk_colour_embed._outputs import Outputs
from sk_colour_embed._projector import ProjectorFiles
from sk_colour_embed._sampling import PairSampler

PROG = "sk-colour-embed"
_MAX_SEED = 2**32 - 1
_MAX_COUNT = 2**31 - 1
# --out names a folder: a name with one of these endings was meant as a file.
_FILE_SUFFIXES = {".csv", ".png", ".json", ".gif", ".mp4", ".txt", ".tsv", ".pbtxt"}


class _OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(kind, low, high=math.inf, low_inclusive=False):
    """An argparse type: a finite ``kind`` above ``low`` (or from it) and up to ``high``."""
    noun = "an integer" if kind is int else "a number"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        above = value >= low if low_inclusive else value > low
        finite = kind is int or math.isfinite(value)
        if not (finite and above and value <= high):
            bounds = f"from {low}" if low_inclusive else f"above {low}"
            if high < math.inf:
                bounds += f" to {high}"
            raise argparse.ArgumentTypeError(f"expected {noun} {bounds}, got {text!r}")
        return value

    return parse


def build_parser():
    from sk_colour_embed import __version__

    parser = _OneLineErrorParser(
        prog=PROG,
        allow_abbrev=False,
        description=(
            "Learn a vector for each colour name from random pairs of colours "
            "labelled similar or dissimilar (the tutorial's model), and write "
            "the vectors, a picture of them and their score."
        ),
        epilog="Exit codes: 0 done, 1 the run failed, 2 a wrong command line, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--source",
        default="xkcd",
        help="colour table: 'xkcd' (949 colours, the default), 'css4' (148) or the "
        "path of a CSV in the tutorial's Kaggle format",
    )
    parser.add_argument(
        "--dims",
        type=_number(int, 0, _MAX_COUNT),
        default=2,
        help="dimension of the vectors (default: 2)",
    )
    parser.add_argument(
        "--threshold",
        type=_number(float, 0),
        default=0.2,
        help="a pair is similar when its mean squared RGB difference is below "
        "threshold * U**2, U uniform (default: 0.2)",
    )
    parser.add_argument(
        "--n-pairs",
        type=_number(int, 0, _MAX_COUNT),
        default=100_000,
        help="random pairs to train on (default: 100000)",
    )
    parser.add_argument(
        "--epochs",
        type=_number(int, 0, _MAX_COUNT),
        default=500,
        help="passes over the pairs (default: 500)",
    )
    parser.add_argument(
        "--seed",
        type=_number(int, 0, _MAX_SEED, low_inclusive=True),
        default=0,
        help="random seed; the same seed gives the same result (default: 0)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="folder for the output files, made if needed (default: results)",
    )
    parser.add_argument(
        "--animate",
        action="store_true",
        help="also record the vectors every epoch and write training.gif, their animation",
    )
    parser.add_argument(
        "--projector",
        type=Path,
        metavar="DIR",
        help="also write the files of TensorBoard's Embedding Projector to DIR, made if "
        "needed: vectors.tsv, metadata.tsv (names and #rrggbb colours), sprite.png (a swatch "
        "per colour) and projector_config.pbtxt; view them with: tensorboard --logdir DIR",
    )
    parser.add_argument("--quiet", action="store_true", help="print no progress bar")
    return parser


def _folder_problem(option, folder):
    """What stops ``folder`` from being a folder of results for ``option``; or None."""
    if folder.exists() and not folder.is_dir():
        return f"argument {option}: {str(folder)!r} is a file, not a folder"
    if not folder.exists() and folder.suffix.lower() in _FILE_SUFFIXES:
        return (
            f"argument {option}: names the folder for the results; {str(folder)!r} looks "
            "like a file"
        )
    existing = next(parent for parent in [folder, *folder.parents] if parent.exists())
    if not existing.is_dir():
        return f"argument {option}: {str(folder)!r} is under {str(existing)!r}, which is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"argument {option}: cannot write in {str(existing)!r}"
    return None


def _command_line_problem(args):
    """What is wrong with ``--source``, ``--out`` or ``--projector``, found before training."""
    if args.source not in BUILTIN_SOURCES and not Path(args.source).is_file():
        return (
            f"argument --source: {args.source!r} is neither one of "
            f"{sorted(BUILTIN_SOURCES)} nor a file"
        )
    problem = _folder_problem("--out", args.out)
    if problem is None and args.projector is not None:
        if args.dims < 2:
            return "argument --projector: the Embedding Projector needs --dims 2 or more"
        problem = _folder_problem("--projector", args.projector)
    return problem


def _finite_or_none(value):
    return value if math.isfinite(value) else None


def run(args):
    """Fit as ``args`` say and write the files; return the metrics and the files' names.

    The names are keyed by folder: ``--out``, then ``--projector`` if it is another.
    """
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
        # A progress bar on a terminal only; a log gets the summary line.
        verbose=0 if args.quiet or not sys.stdout.isatty() else 1,
    )
    start = time.perf_counter()
    embedder.fit(X, y)
    seconds = time.perf_counter() - start
    # Checked (and any warning given) before a file is written.
    projector = None
    if args.projector is not None:
        projector = ProjectorFiles(embedder, colours=embedder.sampler_.items_.descriptors)
    args.out.mkdir(parents=True, exist_ok=True)
    outputs = Outputs(args.out)
    folders = [outputs]
    if projector is not None:
        args.projector.mkdir(parents=True, exist_ok=True)
        same = args.projector.resolve() == args.out.resolve()
        folders.append(outputs if same else Outputs(args.projector))
    try:
        embedder.embedding_.rename_axis("name").to_csv(outputs.path("embedding.csv"))
        ax = plot_embedding(embedder, X, y)
        ax.figure.savefig(outputs.path("embedding.png"), dpi=120)
        plt.close(ax.figure)
        if args.animate:
            animate_training(embedder, X, y, outputs.path("training.gif"))
        if projector is not None:
            projector.write(folders[-1])
        metrics = {
            "score": _finite_or_none(embedder.score(X, y)),
            "score_name": "Spearman correlation of embedding and RGB distances",
            "final_loss": _finite_or_none(embedder.history_["loss"][-1]),
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
        text = json.dumps(metrics, indent=2, allow_nan=False) + "\n"
        outputs.path("metrics.json").write_text(text)
        written = {folder.folder: folder.commit() for folder in dict.fromkeys(folders)}
    finally:
        for folder in folders:
            folder.discard()
    return metrics, written


def _say(text):
    """Print to stdout; a reader that closed the pipe (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = _command_line_problem(args)
    if problem is not None:
        parser.error(problem)
    try:
        metrics, written = run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no output file was changed", file=sys.stderr)
        return 130
    except (ColourFileError, OSError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    score, loss = (
        "nan" if metrics[key] is None else f"{metrics[key]:.{digits}f}"
        for key, digits in (("score", 3), ("final_loss", 4))
    )
    _say(
        f"trained {args.epochs} epochs in {metrics['fit_seconds']} s, final loss {loss}; "
        f"score {score} ({metrics['score_name']}); wrote "
        + "; ".join(f"{', '.join(names)} to {folder}" for folder, names in written.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
