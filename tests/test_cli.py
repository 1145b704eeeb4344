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
    assert "wrote embedding.csv, embedding.png, metrics.json, training.gif" in out
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
        (["--dims", "0"], "argument --dims: expected a value above 0, got '0'"),
        (["--epochs", "many"], "argument --epochs: expected a int, got 'many'"),
        (["--colour"], "unrecognized arguments: --colour"),
        (["--source", "missing.csv"], "source='missing.csv' is neither one of"),
    ],
)
def test_bad_options_give_one_line_and_no_traceback(tmp_path, argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "sk_colour_embed", *argv, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
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
    ]:
        assert option in text
