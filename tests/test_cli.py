import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import sk_colour_embed
from sk_colour_embed._cli import main

from conftest import small_embedder

SMALL_LOGGED = ["--source", "css4", "--n-pairs", "3000", "--epochs", "6"]
SMALL = [*SMALL_LOGGED, "--quiet"]


def test_main_job_writes_its_files(tmp_path, capsys):
    assert (
        main(
            [
                *SMALL,
                "--dims",
                "3",
                "--threshold",
                "0.3",
                "--seed",
                "4",
                "--out",
                str(tmp_path),
                "--animate",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "embedding.csv",
        "embedding.png",
        "metrics.json",
        "training.gif",
    ]
    embedding = pd.read_csv(tmp_path / "embedding.csv", index_col="name")
    assert list(embedding.columns) == ["x0", "x1", "x2"]  # plain names, as --help says
    assert embedding.shape == (148, 3)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["settings"] == {
        "source": "css4",
        "dims": 3,
        "threshold": 0.3,
        "n_pairs": 3000,
        "epochs": 6,
        "seed": 4,
        "skip_bad_rows": False,
    }
    assert metrics["skipped_rows"] == {"count": 0, "first_lines": []}
    assert -1 <= metrics["score"] <= 1
    out = capsys.readouterr().out
    assert f"score {metrics['score']:.3f}" in out
    assert "wrote embedding.csv, embedding.png, training.gif, metrics.json" in out
    image = np.asarray(Image.open(tmp_path / "embedding.png").convert("L"))
    assert image.std() > 10  # not blank
    assert Image.open(tmp_path / "training.gif").n_frames > 1


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_console_command_runs_end_to_end_and_logs_one_summary_line(tmp_path):
    # Not --quiet, into a log (not a terminal): one summary line, not a progress bar.
    result = subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *SMALL_LOGGED, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "embedding.png").exists() and not (tmp_path / "training.gif").exists()
    # Nothing but one line that says six epochs have not converged.
    assert result.stderr.startswith("sk-colour-embed: ConvergenceWarning: training has not conv")
    assert result.stderr.count("\n") == 1
    assert result.stdout.count("\n") == 1 and "\r" not in result.stdout
    assert result.stdout.startswith("trained 6 epochs in ")


@pytest.mark.slow  # a fresh Python process
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dims", "0"], "argument --dims: expected an integer above 0 to 2147483647, got '0'"),
        (["--epochs", "many"], "argument --epochs: expected an integer, got 'many'"),
        (["--threshold", "nan"], "argument --threshold: expected a number above 0, got 'nan'"),
        (["--threshold", "inf"], "argument --threshold: expected a number above 0, got 'inf'"),
        (["--seed", "-1"], "argument --seed: expected an integer from 0 to 4294967295, got '-1'"),
        (["--colour"], "unrecognized arguments: --colour"),
        (["--dim", "3"], "unrecognized arguments: --dim 3"),  # no abbreviations
        (["--source", "missing.csv"], "argument --source: 'missing.csv' is neither one of"),
    ],
)
def test_bad_options_give_one_line_exit_2_and_no_traceback(tmp_path, argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *argv, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr


def test_malformed_csv_names_the_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "Color Name,Credits,R;G;B Dec,RGB Hex,CSS Hex,BG/FG color sample \n"
        "Red,Web,255;0,F00,#F00,x\n"
    )
    assert main(["--source", str(path), "--out", str(tmp_path)]) == 1
    assert f"{path}, line 2, column 'R;G;B Dec'" in capsys.readouterr().err


def test_help_explains_each_option(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for option in [
        "--source",
        "--dims",
        "--threshold",
        "--n-pairs",
        "--epochs",
        "--seed",
        "--out",
        "--animate",
        "--projector",
    ]:
        assert option in text
    assert "tensorboard --logdir DIR" in text
    words = " ".join(text.split())
    assert "embedding.csv (a name column, then one column per dimension: x0, x1, ...)" in words
    for code in ["0 done", "1 the run failed", "2 a wrong command line", "3 out of memory"]:
        assert code in words
    assert "130 interrupted" in words


def run_command(*argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *argv], capture_output=True, text=True, **kwargs
    )


