"""Files that appear whole or not at all: written to temporary names, renamed together."""

import os
import tempfile
from pathlib import Path


class Outputs:
    """Files written to temporary names in one folder, renamed into place together.

    Use :meth:`path` to get where to write each file, then :meth:`commit`
    once every file is written; :meth:`discard` (in a ``finally``) removes
    whatever was not committed, so that a failure leaves the folder as it was.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.pending = {}

    def path(self, name):
        """A temporary path in the folder for the file ``name``."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{name}.", suffix=Path(name).suffix, dir=self.folder
        )
        os.close(handle)
        self.pending[name] = Path(temporary)
        return self.pending[name]

    def commit(self):
        """Rename every pending file into place; return their names."""
        umask = os.umask(0)
        os.umask(umask)
        for name, temporary in self.pending.items():
            os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
            os.replace(temporary, self.folder / name)
        written, self.pending = list(self.pending), {}
        return written

    def discard(self):
        """Remove the pending files (nothing once committed)."""
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending = {}
