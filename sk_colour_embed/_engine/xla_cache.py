"""The compiled epochs kept on disk for later processes, safely.

TensorFlow keeps XLA's compiled functions on disk when ``TF_XLA_FLAGS``
names a folder (``--tf_xla_persistent_cache_directory``); it reads the flags
once, before its first function runs. Its cache cannot be given a shared
folder safely: it looks up a compiled function's file by its key and, when
the file exists, fails the function on any fault in it (cut short:
``OutOfRangeError``; emptied or overwritten: ``InvalidArgumentError``), and
fails it too when it cannot write a new entry (a full disk, a folder it may
not write); it writes in place, so a killed process or two at once leave
such files behind (``DeviceExecutablePersistor`` and
``DeviceCompiler::CompileStrict`` in ``tensorflow/compiler/jit``).

So TensorFlow is given a folder of its own in this process's memory
(TensorFlow's ``ram://`` file system), which none of that can reach, and
this module moves entries between it and the shared folder on disk, one
subfolder per TensorFlow build and processor:

- :meth:`CompilationCache.prepare`, before TensorFlow's import, points
  ``TF_XLA_FLAGS`` at the folder in memory; nothing is written to disk;
- :meth:`CompilationCache.load`, before the process's first compiled fit,
  copies in the shared entries that are whole (each is written with its
  checksum, ``_cache_files``), newest first, up to ``MAX_BYTES``; a damaged
  one is removed, and TensorFlow compiles that function again;
- :meth:`CompilationCache.publish`, after each compiled fit, writes the new
  entries to the shared folder, whole or not at all.

A shared folder that cannot be read or written (not a folder, no
permission, a full disk) only means that this process shares nothing, with
one warning.
"""

import hashlib
import os
import platform
import threading

from sk_colour_embed import _cache_files
from sk_colour_embed._warnings import warn_user

VARIABLE = "SK_COLOUR_EMBED_XLA_CACHE"
_FLAG = "--tf_xla_persistent_cache_directory"
# TensorFlow's folder: in this process's memory, where no other process writes.
PRIVATE = "ram://sk_colour_embed/xla"
_ENTRY = ".entry"
# Shared entries a process copies into memory, at most (the newest first), and the
# most the shared folder keeps (the oldest leave first): about 35 of the tutorial's
# 461 kB. Each process reads and checks them all before its first compiled fit, a
# cost that must stay well below the compiling that a hit saves (benchmarks/results.md).
MAX_BYTES = 16 * 2**20


def shared_directory(environ):
    """The shared folder that ``environ`` asks for, or None for no shared cache.

    ``SK_COLOUR_EMBED_XLA_CACHE`` names it, or turns the cache off with
    ``off``; by default it is ``sk_colour_embed/xla`` in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``). None also when the
    user's ``TF_XLA_FLAGS`` name a cache folder of their own, which wins.

    >>> shared_directory({"SK_COLOUR_EMBED_XLA_CACHE": "off"}) is None
    True
    >>> shared_directory({"XDG_CACHE_HOME": "/cache"})
    '/cache/sk_colour_embed/xla'
    """
    setting = environ.get(VARIABLE, "").strip()
    if setting.lower() == "off" or _users_own_folder(environ.get("TF_XLA_FLAGS", "")):
        return None
    if setting:
        return os.path.abspath(os.path.expanduser(setting))
    base = environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    return os.path.join(base, "sk_colour_embed", "xla")


def _ours():
    return f"{_FLAG}={PRIVATE}"


def _users_own_folder(flags):
    return any(flag.startswith(_FLAG) and flag != _ours() for flag in flags.split())


def _build_tag(tf):
    """The subfolder of this TensorFlow build on this processor.

    Compiled code is only valid for the XLA that compiled it, and for the
    processor's instruction set; a home folder may be shared by machines.
    """
    processor = f"{platform.machine()} {platform.processor()}"
    try:
        with open("/proc/cpuinfo") as cpuinfo:  # Linux: the model and its instruction sets
            processor += "".join(
                line for line in cpuinfo if line.startswith(("model name", "flags"))
            )
    except OSError:
        pass
    build = f"{tf.version.VERSION} {tf.version.GIT_VERSION} {processor}"
    return f"tf-{tf.version.VERSION}-{hashlib.sha256(build.encode()).hexdigest()[:12]}"