@pytest.mark.slow  # a fresh Python process
def test_out_is_checked_before_training(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    cases = [
        (a_file, "is a file, not a folder"),
        (a_file / "results", "which is a file"),
        (tmp_path / "out.png", "looks like a file"),
    ]
    for out, message in cases:
        result = run_command(*SMALL, "--out", str(out))
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.png").exists()


@pytest.mark.slow  # a fresh Python process
@pytest.mark.parametrize(
    "option, a_file", [("--out", "embedding.csv"), ("--projector", "vectors.tsv")]
)
def test_a_name_ending_in_a_slash_is_a_folder_whatever_it_looks_like(
    tmp_path, option, a_file, capsys
):
    folder = tmp_path / "results.csv"
    folders = {"--out": tmp_path / "out", option: f"{folder}{os.sep}"}
    argv = [*SMALL, *(str(text) for pair in folders.items() for text in pair)]
    assert main(argv) == 0, capsys.readouterr().err
    assert (folder / a_file).is_file()
    # Without the slash, the name still looks like a file, and the message says what to do.
    result = run_command(*SMALL, option, str(tmp_path / "other.csv"))
    assert result.returncode == 2
    assert "looks like a file (end it with '/' to make a folder of that name)" in result.stderr


@pytest.mark.slow  # a fresh Python process
def test_version():
    from sk_colour_embed import __version__

    result = run_command("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"sk-colour-embed {__version__}"


def test_a_failed_run_leaves_the_previous_outputs_whole(tmp_path, monkeypatch, capsys):
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    import sk_colour_embed.plotting

    monkeypatch.setattr(sk_colour_embed.plotting, "animate_training", fail)
    # The csv and the picture are written before the animation fails.
    assert main([*SMALL, "--seed", "3", "--animate", "--out", str(tmp_path)]) == 1
    assert "disk full" in capsys.readouterr().err
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert after == before  # no partial file, no temporary file, nothing from the new run


def test_metrics_are_strict_json(tmp_path):
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    text = (tmp_path / "metrics.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_a_closed_pipe_is_not_an_error(tmp_path):
    command = (
        f"{sys.executable} -m sk_colour_embed {' '.join(SMALL)} --out {tmp_path} | true; "
        "exit ${PIPESTATUS[0]}"
    )
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # a fresh Python process
def test_a_huge_count_is_an_option_error(tmp_path):
    result = run_command("--epochs", "1" + "0" * 400, "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "argument --epochs: expected an integer above 0 to 2147483647" in result.stderr


def test_output_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name


def test_projector_writes_the_projector_files_of_the_fitted_colours(tmp_path, capsys):
    out, projector = tmp_path / "out", tmp_path / "projector"
    assert main([*SMALL, "--out", str(out), "--projector", str(projector)]) == 0
    files = ["metadata.tsv", "vectors.tsv", "sprite.png", "projector_config.pbtxt"]
    assert sorted(path.name for path in projector.iterdir()) == sorted(files)
    assert not any(path.name in files for path in out.iterdir())
    lines = (projector / "metadata.tsv").read_text().splitlines()
    assert lines[0] == "name\tcolour" and len(lines) == 149 and "red\t#ff0000" in lines
    embedding = pd.read_csv(out / "embedding.csv", index_col="name")
    vectors = np.loadtxt(projector / "vectors.tsv", delimiter="\t")
    np.testing.assert_allclose(vectors, embedding.to_numpy(), rtol=1e-6)
    assert [line.split("\t")[0] for line in lines[1:]] == list(embedding.index)
    assert 'image_path: "sprite.png"' in (projector / "projector_config.pbtxt").read_text()
    said = capsys.readouterr().out
    assert said.endswith(f"metrics.json to {out}; {', '.join(files)} to {projector}\n")

    # The same folder as --out: one folder of files, renamed into place together.
    assert main([*SMALL, "--out", str(out), "--projector", str(out)]) == 0
    assert set(files) < {path.name for path in out.iterdir()}
    said = capsys.readouterr().out
    assert said.endswith(f"embedding.png, {', '.join(files)}, metrics.json to {out}\n")


@pytest.mark.slow  # a fresh Python process
def test_projector_is_checked_before_training(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    cases = [
        (["--projector", str(a_file)], "argument --projector: "),
        (["--projector", str(a_file / "run")], "which is a file"),
        (["--projector", str(tmp_path / "vectors.tsv")], "looks like a file"),
        (["--dims", "1", "--projector", str(tmp_path / "run")], "needs --dims 2 or more"),
    ]
    for argv, message in cases:
        result = run_command(*SMALL, "--out", str(tmp_path / "out"), *argv)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


# Runs the command as its console script does, and writes the names of the modules it
# imported to the file MODULES_OUT names, whatever way it exits.
IMPORTS_PROBE = """
import atexit, json, os, runpy, sys
atexit.register(lambda: json.dump(sorted(sys.modules), open(os.environ["MODULES_OUT"], "w")))
sys.argv[0] = "sk-colour-embed"
runpy.run_module("sk_colour_embed", run_name="__main__")
"""
HEAVY = ["tensorflow", "keras", "sklearn", "pandas", "matplotlib"]
# The subprocesses import the package the tests import.
PACKAGE_ROOT = str(Path(sk_colour_embed.__file__).parents[1])


@pytest.mark.slow  # a fresh Python process
@pytest.mark.parametrize(
    "argv, exit_code, message",
    [
        (["--help"], 0, None),
        (["--version"], 0, None),
        (["--dims", "0"], 2, "argument --dims: expected an integer above 0"),
        (["--colour"], 2, "unrecognized arguments: --colour"),
        (["--source", "missing.csv"], 2, "argument --source: 'missing.csv' is neither one of"),
        (["--out", "{file}/results"], 2, "which is a file"),
        (["--out", "{file}"], 2, "is a file, not a folder"),
        (["--dims", "1", "--projector", "{file}.d"], 2, "needs --dims 2 or more"),
    ],
)
def test_help_version_and_argument_errors_answer_before_the_heavy_imports(
    tmp_path, argv, exit_code, message
):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    argv = [arg.format(file=a_file) for arg in argv]
    modules = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_PROBE, *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "MODULES_OUT": str(modules), "PYTHONPATH": PACKAGE_ROOT},
    )
    assert result.returncode == exit_code, result.stderr
    imported = json.loads(modules.read_text())
    assert "sk_colour_embed._cli" in imported
    assert [name for name in HEAVY if name in imported] == []
    if message is None:
        assert result.stdout.startswith(("usage: sk-colour-embed", "sk-colour-embed 0"))
    else:
        assert result.stderr.count("\n") == 1 and message in result.stderr


@pytest.mark.slow  # a fresh Python process
def test_the_package_imports_its_public_names_when_asked():
    code = (
        "import sys, sk_colour_embed; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('sk_colour_embed.', 'pandas', 'sklearn'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": PACKAGE_ROOT},
    )
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
    assert set(sk_colour_embed.__all__) <= set(dir(sk_colour_embed))
    for name in sk_colour_embed.__all__:
        assert getattr(sk_colour_embed, name).__name__ == name
    with pytest.raises(AttributeError, match="has no attribute 'PairSampple'"):
        sk_colour_embed.PairSampple  # noqa: B018


def write_csv(tmp_path, text):
    path = tmp_path / "colours.csv"
    path.write_text(text)
    return path


HEX_COLOURS = "".join(
    f"{name},{code}\n"
    for name, code in [
        ("red", "#ff0000"),
        ("dark red", "#8b0000"),
        ("pink", "#ffc0cb"),
        ("navy", "#000080"),
        ("blue", "#0000ff"),
        ("sky", "#87ceeb"),
        ("lime", "#00ff00"),
        ("forest", "#228b22"),
        ("black", "#000000"),
        ("white", "#ffffff"),
    ]
)


def test_a_name_hex_source_is_read(tmp_path, capsys):
    source = write_csv(tmp_path, "name,hex\n" + HEX_COLOURS)
    out = tmp_path / "out"
    argv = ["--source", str(source), "--n-pairs", "2000", "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    embedding = pd.read_csv(out / "embedding.csv", index_col="name")
    assert list(embedding.index) == [line.split(",")[0] for line in HEX_COLOURS.splitlines()]
    assert json.loads((out / "metrics.json").read_text())["n_items"] == 10


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "name,colour\nred,#ff0000\n",
            "line 1: the header names none of the sets of columns read; it looks for 'Color Name' "
            "and 'R;G;B Dec', or 'name', 'r', 'g' and 'b', or 'name' and 'hex'",
        ),
        ("name,r,g,b\nred,255,0,0\ngrey,127.5,127,127\n", "line 3, column 'r': found '127.5'"),
    ],
)
def test_a_colour_file_that_cannot_be_read_is_one_line_naming_file_and_line(
    tmp_path, capsys, text, message
):
    source = write_csv(tmp_path, text)
    assert main(["--source", str(source), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"sk-colour-embed: error: {source}, {message}")
    assert error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_bad_rows_end_the_run_or_are_skipped_and_counted(tmp_path, capsys):
    bad = [(3, "navy,#00008"), (6, "teal,#008080,x")] + [(9 + i, f"bad{i},#1") for i in range(10)]
    lines = HEX_COLOURS.splitlines()
    for line, row in bad:
        lines.insert(line - 2, row)
    source = write_csv(tmp_path, "name,hex\n" + "\n".join(lines) + "\n")
    out = tmp_path / "out"
    argv = ["--source", str(source), "--n-pairs", "2000", "--epochs", "2", "--out", str(out)]
    # Without the option: one line naming file and line, and nothing written.
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"sk-colour-embed: error: {source}, line ") and error.count("\n") == 1
    assert not out.exists()

    assert main([*argv, "--skip-bad-rows"]) == 0
    said = capsys.readouterr().err
    assert said == (
        f"sk-colour-embed: warning: {source}: skipped 12 bad row(s), on line(s) 3, 6, 9, 10, 11, "
        "12, 13, 14, 15, 16, ...; the first, line 3, column 'hex': expected a colour as #rrggbb "
        "(or rrggbb, #rgb, rgb) in hexadecimal digits, found '#00008'.\n"
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped_rows"] == {
        "count": 12,
        "first_lines": [3, 6, 9, 10, 11, 12, 13, 14, 15, 16],
    }
    assert metrics["settings"]["skip_bad_rows"] is True
    assert metrics["n_items"] == 10
    embedding = pd.read_csv(out / "embedding.csv", index_col="name")
    assert list(embedding.index) == [line.split(",")[0] for line in HEX_COLOURS.splitlines()]


