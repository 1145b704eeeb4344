import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sk_colour_embed._cli import main

SMALL = ["--source", "css4", "--n-pairs", "3000", "--epochs", "6", "--quiet"]


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
    assert embedding.shape == (148, 3)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["settings"] == {
        "source": "css4",
        "dims": 3,
        "threshold": 0.3,
        "n_pairs": 3000,
        "epochs": 6,
        "seed": 4,
    }
    assert -1 <= metrics["score"] <= 1
    out = capsys.readouterr().out
    assert f"score {metrics['score']:.3f}" in out
    assert "wrote embedding.csv, embedding.png, training.gif, metrics.json" in out
    image = np.asarray(Image.open(tmp_path / "embedding.png").convert("L"))
    assert image.std() > 10  # not blank
    assert Image.open(tmp_path / "training.gif").n_frames > 1


def test_console_command_runs_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *SMALL, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "embedding.png").exists() and not (tmp_path / "training.gif").exists()
    assert result.stderr == ""


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


def run_command(*argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *argv], capture_output=True, text=True, **kwargs
    )


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


def test_a_closed_pipe_is_not_an_error(tmp_path):
    command = (
        f"{sys.executable} -m sk_colour_embed {' '.join(SMALL)} --out {tmp_path} | true; "
        "exit ${PIPESTATUS[0]}"
    )
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr


def test_a_log_gets_one_summary_line_not_a_progress_bar(tmp_path):
    result = run_command(
        "--source", "css4", "--n-pairs", "3000", "--epochs", "6", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and "\r" not in result.stdout
    assert result.stdout.startswith("trained 6 epochs in ")


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
