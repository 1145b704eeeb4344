"""The compiled epochs shared between processes: whatever is on disk, the fit is the same.

A fresh process is the point of the tests that run one: TensorFlow reads its
cache flag once per process, and the cache is for later processes. They fit
a small model in 5,000 steps, the fewest that the engine compiles with XLA.
"""

import errno
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sk_colour_embed import _cache_files
from sk_colour_embed._engine.xla_cache import PRIVATE, VARIABLE, CompilationCache, shared_directory
from sk_colour_embed._keras_env import tf

from conftest import half_written_writes

PACKAGE_PARENT = str(Path(__file__).parents[1])

# 5,000 steps: the engine compiles the epochs with XLA (XLA_MIN_STEPS). SLOW_ORDERS
# delays the thread that draws the epochs' orders, so that its work falls at
# another moment of the first fit's tracing than in an undisturbed process: the
# first blocks of orders, drawn while the epochs are traced (delaying the later ones
# would only make the fit longer).
XLA_FIT = """
import hashlib, itertools, os, time, warnings, numpy as np, pandas as pd
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit
if os.environ.get("SLOW_ORDERS"):
    import sk_colour_embed._engine.loop as engine
    draw, drawn = engine._shuffled, itertools.count()
    def slow(*args):
        if next(drawn) < 3:
            time.sleep(float(os.environ["SLOW_ORDERS"]))
        return draw(*args)
    engine._shuffled = slow
if os.environ.get("KILLED_WHILE_PUBLISHING"):
    import sk_colour_embed._cache_files as files
    files.os.fsync = lambda fd: os._exit(9)  # the temporary file written, not renamed
from sk_colour_embed import PairSimilarityClassifier
rng = np.random.default_rng(0)
a, b = rng.integers(0, 20, 100), rng.integers(0, 20, 100)
X, y = pd.DataFrame({"a": a, "b": b}), (a % 4 == b % 4).astype(int)
fitted = PairSimilarityClassifier(epochs=500, batch_size=10, random_state=0).fit(X, y)
print(hashlib.sha256(fitted.vectors_.vectors.tobytes()).hexdigest())
"""


def environment(cache, **variables):
    """This process's environment for a fresh process using the shared folder ``cache``."""
    env = {name: value for name, value in os.environ.items() if name != "TF_XLA_FLAGS"}
    env["PYTHONPATH"] = os.pathsep.join([PACKAGE_PARENT, env.get("PYTHONPATH", "")])
    return {**env, VARIABLE: str(cache), **variables}


def start_fit(cache, **variables):
    return subprocess.Popen(
        [sys.executable, "-c", XLA_FIT],
        env=environment(cache, **variables),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process):
    """The vectors' hash and the warnings of a fit started by :func:`start_fit`."""
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    return stdout.strip(), [line for line in stderr.splitlines() if "Warning" in line]


def fit_in_a_fresh_process(cache, **variables):
    return finish(start_fit(cache, **variables))