def test_warnings_print_as_one_line_each(tmp_path, kaggle_csv, capsys):
    # The Kaggle file has rows without a name (dropped with a warning) and a name with two
    # colours (averaged with a warning).
    argv = ["--source", str(kaggle_csv), "--n-pairs", "2000", "--epochs", "2", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "dropped 2 row(s)" in line] == [
        f"sk-colour-embed: warning: {kaggle_csv}: dropped 2 row(s) with an empty 'Color Name', "
        "on line(s) 6, 14."
    ]
    assert any("'coral'" in line for line in lines), lines
    assert all(line.startswith("sk-colour-embed: ") for line in lines), lines


# Runs the command with fit timed from the inside, and says whether TensorFlow had been
# imported when fit started.
TIMED_FIT = """
import json, os, sys, time
from sk_colour_embed._embedder import PairSimilarityEmbedder

fit, seen = PairSimilarityEmbedder.fit, {}

def timed_fit(self, X, y):
    seen["tensorflow_imported"] = "tensorflow" in sys.modules
    start = time.perf_counter()
    try:
        return fit(self, X, y)
    finally:
        seen["seconds"] = time.perf_counter() - start

PairSimilarityEmbedder.fit = timed_fit
from sk_colour_embed._cli import main
code = main(sys.argv[1:])
json.dump(seen, open(os.environ["SEEN_OUT"], "w"))
sys.exit(code)
"""


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_fit_seconds_is_the_fit_alone_not_the_import_of_tensorflow(tmp_path):
    seen_path = tmp_path / "seen.json"
    result = subprocess.run(
        [sys.executable, "-c", TIMED_FIT, *SMALL, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "SEEN_OUT": str(seen_path), "PYTHONPATH": PACKAGE_ROOT},
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(seen_path.read_text())
    assert seen["tensorflow_imported"]  # before the clock started
    fit_seconds = json.loads((tmp_path / "metrics.json").read_text())["fit_seconds"]
    assert fit_seconds == pytest.approx(seen["seconds"], abs=0.02)


# Fault injection: each failure ends in one line naming what failed and where, with the
# documented exit code, the files of an earlier run as they were and no temporary file.
RUN = ["--source", "css4", "--n-pairs", "2000", "--epochs", "2", "--quiet", "--animate"]
FILES = {
    "out": ["embedding.csv", "embedding.png", "training.gif", "metrics.json"],
    "projector": ["metadata.tsv", "vectors.tsv", "sprite.png", "projector_config.pbtxt"],
}


@pytest.fixture
def earlier_run(tmp_path):
    """The --out and --projector folders, holding the files of an earlier run."""
    folders = {key: tmp_path / key for key in FILES}
    for key, names in FILES.items():
        folders[key].mkdir()
        for name in names:
            (folders[key] / name).write_text(f"{name} of an earlier run")
    return folders


def contents(folders):
    return {path: path.read_bytes() for folder in folders.values() for path in folder.iterdir()}


def run_failing(folders, *extra):
    argv = [*RUN, "--out", str(folders["out"]), "--projector", str(folders["projector"])]
    return main([*argv, *extra])


@pytest.fixture(scope="module")
def recorded_css4(css4):
    X, y = css4
    return small_embedder(epochs=3, record_every=1).fit(X, y)


@pytest.fixture
def quick_fit(monkeypatch, recorded_css4):
    """The command's fit, replaced by an embedder fitted once: these tests are about writing."""
    import sk_colour_embed._cli

    monkeypatch.setattr(sk_colour_embed._cli, "_fit", lambda args, X, y: (recorded_css4, 0.5))


def failing_writer(fault):
    """A writer that writes the start of its file, then fails with ``fault``."""

    def write(*args, **kwargs):
        path = next(arg for arg in args if isinstance(arg, (str, os.PathLike)))
        with open(path, "wb") as file:
            file.write(b"the start of a file")
        raise fault

    return write


WRITERS = {
    "embedding.csv": ("out", "pandas.DataFrame.to_csv"),
    "embedding.png": ("out", "matplotlib.figure.Figure.savefig"),
    "training.gif": ("out", "sk_colour_embed.plotting.animate_training"),
    "metrics.json": ("out", "pathlib.Path.write_text"),
    "vectors.tsv": ("projector", "numpy.savetxt"),
    "sprite.png": ("projector", "sk_colour_embed._projector._write_sprite"),
}
DISK_FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    "name, fault, exit_code, said",
    [
        *[
            (name, DISK_FULL, 1, "error while writing {path}: No space left on device")
            for name in WRITERS
        ],
        ("embedding.png", KeyboardInterrupt(), 130, "interrupted while writing {path}"),
        ("vectors.tsv", KeyboardInterrupt(), 130, "interrupted while writing {path}"),
        (
            "training.gif",
            MemoryError(),
            3,
            "out of memory while writing {path}: --n-pairs 2000 asks for the most memory "
            "(about 180 kB for the pairs): lower it",
        ),
        ("sprite.png", MemoryError(), 3, "out of memory while writing {path}: --n-pairs 2000"),
    ],
)
def test_a_failure_while_writing_names_the_file_and_changes_nothing(
    earlier_run, quick_fit, monkeypatch, capsys, name, fault, exit_code, said
):
    before = contents(earlier_run)
    folder, writer = WRITERS[name]
    monkeypatch.setattr(writer, failing_writer(fault))
    assert run_failing(earlier_run) == exit_code
    out, error = capsys.readouterr()
    message = said.format(path=earlier_run[folder] / name)
    assert error.startswith(f"sk-colour-embed: {message}") and error.count("\n") == 1, error
    assert error.endswith("; no output file was changed\n") and out == ""
    assert contents(earlier_run) == before  # no partial file, no temporary file


