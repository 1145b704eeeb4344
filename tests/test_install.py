"""The package as a user installs it: a plain (not editable) install and its console script."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a plain install, and its command in a fresh process

ROOT = Path(__file__).parents[1]


def clean_sources(folder):
    """The files git tracks, copied to ``folder``: what a fresh checkout holds, without the
    build leftovers (``*.egg-info``, ``build/``) that can make setuptools add files that a
    fresh checkout would leave out. The working tree itself outside a git checkout."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        return ROOT
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


def test_the_console_script_of_a_plain_install_writes_its_files(tmp_path):
    target = tmp_path / "site"
    sources = clean_sources(tmp_path / "sources")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            target,
            sources,
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        # Each package of it: an editable install's finder would serve one left out.
        [sys.executable, "-c", "import sk_colour_embed._engine as e; print(e.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)  # the installed copy, not the source
    out = tmp_path / "results"
    result = subprocess.run(
        [
            target / "bin" / "sk-colour-embed",
            "--source",
            "css4",
            "--n-pairs",
            "3000",
            "--epochs",
            "5",
            "--animate",
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    files = {"embedding.csv", "embedding.png", "metrics.json", "training.gif"}
    assert {path.name for path in out.iterdir()} == files
    assert json.loads((out / "metrics.json").read_text())["n_items"] == 148
