import os
import subprocess
import sys

import pytest

COUNT_THREADS = """
import os
from sk_colour_embed._keras_env import tf
tf.matmul(tf.ones((64, 64)), tf.ones((64, 64))).numpy()  # starts TensorFlow's thread pools
print(len(os.listdir("/proc/self/task")))
"""


def threads_with(**environment):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")
    }
    result = subprocess.run(
        [sys.executable, "-c", COUNT_THREADS],
        env={**env, **environment},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_tensorflow_takes_the_threads_a_parallel_worker_is_given():
    # joblib's loky workers and Dask's set OMP_NUM_THREADS to their share of the cores.
    one = threads_with(OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1")
    assert threads_with(OMP_NUM_THREADS="1") == one
    # TensorFlow's own setting wins.
    assert threads_with(OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="3") == one + 2


def test_the_xla_cache_folder_follows_the_environment_and_the_users_own_flags(tmp_path):
    from sk_colour_embed._keras_env import with_xla_cache

    def flags(**environ):
        with_xla_cache(environ)
        return environ.get("TF_XLA_FLAGS")

    folder = tmp_path / "xdg" / "sk_colour_embed" / "xla"
    assert flags(XDG_CACHE_HOME=str(tmp_path / "xdg")) == (
        f"--tf_xla_persistent_cache_directory={folder}"
    )
    mine = str(tmp_path / "mine")
    assert flags(SK_COLOUR_EMBED_XLA_CACHE=mine) == f"--tf_xla_persistent_cache_directory={mine}"
    # Appended to the user's other flags; the user's own cache folder, or "off", wins.
    assert flags(SK_COLOUR_EMBED_XLA_CACHE=mine, TF_XLA_FLAGS="--xla_cpu_fast_math") == (
        f"--xla_cpu_fast_math --tf_xla_persistent_cache_directory={mine}"
    )
    own = "--tf_xla_persistent_cache_directory=/theirs"
    assert flags(SK_COLOUR_EMBED_XLA_CACHE=mine, TF_XLA_FLAGS=own) == own
    assert flags(SK_COLOUR_EMBED_XLA_CACHE="off", XDG_CACHE_HOME=str(tmp_path)) is None
    with pytest.warns(RuntimeWarning, match="cannot hold a path with a space"):
        assert flags(SK_COLOUR_EMBED_XLA_CACHE=str(tmp_path / "a b")) is None


# 5,000 steps: the engine compiles the epoch with XLA (XLA_MIN_STEPS).
XLA_FIT = """
import hashlib, numpy as np, pandas as pd
from sk_colour_embed import PairSimilarityClassifier
rng = np.random.default_rng(0)
a, b = rng.integers(0, 20, 100), rng.integers(0, 20, 100)
X, y = pd.DataFrame({"a": a, "b": b}), (a % 4 == b % 4).astype(int)
fitted = PairSimilarityClassifier(epochs=500, batch_size=10, random_state=0).fit(X, y)
print(hashlib.sha256(fitted.vectors_.vectors.tobytes()).hexdigest())
"""


def fit_in_a_fresh_process(cache, **environment):
    """Run ``XLA_FIT`` in a new process with the cache ``cache``; its stdout and stderr."""
    env = {name: value for name, value in os.environ.items() if name != "TF_XLA_FLAGS"}
    result = subprocess.run(
        [sys.executable, "-c", XLA_FIT],
        env={**env, "SK_COLOUR_EMBED_XLA_CACHE": str(cache), **environment},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip(), result.stderr


def test_a_fresh_process_reuses_the_compiled_epochs_for_the_same_fit(tmp_path):
    cache = tmp_path / "xla"
    compiled, _ = fit_in_a_fresh_process(cache)
    entries = sorted(cache.iterdir())
    assert entries
    # The second process loads the compiled epochs instead of compiling: the same fit.
    assert fit_in_a_fresh_process(cache)[0] == compiled
    assert sorted(cache.iterdir()) == entries


def test_the_xla_cache_can_be_turned_off(tmp_path):
    fit_in_a_fresh_process("off", XDG_CACHE_HOME=str(tmp_path))
    assert not (tmp_path / "sk_colour_embed").exists()


def test_a_cache_folder_that_cannot_be_made_leaves_fits_working_and_says_so(tmp_path):
    # TensorFlow failed every compiled fit with its own NotFoundError on such a folder.
    (tmp_path / "file").write_text("")
    cache = tmp_path / "file" / "xla"  # cannot be made, as root too
    fitted, stderr = fit_in_a_fresh_process(cache)
    assert fitted == fit_in_a_fresh_process("off")[0]  # the same fit
    ours = [line for line in stderr.splitlines() if "RuntimeWarning" in line]
    assert len(ours) == 1 and f"folder {cache} cannot be used" in ours[0]
    assert "SK_COLOUR_EMBED_XLA_CACHE" in ours[0]