def test_a_small_table_is_labelled_unless_told_and_a_large_one_when_told(tmp_path, quick_fit, css4):
    X, y = css4
    rows = [
        f"{name},#{''.join(f'{round(255 * v):02x}' for v in rgb)}"
        for name, rgb in zip(X["name"].head(23), y.head(23).to_numpy(), strict=True)
    ]
    small = write_csv(tmp_path, "name,hex\n" + "\n".join(rows) + "\n")

    runs = iter(range(100))

    def picture(*argv):
        out = tmp_path / f"out{next(runs)}"
        assert main(["--quiet", *argv, "--out", str(out)]) == 0
        return (out / "embedding.png").read_bytes()

    small_argv = ("--source", str(small))
    # 23 colours: labelled by default, not with --no-labels.
    assert picture(*small_argv) != picture(*small_argv, "--no-labels")
    assert picture(*small_argv) == picture(*small_argv, "--labels")
    # 148 colours: none by default, but with --labels.
    assert picture("--source", "css4") == picture("--source", "css4", "--no-labels")
    assert picture("--source", "css4") != picture("--source", "css4", "--labels")


@pytest.mark.parametrize(
    "folder, first_file", [("out", "embedding.csv"), ("projector", "metadata.tsv")]
)
def test_a_folder_that_cannot_be_written_is_named(
    earlier_run, quick_fit, monkeypatch, capsys, folder, first_file
):
    import tempfile

    # Tests run as root, whom chmod does not stop: the error is injected where the
    # operating system would give it, creating a file in the folder.
    mkstemp = tempfile.mkstemp

    def refuse(*args, dir=None, prefix="", **kwargs):
        if dir is not None and os.path.samefile(dir, earlier_run[folder]):
            denied = os.path.join(dir, f"{prefix}abc")
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), denied)
        return mkstemp(*args, dir=dir, prefix=prefix, **kwargs)

    before = contents(earlier_run)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert run_failing(earlier_run) == 1
    error = capsys.readouterr().err
    path = earlier_run[folder] / first_file
    assert error == (
        f"sk-colour-embed: error while writing {path}: Permission denied; "
        "no output file was changed\n"
    )
    assert contents(earlier_run) == before


