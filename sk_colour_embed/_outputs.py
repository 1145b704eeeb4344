"""Files that appear whole or not at all: written to temporary names, renamed together."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _naming(error, path):
    """``error`` raised again for ``path``: the file meant, not a temporary name.

    The class follows the error number as ``OSError`` chooses it
    (``PermissionError`` for EACCES), so callers catch what they would have.
    """
    if error.errno is None:
        return type(error)(f"{path}: {error}")
    return OSError(error.errno, error.strerror, str(path))


class Outputs:
    """Files written to temporary names in one folder, renamed into place together.

    Write each file in a ``with outputs.file(name) as path:`` block, then
    call :meth:`commit` once every file is written; :meth:`discard` (in a
    ``finally``) removes whatever was not committed, so that a failure leaves
    the folder as it was. An ``OSError`` (a full disk, a folder that cannot
    be written) names the file it was writing; after any failure, including
    ``MemoryError`` and ``KeyboardInterrupt``, :attr:`failed_at` names it.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.pending = {}
        self.failed_at = None

    @contextmanager
    def file(self, name):
        """Give a temporary path in the folder where the file ``name`` is to be written."""
        self.failed_at = self.folder / name
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{name}.", suffix=Path(name).suffix, dir=self.folder
            )
            os.close(handle)
            self.pending[name] = Path(temporary)
            yield self.pending[name]
        except OSError as error:
            raise _naming(error, self.failed_at) from error
        self.failed_at = None

    def commit(self):
        """Rename every pending file into place; return their names."""
        umask = os.umask(0)
        os.umask(umask)
        for name, temporary in self.pending.items():
            self.failed_at = self.folder / name
            try:
                os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
                os.replace(temporary, self.failed_at)
            except OSError as error:
                raise _naming(error, self.failed_at) from error
        self.failed_at = None
        written, self.pending = list(self.pending), {}
        return written

    def discard(self):
        """Remove the pending files (nothing once committed)."""
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending = {}