def entries(cache):
    """The shared folder's files, by path under it, and their contents."""
    return {
        str(path.relative_to(cache)): path.read_bytes()
        for path in Path(cache).rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def first_fits(tmp_path_factory):
    """Two processes started together: the fit with the cache turned off (its vectors, and
    the user's cache folder then), and one that fills a shared folder (the folder)."""
    home = tmp_path_factory.mktemp("home")
    filled = tmp_path_factory.mktemp("filled") / "xla"
    turned_off, filling = start_fit("off", XDG_CACHE_HOME=str(home)), start_fit(filled)
    (vectors, warnings), _ = finish(turned_off), finish(filling)
    assert not warnings
    return vectors, home, filled


@pytest.fixture(scope="module")
def uncached(first_fits):
    """The vectors of the fit without any cache."""
    return first_fits[0]


@pytest.fixture(scope="module")
def filled(first_fits):
    """A shared folder that one process has filled."""
    return first_fits[2]


@pytest.mark.slow  # fresh processes that import TensorFlow
def test_a_fresh_process_loads_what_an_identical_one_compiled(filled, uncached, tmp_path):
    cache = tmp_path / "xla"
    shutil.copytree(filled, cache)
    kept = entries(cache)
    (subfolder,) = {Path(name).parent for name in kept}
    assert len(kept) == 1 and str(subfolder).startswith(f"tf-{tf.version.VERSION}-")
    for payload in kept.values():
        _cache_files.parse(payload)  # whole, with its checksum
    # The orders of the epochs, drawn on a second thread, were once made into
    # tensors there: the names of the traced functions, which key the cache,
    # then followed the timing of the threads, and the process compiled again.
    vectors, warnings = fit_in_a_fresh_process(cache, SLOW_ORDERS="0.2")
    assert entries(cache) == kept  # loaded, not compiled and written again
    assert vectors == uncached and not warnings


DAMAGES = {
    "cut short": lambda data: data[: len(data) // 2],  # TensorFlow's OutOfRangeError
    "overwritten": lambda data: b"\x00garbage" * 100,  # its InvalidArgumentError
    "emptied": lambda data: b"",
}


@pytest.mark.slow  # fresh processes that import TensorFlow, one for each damage, at once
def test_a_damaged_entry_is_compiled_again_and_replaced(filled, uncached, tmp_path):
    started = {}
    for kind, damage in DAMAGES.items():
        cache = tmp_path / kind / "xla"
        shutil.copytree(filled, cache)
        whole = entries(cache)
        (path,) = (cache / name for name in whole)
        path.write_bytes(damage(path.read_bytes()))
        started[kind] = (cache, whole, path, start_fit(cache))
    for kind, (cache, whole, path, process) in started.items():
        vectors, warnings = finish(process)
        assert vectors == uncached and not warnings, kind
        assert entries(cache).keys() == whole.keys(), kind
        _cache_files.parse(path.read_bytes())


@pytest.mark.slow  # fresh processes that import TensorFlow
def test_a_process_killed_while_publishing_leaves_nothing_that_breaks_or_stays(uncached, tmp_path):
    cache = tmp_path / "xla"
    killed = start_fit(cache, KILLED_WHILE_PUBLISHING="1")
    killed.communicate()
    assert killed.returncode == 9
    (debris,) = entries(cache)  # its temporary file, never renamed
    assert Path(debris).name.startswith(".") and Path(debris).name.endswith(".tmp")
    vectors, warnings = fit_in_a_fresh_process(cache)
    assert vectors == uncached and not warnings
    (entry,) = entries(cache)  # the debris removed, the entry published whole
    _cache_files.parse((cache / entry).read_bytes())


@pytest.mark.slow  # fresh processes that import TensorFlow
def test_two_processes_at_once_fit_the_same_and_leave_one_whole_entry(uncached, tmp_path):
    cache = tmp_path / "xla"
    processes = [start_fit(cache), start_fit(cache)]
    for process in processes:
        vectors, warnings = finish(process)
        assert vectors == uncached and not warnings
    (entry,) = entries(cache)
    _cache_files.parse((cache / entry).read_bytes())


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_a_folder_that_cannot_be_made_costs_no_fit_and_is_named_once(uncached, tmp_path):
    (tmp_path / "file").write_text("")
    cache = tmp_path / "file" / "xla"  # cannot be made, as root too
    vectors, warnings = fit_in_a_fresh_process(cache)
    assert vectors == uncached
    assert len(warnings) == 1 and "RuntimeWarning" in warnings[0]
    assert f"folder {cache} cannot be used" in warnings[0] and VARIABLE in warnings[0]


@pytest.mark.slow  # a fresh process that imports TensorFlow
def test_the_cache_can_be_turned_off(first_fits):
    _, home, _ = first_fits
    assert not (home / "sk_colour_embed").exists()


IMPORT_EVERYTHING = """
import os, pkgutil, importlib, sk_colour_embed
before = os.environ.get("TF_XLA_FLAGS")
for module in pkgutil.walk_packages(sk_colour_embed.__path__, "sk_colour_embed."):
    if module.name != "sk_colour_embed.__main__":  # the command itself
        importlib.import_module(module.name)  # the engine's modules too
assert "tensorflow" in __import__("sys").modules
print(repr(before), repr(os.environ.get("TF_XLA_FLAGS")))
"""


@pytest.mark.slow  # fresh processes that import TensorFlow, started together
def test_importing_the_package_writes_nothing_and_leaves_the_flags(tmp_path):
    started = {}
    for number, flags in enumerate([None, "--xla_cpu_enable_fast_math=false"]):
        folder = tmp_path / f"flags{number}"
        folder.mkdir()
        env = environment(folder / "named", XDG_CACHE_HOME=str(folder / "xdg"))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["MPLCONFIGDIR"] = str(tmp_path / f"matplotlib{number}")  # its own font cache
        env.pop(VARIABLE) if flags is None else env.update(TF_XLA_FLAGS=flags)
        started[flags] = (
            folder,
            subprocess.Popen(
                [sys.executable, "-c", IMPORT_EVERYTHING],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    for flags, (folder, process) in started.items():
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stderr
        assert stdout.split() == [repr(flags)] * 2
        assert not any(folder.iterdir())


# In this process: what moves between the shared folder and TensorFlow's.


def test_the_flag_follows_the_environment_and_the_users_own_flags(tmp_path):
    def flags(**environ):
        CompilationCache(environ).prepare()
        return environ.get("TF_XLA_FLAGS")

    ours = f"--tf_xla_persistent_cache_directory={PRIVATE}"
    assert flags(XDG_CACHE_HOME=str(tmp_path)) == ours
    assert flags(**{VARIABLE: str(tmp_path / "a b")}) == ours  # TensorFlow never sees the path
    assert flags(TF_XLA_FLAGS="--xla_cpu_enable_fast_math=false") == (
        f"--xla_cpu_enable_fast_math=false {ours}"
    )
    assert flags(TF_XLA_FLAGS=ours) == ours  # a parent process's, not added again
    theirs = "--tf_xla_persistent_cache_directory=/theirs"
    assert flags(TF_XLA_FLAGS=theirs) == theirs  # the user's own folder wins
    assert flags(**{VARIABLE: "off"}) is None
    assert shared_directory({"XDG_CACHE_HOME": str(tmp_path)}) == str(
        tmp_path / "sk_colour_embed" / "xla"
    )


@pytest.fixture
def cache(tmp_path):
    """A prepared cache of a shared folder in ``tmp_path``, with a private folder of its own."""
    private = f"ram://test_xla_cache/{uuid.uuid4().hex}"
    cache = CompilationCache({VARIABLE: str(tmp_path / "xla")}, private=private)
    cache.prepare()
    return cache


def compiled_by_tensorflow(cache, name, payload):
    """Write an entry into ``cache``'s private folder, as TensorFlow does when it compiles."""
    tf.io.gfile.makedirs(cache.private)
    with tf.io.gfile.GFile(f"{cache.private}/{name}", "wb") as file:
        file.write(payload)


def private_entries(cache):
    if not tf.io.gfile.exists(cache.private):
        return {}
    return {
        name: tf.io.gfile.GFile(f"{cache.private}/{name}", "rb").read()
        for name in tf.io.gfile.listdir(cache.private)
    }


def test_only_whole_entries_reach_tensorflow(cache, recwarn):
    folder = Path(cache.subfolder())
    folder.mkdir(parents=True)
    whole = _cache_files.frame(b"compiled")
    (folder / "whole.pb.entry").write_bytes(whole)
    (folder / "cut.pb.entry").write_bytes(whole[:-3])
    (folder / "overwritten.pb.entry").write_bytes(b"x" * len(whole))
    (folder / "empty.pb.entry").write_bytes(b"")
    (folder / "raw.pb.entry").write_bytes(b"compiled")  # no checksum: not written by us
    (folder / "other.txt").write_bytes(b"not an entry")
    # A writer's temporary file, a day old: its process died (on another machine, say).
    debris = folder / ".new.pb.entry.ffffffff-1-0a1b2c3d.tmp"
    debris.write_bytes(whole[:5])
    day_old = time.time() - _cache_files.STALE_SECONDS - 60
    os.utime(debris, (day_old, day_old))
    cache.load()
    assert private_entries(cache) == {"whole.pb": b"compiled"}
    # The damaged entries are removed: the next process compiles and writes them again.
    assert sorted(p.name for p in folder.iterdir()) == ["other.txt", "whole.pb.entry"]
    assert not recwarn.list


def test_new_entries_are_published_whole_and_once(cache, recwarn):
    cache.load()
    compiled_by_tensorflow(cache, "a.pb", b"first")
    cache.publish()
    compiled_by_tensorflow(cache, "b.pb", b"second")
    published = Path(cache.subfolder()) / "a.pb.entry"
    before = published.stat().st_mtime_ns
    cache.publish()
    assert published.stat().st_mtime_ns == before  # not written again
    assert {
        path.name: _cache_files.read_entry(path) for path in Path(cache.subfolder()).iterdir()
    } == {"a.pb.entry": b"first", "b.pb.entry": b"second"}
    assert not recwarn.list


def test_a_full_disk_while_publishing_shares_nothing_more_and_says_so_once(
    cache, monkeypatch, tmp_path
):
    half_written_writes(monkeypatch, errno.ENOSPC)
    cache.load()
    compiled_by_tensorflow(cache, "a.pb", b"first")
    with pytest.warns(RuntimeWarning) as caught:
        cache.publish()
        compiled_by_tensorflow(cache, "b.pb", b"second")
        cache.publish()
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"folder {tmp_path / 'xla'} cannot be used (No space left on device)" in message
    assert VARIABLE in message
    assert list(Path(cache.subfolder()).iterdir()) == []  # no half-written file left
    # TensorFlow's own folder is untouched: the fits go on from it.
    assert private_entries(cache) == {"a.pb": b"first", "b.pb": b"second"}


@pytest.mark.parametrize("operation", ["read", "write"])
def test_a_folder_without_permission_shares_nothing_and_says_so_once(
    operation, cache, monkeypatch, tmp_path
):
    # Tests run as root, whom permissions do not stop: the refusal is the system's answer.
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    folder = Path(cache.subfolder())
    folder.mkdir(parents=True)
    (folder / "kept.pb.entry").write_bytes(_cache_files.frame(b"compiled"))
    if operation == "read":
        monkeypatch.setattr(_cache_files, "open", refused, raising=False)
    else:
        half_written_writes(monkeypatch, errno.EACCES)
    with pytest.warns(RuntimeWarning) as caught:
        cache.load()
        compiled_by_tensorflow(cache, "new.pb", b"new")
        cache.publish()
    assert len(caught) == 1 and "(Permission denied)" in str(caught[0].message)
    assert f"folder {tmp_path / 'xla'}" in str(caught[0].message)
    assert sorted(p.name for p in folder.iterdir()) == ["kept.pb.entry"]
