"""Cache entries on disk that several processes share: whole and checked, or not used.

A cache folder may be written by two processes at once, by a process killed
mid-write, or on a full disk, and read by all of them. Here an entry is
written under a temporary name in its folder, flushed to disk, then renamed
into place, so that readers see the whole file or none; it carries a
checksum of its content, so that a file damaged after the fact (cut short,
overwritten, emptied) is told from a whole one and read as missing. The
temporary files of a writer that died are removed by the next writer.

The callers (``_engine.xla_cache``, ``_reference``) decide what a failure means: a
cache that cannot be read or written costs no fit.
"""

import hashlib
import os
import secrets
import socket
import time

# What a whole entry starts with, then the SHA-256 digest of the rest.
MAGIC = b"sk_colour_embed cache entry 1\n"
_DIGEST_SIZE = hashlib.sha256().digest_size
_TEMPORARY = ".tmp"
# A temporary file older than this is a dead writer's, whichever machine wrote it.
STALE_SECONDS = 24 * 3600


class DamagedEntry(ValueError):
    """A cache file that is not a whole entry: cut short, overwritten, empty, or foreign."""


def _host():
    # The machine's name, hashed: it keeps a temporary name free of dots and separators.
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def frame(payload):
    """``payload`` (bytes) as an entry: the marker, its checksum, then itself.

    >>> parse(frame(b"compiled")) == b"compiled"
    True
    """
    return MAGIC + hashlib.sha256(payload).digest() + payload


def parse(data):
    """The payload of the entry ``data``; :class:`DamagedEntry` if it is not whole.

    >>> parse(frame(b"compiled")[:-1])
    Traceback (most recent call last):
    ...
    sk_colour_embed._cache_files.DamagedEntry: the entry's checksum does not match its content
    """
    head = len(MAGIC) + _DIGEST_SIZE
    if len(data) < head or not data.startswith(MAGIC):
        raise DamagedEntry("not an entry of this cache (no marker, or cut short)")
    digest, payload = data[len(MAGIC) : head], data[head:]
    if hashlib.sha256(payload).digest() != digest:
        raise DamagedEntry("the entry's checksum does not match its content")
    return payload


def read_entry(path):
    """The payload of the entry at ``path``.

    Raises ``FileNotFoundError`` when there is none, :class:`DamagedEntry`
    when the file is not a whole entry, and other ``OSError`` when it cannot
    be read.
    """
    with open(path, "rb") as file:
        return parse(file.read())


def write_entry(path, payload, scratch=None):
    """Write ``payload`` as the entry at ``path``, whole or not at all.

    The temporary file is made in ``scratch`` (by default the entry's
    folder; on the same file system), where :func:`remove_debris` finds it
    if this process dies before the rename. The folders must exist. An
    ``OSError`` (a full disk, a folder that cannot be written) leaves no
    temporary file behind; an entry written by another process at the same
    moment is replaced by a whole one, theirs or this one.
    """
    folder, name = os.path.split(path)
    temporary = os.path.join(
        folder if scratch is None else scratch,
        f".{name}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}{_TEMPORARY}",
    )
    try:
        with open(temporary, "xb") as file:
            file.write(frame(payload))
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename makes it visible
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _dead_writer(name, now, mtime):
    """Whether the temporary file ``name``, last changed at ``mtime``, is a dead writer's."""
    if now - mtime > STALE_SECONDS:
        return True
    host, _, rest = name[: -len(_TEMPORARY)].rpartition(".")[2].partition("-")
    pid = rest.partition("-")[0]
    # Another machine's writer is left to the age limit; so is every writer on
    # Windows, where os.kill(pid, 0) would end the process instead of probing it.
    if host != _host() or not pid.isdigit() or os.name == "nt":
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def remove_debris(folder):
    """Remove the temporary files in ``folder`` of writers that died mid-write.

    A writer on this machine whose process has ended, or any writer older
    than a day. Errors are ignored: it is tidying, not the cache's work.
    """
    try:
        names = [n for n in os.listdir(folder) if n.startswith(".") and n.endswith(_TEMPORARY)]
    except OSError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(folder, name)
        try:
            if _dead_writer(name, now, os.stat(path).st_mtime):
                os.unlink(path)
        except OSError:
            pass


def remove_damaged(path):
    """Remove the damaged entry at ``path``, unless a whole one has replaced it meanwhile.

    Errors are ignored: a damaged entry left in place is read as missing
    and replaced by the next write.
    """
    try:
        read_entry(path)
    except DamagedEntry:
        try:
            os.unlink(path)
        except OSError:
            pass
    except OSError:
        pass
