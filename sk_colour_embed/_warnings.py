"""Warnings that point at the user's line, not at this package's internals."""

import sys
import warnings
from pathlib import Path

import sklearn

_INTERNAL = (str(Path(__file__).parent), str(Path(sklearn.__file__).parent))


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the first caller outside sk_colour_embed and scikit-learn.

    A warning raised while fitting passes through scikit-learn's wrappers and
    this package's estimators; a fixed ``stacklevel`` would name one of them.
    """
    frame, stacklevel = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)
