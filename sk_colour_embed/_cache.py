"""One bounded cache: the least recently used value leaves first, and threads may share it.

The engine keeps its idle compiled trainers in one (``_engine.settings.TRAINERS``),
the fit cache its fitted estimators (``_reference.FITS``).
"""

import threading
from collections import OrderedDict


class BoundedCache:
    """At most ``max_items`` values by key, the least recently used leaving first.

    Examples
    --------
    >>> cache = BoundedCache(max_items=2)
    >>> cache.put("a", 1); cache.put("b", 2); cache.get("a")
    1
    >>> cache.put("c", 3)  # "b" was used least recently
    >>> cache.get("b") is None, cache.take("a"), cache.get("a") is None
    (True, 1, True)
    """

    def __init__(self, max_items):
        self.max_items = max_items
        self._values = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value of ``key``, now the most recently used, or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def take(self, key):
        """The value of ``key``, no longer kept (lent to one user at a time), or None."""
        with self._lock:
            return self._values.pop(key, None)

    def put(self, key, value):
        """Keep ``value`` under ``key``; the least recently used beyond the bound leave."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.max_items:
                self._values.popitem(last=False)

    def values(self):
        """The values kept, the least recently used first."""
        with self._lock:
            return list(self._values.values())

    def clear(self):
        with self._lock:
            self._values.clear()

    def __len__(self):
        return len(self._values)
