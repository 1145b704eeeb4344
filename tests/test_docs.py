"""The documentation builds without a warning, and its examples run."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the docs build and their examples, each a fresh process

DOCS = Path(__file__).parents[1] / "docs"


def start(*args):
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """The docs build, the getting-started code and the pairs example, started together (the
    tests read each its own); the Dask example starts a cluster of its own, and runs alone."""
    out = {name: tmp_path_factory.mktemp(name) for name in ("html", "tutorial", "pairs")}
    processes = {
        "html": start("-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, out["html"]),
        "tutorial": start(DOCS / "tutorial.py", "--quick", "--out", out["tutorial"]),
        "pairs": start(DOCS / "learning_from_pairs.py", "--quick", "--out", out["pairs"]),
    }
    yield {name: (process, out[name]) for name, process in processes.items()}
    for process in processes.values():
        process.kill()  # those a failed or deselected test left running
        process.communicate()


def finished(process):
    """The return code, output and error output of a process of :func:`started`."""
    stdout, stderr = process.communicate()
    return process.returncode, stdout, stderr


def test_docs_build_without_warnings(started):
    process, out = started["html"]
    returncode, _, stderr = finished(process)
    assert returncode == 0, stderr
    assert stderr == ""
    assert (out / "getting_started.html").exists() and (out / "api.html").exists()
    assert "PairSimilarityEmbedder.most_similar" in (out / "api.html").read_text()


def test_the_getting_started_code_runs(started):
    process, out = started["tutorial"]
    returncode, stdout, stderr = finished(process)
    assert returncode == 0, stderr
    pictures = {"embedding_2d.png", "embedding_3d.png", "training.gif", "grid_search.png"}
    pictures |= {"new_names.png", "predicted_swatches.png"}
    assert pictures <= {path.name for path in out.iterdir()}
    assert "RGB error, colour vectors:" in stdout


def test_the_dask_example_runs():
    example = DOCS / "beyond_one_machine.py"
    result = subprocess.run([sys.executable, example, "--quick"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "'n_components'" in result.stdout and "held-out score 0." in result.stdout


def test_the_pairs_example_runs(started):
    process, out = started["pairs"]
    returncode, stdout, stderr = finished(process)
    assert returncode == 0, stderr
    assert (out / "les_miserables.png").exists()
    assert "254 pairs of characters, 508 with both directions" in stdout


@pytest.mark.parametrize(
    "module",
    sorted(
        str(path.relative_to(DOCS.parent / "sk_colour_embed"))
        for path in (DOCS.parent / "sk_colour_embed").rglob("*.py")
    ),
)
def test_the_design_guide_maps_every_module(module):
    assert f"`{module}`" in (DOCS / "design.md").read_text(), f"docs/design.md omits {module}"
