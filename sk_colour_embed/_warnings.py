"""Warnings that point at the user's line, not at this package's internals."""

import sys
import threading
import warnings
from pathlib import Path

import joblib
import sklearn

# scikit-learn calls fit through joblib too (a Pipeline's steps).
_INTERNAL = tuple(str(Path(path).parent) for path in (__file__, sklearn.__file__, joblib.__file__))

# The (category, message, file, line) of the warnings given once.
_SHOWN_ONCE = set()
_LOCK = threading.Lock()


def warn_user(message: str, category: type[Warning] = UserWarning, once: object = False) -> None:
    """Warn at the first caller outside sk_colour_embed, scikit-learn and joblib.

    A warning raised while fitting passes through scikit-learn's wrappers and
    this package's estimators; a fixed ``stacklevel`` would name one of them.

    With ``once``, the same warning at the same line of the user's is given
    once per process, as Python's default filter means to: scikit-learn runs
    each split of a search under ``warnings.catch_warnings``, which resets
    Python's own record, so a search would repeat it for every split. A
    ``once`` other than True stands for the message in that record: warnings
    that differ only in counts, as the splits of a search do, are one.
    """
    frame, stacklevel = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, stacklevel = frame.f_back, stacklevel + 1
    if once:
        key = (
            category,
            message if once is True else once,
            frame.f_code.co_filename,
            frame.f_lineno,
        )
        with _LOCK:
            if key in _SHOWN_ONCE:
                return
            _SHOWN_ONCE.add(key)
    warnings.warn(message, category, stacklevel=stacklevel)


class UninformativePairsWarning(UserWarning):
    """The labelled pairs say too little about which items are alike to learn vectors from.

    Raised when the share of similar pairs between different items is so small
    or so large that the fitted vectors keep almost nothing of the items'
    similarity (see ``benchmarks/results.md`` for the measured bounds).
    """
