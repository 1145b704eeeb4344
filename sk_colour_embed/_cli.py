"""The ``sk-colour-embed`` command: fit colour vectors and write them out.

Exit codes: 0 done; 1 the run failed (a colour file that cannot be read, a
file that cannot be written: a full disk, a folder that cannot be written);
2 the command line is wrong (an option, an unknown ``--source``, an ``--out``
that cannot be a folder of results), told before any training; 3 out of
memory (the message names the option that asks for the most); 130
interrupted. A failure is one line on stderr that says what failed and where.

Output files appear whole or not at all: each is written to a temporary
file in ``--out`` (or ``--projector``) and renamed into place once all of
them are written, so a failed run leaves the files of an earlier one as they
were, and no temporary file.

The command line is read and checked before TensorFlow, scikit-learn,
pandas or matplotlib is imported, so that ``--help``, ``--version`` and a
wrong command line answer at once; ``run`` imports them.
"""

import argparse
import contextlib
import functools
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

from sk_colour_embed import __version__
from sk_colour_embed._data import BUILTIN_SOURCES
from sk_colour_embed._outputs import Outputs

PROG = "sk-colour-embed"
EXIT_FAILED, EXIT_USAGE, EXIT_MEMORY, EXIT_INTERRUPTED = 1, 2, 3, 130
_MAX_SEED = 2**32 - 1
_MAX_COUNT = 2**31 - 1
# The line numbers of skipped rows that metrics.json lists, the first ones.
_MAX_LINES_LISTED = 10
# --out names a folder: a name with one of these endings was meant as a file.
_FILE_SUFFIXES = {".csv", ".png", ".json", ".gif", ".mp4", ".txt", ".tsv", ".pbtxt"}
# Rough bytes that each option asks for, to name the likeliest cause of running out of
# memory: how much the peak memory of a fit grew for each pair (measured at 2 and 8
# million pairs: 97 and 90 bytes) and for each value of the vectors (at 20,000 and 80,000
# dimensions: 200 and 164 bytes, the weights and Adam's moments in several copies); and
# --animate's recording, float32 vectors of every epoch held twice (as a list, then stacked).
_BYTES_PER_PAIR = 90
_BYTES_PER_VALUE = 160
_BYTES_PER_RECORDED_VALUE = 8

EPILOG = f"""\
Files written to --out: embedding.csv (a name column, then one column per
dimension: x0, x1, ...), embedding.png, metrics.json (score, final_loss,
fit_seconds: the fit alone, not the imports; n_items; skipped_rows: the count
and the first lines of the rows --skip-bad-rows skipped; settings) and, with
--animate, training.gif. Exit codes: 0 done; {EXIT_FAILED} the run failed (a colour file
that cannot be read, a file that cannot be written); {EXIT_USAGE} a wrong command line,
told before any training; {EXIT_MEMORY} out of memory (the message names the option that
asks for the most); {EXIT_INTERRUPTED} interrupted. A failed run leaves the files of an
earlier one as they were.
"""


class _OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


