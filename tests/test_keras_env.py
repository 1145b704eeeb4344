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


def start_counting(**environment):
    """A fresh process that starts TensorFlow's thread pools in ``environment``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")
    }
    return subprocess.Popen(
        [sys.executable, "-c", COUNT_THREADS],
        env={**env, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def threads(process):
    """The threads that the process of :func:`start_counting` counted."""
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    return int(stdout)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_tensorflow_takes_the_threads_a_parallel_worker_is_given():
    # joblib's loky workers and Dask's set OMP_NUM_THREADS to their share of the cores.
    # The three processes run at once: each counts its own threads.
    started = [
        start_counting(OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1"),
        start_counting(OMP_NUM_THREADS="1"),
        start_counting(OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="3"),
    ]
    one, omp_alone, tensorflows_three = (threads(process) for process in started)
    assert omp_alone == one
    assert tensorflows_three == one + 2  # TensorFlow's own setting wins
