import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # fresh processes that start TensorFlow

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