class _Failure(Exception):
    """A failed run: its one-line message and its exit code."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


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
    parser = _OneLineErrorParser(
        prog=PROG,
        allow_abbrev=False,
        description=(
            "Learn a vector for each colour name from random pairs of colours "
            "labelled similar or dissimilar (the tutorial's model), and write "
            "the vectors, a picture of them and their score."
        ),
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--source",
        default="xkcd",
        help="colour table: 'xkcd' (949 colours, the default), 'css4' (148), or the path "
        "of a CSV whose header names the columns name,r,g,b (from 0 to 1; a file with a "
        "value above 1 is read as integers from 0 to 255), name,hex (#rrggbb) or, as the "
        "tutorial's Kaggle file, 'Color Name' and 'R;G;B Dec'",
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
        default="results",
        help="folder for the output files, made if needed; a name ending in / is a folder "
        "whatever it looks like (default: results)",
    )
    parser.add_argument(
        "--animate",
        action="store_true",
        help="also record the vectors every epoch and write training.gif, their animation",
    )
    parser.add_argument(
        "--projector",
        metavar="DIR",
        help="also write the files of TensorBoard's Embedding Projector to DIR, made if "
        "needed: vectors.tsv, metadata.tsv (names and #rrggbb colours), sprite.png (a swatch "
        "per colour) and projector_config.pbtxt; view them with: tensorboard --logdir DIR",
    )
    parser.add_argument(
        "--labels",
        action=argparse.BooleanOptionalAction,
        help="write each colour's name beside its point in embedding.png, placed apart "
        "(--no-labels: none; default: for 50 colours or fewer, in 2-D)",
    )
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="skip the rows of a --source file that cannot be read, and say how many and on "
        "which lines (a warning, and skipped_rows in metrics.json), instead of stopping at the "
        "first",
    )
    parser.add_argument("--quiet", action="store_true", help="print no progress bar")
    return parser


def _folder_problem(option, text):
    """What stops the path ``text`` from being a folder of results for ``option``; or None."""
    folder = Path(text)
    # Path drops a trailing separator: it says a folder is meant, whatever the name.
    said_folder = text.endswith(tuple(filter(None, (os.sep, os.altsep))))
    if folder.exists() and not folder.is_dir():
        return f"argument {option}: {str(folder)!r} is a file, not a folder"
    if not (folder.exists() or said_folder) and folder.suffix.lower() in _FILE_SUFFIXES:
        return (
            f"argument {option}: names the folder for the results; {str(folder)!r} looks "
            f"like a file (end it with {os.sep!r} to make a folder of that name)"
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


def _size(n_bytes):
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000 or unit == "PB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1000


def _memory_culprit(args, n_items):
    """The option that asks for the most memory, its value and roughly how much."""
    values = n_items * args.dims
    asks = [
        (args.n_pairs * _BYTES_PER_PAIR, f"--n-pairs {args.n_pairs}", "for the pairs"),
        (values * _BYTES_PER_VALUE, f"--dims {args.dims}", f"for the vectors of {n_items} colours"),
    ]
    if args.animate:
        recording = (args.epochs + 1) * values * _BYTES_PER_RECORDED_VALUE
        asks.append((recording, f"--epochs {args.epochs}", "with --animate, to record every epoch"))
    n_bytes, option, why = max(asks)
    return f"{option} asks for the most memory (about {_size(n_bytes)} {why}): lower it"


def _out_of_memory_errors():
    """``MemoryError`` (NumPy's), and TensorFlow's own once TensorFlow is imported."""
    tf = sys.modules.get("tensorflow")
    errors = getattr(tf, "errors", None)
    return (MemoryError, *([errors.ResourceExhaustedError] if errors is not None else []))


@contextlib.contextmanager
def _reported(doing, memory_culprit=None):
    """Turn a failure inside into a ``_Failure`` that names ``doing()``, what was being done.

    ``doing`` is called once it failed, so that it can say which file; so is
    ``memory_culprit``, which names the option to blame for a ``MemoryError``.
    """
    try:
        yield
    except KeyboardInterrupt:
        message = f"interrupted while {doing()}; no output file was changed"
        raise _Failure(message, EXIT_INTERRUPTED) from None
    except _out_of_memory_errors():
        blame = "" if memory_culprit is None else f": {memory_culprit()}"
        message = f"out of memory while {doing()}{blame}; no output file was changed"
        raise _Failure(message, EXIT_MEMORY) from None
    except OSError as error:
        reason = error.strerror or str(error)
        message = f"error while {doing()}: {reason}; no output file was changed"
        raise _Failure(message, EXIT_FAILED) from None
    except ValueError as error:  # a colour file that cannot be read; data a fit refuses
        raise _Failure(f"error: {error}", EXIT_FAILED) from None


def _finite_or_none(value):
    return value if math.isfinite(value) else None


def _fit(args, X, y):
    """The fitted embedder, and the seconds its fit took."""
    from sk_colour_embed._embedder import PairSimilarityEmbedder
    from sk_colour_embed._sampling import PairSampler

    embedder = PairSimilarityEmbedder(
        args.dims,
        sampler=PairSampler(n_pairs=args.n_pairs, threshold=args.threshold),
        epochs=args.epochs,
        record_every=1 if args.animate else None,
        random_state=args.seed,
        # A progress bar on a terminal only; a log gets the summary line.
        verbose=0 if args.quiet or not sys.stdout.isatty() else 1,
    )
    from sk_colour_embed._engine import prepare

    prepare()  # the fit's first step (TensorFlow's import), not timed as the fit's

    start = time.perf_counter()
    embedder.fit(X, y)
    return embedder, time.perf_counter() - start


def _metrics(args, embedder, X, y, seconds, skipped_lines):
    return {
        "score": _finite_or_none(embedder.score(X, y)),
        "score_name": "Spearman correlation of embedding and RGB distances",
        "final_loss": _finite_or_none(embedder.history_["loss"][-1]),
        "fit_seconds": round(seconds, 2),
        "n_items": len(embedder.vectors_),
        "skipped_rows": {
            "count": len(skipped_lines),
            "first_lines": skipped_lines[:_MAX_LINES_LISTED],
        },
        "settings": {
            "source": str(args.source),
            "dims": args.dims,
            "threshold": args.threshold,
            "n_pairs": args.n_pairs,
            "epochs": args.epochs,
            "seed": args.seed,
            "skip_bad_rows": args.skip_bad_rows,
        },
    }


def _write(args, embedder, X, y, metrics, projector, folders):
    """Write every file to the temporary names of ``folders`` (``--out``, then ``--projector``)."""
    from matplotlib import pyplot as plt

    from sk_colour_embed.plotting import animate_training, plot_embedding

    outputs = folders[0]
    columns = [f"x{i}" for i in range(embedder.n_components)]
    with outputs.file("embedding.csv") as path:
        embedder.embedding_.set_axis(columns, axis=1).rename_axis("name").to_csv(path)
    ax = plot_embedding(embedder, X, y, labels="auto" if args.labels is None else args.labels)
    try:
        with outputs.file("embedding.png") as path:
            ax.figure.savefig(path, dpi=120)
    finally:
        plt.close(ax.figure)
    if args.animate:
        with outputs.file("training.gif") as path:
            animate_training(embedder, X, y, path)
    if projector is not None:
        projector.write(folders[-1])
    with outputs.file("metrics.json") as path:
        path.write_text(json.dumps(metrics, indent=2, allow_nan=False) + "\n")


def run(args):
    """Fit as ``args`` say and write the files; return the metrics and the files' names.

    The names are keyed by folder: ``--out``, then ``--projector`` if it is
    another. A failure is raised as a ``_Failure``.
    """
    import matplotlib

    matplotlib.use("Agg")

    from sk_colour_embed._data import load_colours
    from sk_colour_embed._projector import ProjectorFiles

    with _reported(lambda: f"reading {args.source}"):
        colours = load_colours(args.source, skip_bad_rows=args.skip_bad_rows)
    X, y = colours.data, colours.target
    culprit = functools.partial(_memory_culprit, args, len(X))
    with _reported(lambda: "fitting", culprit):
        embedder, seconds = _fit(args, X, y)
        metrics = _metrics(args, embedder, X, y, seconds, colours.skipped_lines)
        # Checked (and any warning given) before a file is written.
        projector = None
        if args.projector is not None:
            projector = ProjectorFiles(embedder, colours=embedder.items_.descriptors)
    folders = []
    for folder in [args.out, *([args.projector] if projector is not None else [])]:
        with _reported(lambda folder=folder: f"making the folder {folder}"):
            folder.mkdir(parents=True, exist_ok=True)
        same = [outputs for outputs in folders if outputs.folder.resolve() == folder.resolve()]
        folders.append(same[0] if same else Outputs(folder))

    def writing():
        failed = [outputs.failed_at for outputs in folders if outputs.failed_at is not None]
        return f"writing {failed[0]}" if failed else f"writing to {args.out}"

    try:
        with _reported(writing, culprit):
            _write(args, embedder, X, y, metrics, projector, folders)
            written = {outputs.folder: outputs.commit() for outputs in dict.fromkeys(folders)}
    finally:
        for outputs in folders:
            outputs.discard()
    return metrics, written


@contextlib.contextmanager
def _one_line_warnings():
    """Show each warning as one line on stderr, without the line of source Python adds."""

    def show(message, category, filename, lineno, file=None, line=None):
        kind = "warning" if category is UserWarning else category.__name__
        text = " ".join(str(message).split())
        print(f"{PROG}: {kind}: {text}", file=sys.stderr if file is None else file, flush=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


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
    args.out = Path(args.out)
    args.projector = None if args.projector is None else Path(args.projector)
    try:
        with _one_line_warnings():
            metrics, written = run(args)
    except _Failure as failure:
        one_line = " ".join(str(failure).splitlines())
        print(f"{PROG}: {one_line}", file=sys.stderr, flush=True)
        return failure.exit_code
    except KeyboardInterrupt:  # between the steps of run
        print(f"{PROG}: interrupted; no output file was changed", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
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
