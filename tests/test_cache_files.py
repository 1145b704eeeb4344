"""Cache entries that several processes share: whole and checked, or not used."""

import errno
import os
import subprocess
import sys
import time

import pytest

from sk_colour_embed import _cache_files
from sk_colour_embed._cache_files import DamagedEntry, read_entry, remove_debris, write_entry


def test_an_entry_reads_back_whole_and_any_damage_is_told(tmp_path):
    path = tmp_path / "entry"
    write_entry(path, b"compiled code")
    assert read_entry(path) == b"compiled code"
    assert os.listdir(tmp_path) == ["entry"]
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole[:10], b"", b"x" * len(whole), whole[:-1] + b"?"):
        path.write_bytes(damaged)
        with pytest.raises(DamagedEntry):
            read_entry(path)
    with pytest.raises(FileNotFoundError):
        read_entry(tmp_path / "none")


def test_a_failed_write_leaves_neither_the_entry_nor_a_temporary_file(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    write_entry(tmp_path / "entry", b"earlier")
    monkeypatch.setattr(_cache_files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_entry(tmp_path / "entry", b"later")
    assert os.listdir(tmp_path) == ["entry"] and read_entry(tmp_path / "entry") == b"earlier"


def test_the_temporary_files_of_dead_writers_are_removed_and_the_living_ones_kept(tmp_path):
    host = _cache_files._host()
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    names = {
        "dead": f".entry.{host}-{ended}-0a1b2c3d.tmp",
        "alive": f".entry.{host}-{os.getpid()}-0a1b2c3d.tmp",
        "another machine's": ".entry.ffffffff-1-0a1b2c3d.tmp",
        "another machine's, a day old": ".other.ffffffff-1-0a1b2c3d.tmp",
        "an entry": "entry",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    day_old = time.time() - _cache_files.STALE_SECONDS - 60
    os.utime(tmp_path / names["another machine's, a day old"], (day_old, day_old))
    remove_debris(tmp_path)
    kept = {"alive", "another machine's", "an entry"}
    if os.name == "nt":  # processes are not probed there: the age limit alone
        kept.add("dead")
    assert sorted(os.listdir(tmp_path)) == sorted(names[k] for k in kept)