def test_a_folder_that_cannot_be_made_is_named(tmp_path, quick_fit, monkeypatch, capsys):
    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main([*RUN, "--out", str(tmp_path / "new")]) == 1
    assert capsys.readouterr().err == (
        f"sk-colour-embed: error while making the folder {tmp_path / 'new'}: Permission denied; "
        "no output file was changed\n"
    )


@pytest.mark.parametrize(
    "extra, culprit",
    [
        # 90 bytes a pair, 160 a value of the vectors, 8 a recorded value (see _cli).
        ([], "--n-pairs 2000 asks for the most memory (about 180 kB for the pairs)"),
        (
            ["--dims", "100000"],
            "--dims 100000 asks for the most memory (about 2.37 GB for the vectors of 148 colours)",
        ),
        (
            ["--epochs", "100000"],
            "--epochs 100000 asks for the most memory (about 237 MB with --animate, to record",
        ),
    ],
)
@pytest.mark.parametrize("fault", ["numpy", "tensorflow"])
def test_out_of_memory_while_fitting_names_the_option_that_asked(
    earlier_run, monkeypatch, capsys, extra, culprit, fault
):
    from sk_colour_embed._keras_env import tf

    def out_of_memory(self):
        if fault == "numpy":
            np.empty(10**15)  # 8 PB, more than any address space: MemoryError
        # What TensorFlow raises when it cannot allocate a tensor.
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    before = contents(earlier_run)
    monkeypatch.setattr("sk_colour_embed._sampling.PairSampler.draw_index_pairs", out_of_memory)
    assert run_failing(earlier_run, *extra) == 3
    error = capsys.readouterr().err
    assert error.startswith(f"sk-colour-embed: out of memory while fitting: {culprit}"), error
    assert error.count("\n") == 1 and error.endswith("; no output file was changed\n")
    assert contents(earlier_run) == before


def test_an_interrupted_fit_changes_nothing(earlier_run, monkeypatch, capsys):
    def interrupt(self):
        raise KeyboardInterrupt

    before = contents(earlier_run)
    monkeypatch.setattr("sk_colour_embed._sampling.PairSampler.draw_index_pairs", interrupt)
    assert run_failing(earlier_run) == 130
    assert capsys.readouterr().err == (
        "sk-colour-embed: interrupted while fitting; no output file was changed\n"
    )
    assert contents(earlier_run) == before
