"""The documentation builds without a warning."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the docs build and their examples, each a fresh process

DOCS = Path(__file__).parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, tmp_path],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "getting_started.html").exists() and (tmp_path / "api.html").exists()
    assert "PairSimilarityEmbedder.most_similar" in (tmp_path / "api.html").read_text()


def test_the_getting_started_code_runs(tmp_path):
    tutorial = DOCS / "tutorial.py"
    result = subprocess.run(
        [sys.executable, tutorial, "--quick", "--out", tmp_path], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    pictures = {"embedding_2d.png", "embedding_3d.png", "training.gif", "grid_search.png"}
    pictures |= {"new_names.png", "predicted_swatches.png"}
    assert pictures <= {path.name for path in tmp_path.iterdir()}
    assert "RGB error, colour vectors:" in result.stdout


def test_the_dask_example_runs():
    example = DOCS / "beyond_one_machine.py"
    result = subprocess.run([sys.executable, example, "--quick"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "'n_components'" in result.stdout and "held-out score 0." in result.stdout


def test_the_pairs_example_runs(tmp_path):
    example = DOCS / "learning_from_pairs.py"
    result = subprocess.run(
        [sys.executable, example, "--quick", "--out", tmp_path], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "les_miserables.png").exists()
    assert "254 pairs of characters, 508 with both directions" in result.stdout