class CompilationCache:
    """This process's side of the shared compilation cache (see the module's notes).

    ``environ`` is the process's environment (``os.environ``), read and
    written by :meth:`prepare`; ``private`` is TensorFlow's folder.
    """

    def __init__(self, environ=None, private=PRIVATE):
        self.environ = os.environ if environ is None else environ
        self.private = private
        self.directory = None  # the shared folder, once prepared
        self._lock = threading.Lock()
        self._loaded = False
        self._known = set()  # entries in memory that the shared folder holds too
        self._sharing = True  # until the shared folder fails

    def prepare(self):
        """Point TensorFlow's persistent cache at the folder in memory; write nothing.

        Called before TensorFlow is imported, as TensorFlow reads its flags
        once; the flag of an earlier call (or of a parent process) is not
        added again. The user's own cache folder, or ``off``, wins.
        """
        with self._lock:
            self.directory = shared_directory(self.environ)
            if self.directory is None:
                return
            flags = self.environ.get("TF_XLA_FLAGS", "")
            if _ours() not in flags.split():
                self.environ["TF_XLA_FLAGS"] = f"{flags} {_ours()}".strip()

    def subfolder(self):
        """The shared folder's subfolder of this TensorFlow build and processor."""
        from sk_colour_embed._keras_env import tf

        return os.path.join(self.directory, _build_tag(tf))

    def load(self):
        """Copy the shared folder's whole entries into TensorFlow's, once per process."""
        with self._lock:
            if self._loaded or self.directory is None or not self._sharing:
                return
            self._loaded = True
            folder = self.subfolder()
            try:
                names = [n for n in os.listdir(folder) if n.endswith(_ENTRY)]
            except FileNotFoundError:
                return  # nothing shared yet
            except OSError as error:
                self._give_up(error)
                return
            _cache_files.remove_debris(folder)  # a process that loads may never publish
            from sk_colour_embed._keras_env import tf

            entries = []
            for name in names:
                try:
                    entries.append((os.stat(os.path.join(folder, name)).st_mtime, name))
                except OSError:
                    pass  # removed meanwhile
            budget = MAX_BYTES
            for _, name in sorted(entries, reverse=True):
                path = os.path.join(folder, name)
                try:
                    payload = _cache_files.read_entry(path)
                except FileNotFoundError:
                    continue
                except _cache_files.DamagedEntry:
                    _cache_files.remove_damaged(path)
                    continue
                except OSError as error:
                    self._give_up(error)
                    return
                budget -= len(payload)
                if budget < 0:
                    break
                key = name[: -len(_ENTRY)]
                try:
                    tf.io.gfile.makedirs(self.private)
                    with tf.io.gfile.GFile(f"{self.private}/{key}", "wb") as file:
                        file.write(payload)
                except tf.errors.OpError as error:
                    self._give_up(error.message)
                    return
                self._known.add(key)

    def publish(self):
        """Write the entries TensorFlow made since the last call to the shared folder."""
        with self._lock:
            if self.directory is None or not self._sharing:
                return
            from sk_colour_embed._keras_env import tf

            try:
                new = sorted(set(tf.io.gfile.listdir(self.private)) - self._known)
            except tf.errors.NotFoundError:
                return  # nothing compiled
            if not new:
                return
            folder = self.subfolder()
            try:
                os.makedirs(folder, exist_ok=True)
                _cache_files.remove_debris(folder)
                for key in new:
                    with tf.io.gfile.GFile(f"{self.private}/{key}", "rb") as file:
                        payload = file.read()
                    _cache_files.write_entry(os.path.join(folder, key + _ENTRY), payload)
                    self._known.add(key)
            except OSError as error:
                self._give_up(error)
                return
            except tf.errors.OpError as error:
                self._give_up(error.message)
                return
            _prune(folder)

    def _give_up(self, why):
        """Share nothing more in this process; say so, once."""
        if not self._sharing:
            return
        self._sharing = False
        if isinstance(why, OSError):
            why = why.strerror or str(why)
        warn_user(
            f"the XLA compilation cache folder {self.directory} cannot be used ({why}), so this "
            f"process shares no compiled epochs; its fits are the same. Set {VARIABLE} to a "
            "writable folder, or to off.",
            RuntimeWarning,
        )


def _prune(folder):
    """Remove the oldest entries beyond ``MAX_BYTES``; errors are ignored (tidying)."""
    entries = []
    try:
        for entry in os.scandir(folder):
            if entry.name.endswith(_ENTRY):
                stat = entry.stat()
                entries.append((stat.st_mtime, stat.st_size, entry.path))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_BYTES:
            break
        try:
            os.unlink(path)
        except OSError:
            pass
        total -= size


# The process's cache: prepared by the engine's first step before TensorFlow's import,
# loaded and published by the engine around each compiled fit.
COMPILATION_CACHE = CompilationCache()
