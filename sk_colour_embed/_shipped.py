"""Fits that ship with the package: the recommended colour embedders, fitted.

``scripts/make_shipped_fits.py`` makes them, in ``sk_colour_embed/fits/``,
each named by the fit cache's key of the estimator and its reference (see
``_reference``), with a manifest of their SHA-256. They are files of
``_state_files``: loading one makes no object of a class outside the
package, scikit-learn and NumPy, and runs no pickle. The fit cache asks here
before it trains: a fit of exactly those settings on exactly that table is a
load, without TensorFlow; any other fit trains. A file that is missing,
damaged or holds a type the package does not trust is passed over, with one
warning, and the fit trains: a shipped fit never costs a fit.
"""

import functools
import hashlib
import json
import os
from pathlib import Path

from sk_colour_embed._state_files import loads
from sk_colour_embed._warnings import warn_user

FOLDER = Path(__file__).with_name("fits")
MANIFEST = FOLDER / "manifest.json"
# Set to "off" to train even the fits that ship (the script that makes them does).
SHIPPED_OFF = "SK_COLOUR_EMBED_SHIPPED_FITS"


@functools.cache
def _manifest():
    return json.loads(MANIFEST.read_text())["fits"]


def shipped_fit(key):
    """The fitted estimator shipped under the fit cache's ``key``, or None.

    None too when ``SK_COLOUR_EMBED_SHIPPED_FITS=off``.
    """
    if os.environ.get(SHIPPED_OFF, "").strip().lower() == "off":
        return None
    path = FOLDER / f"{key}.fit"
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != _manifest()[path.name]["sha256"]:
            raise ValueError("its SHA-256 is not the one the package's manifest records")
        return loads(data)
    except Exception as error:  # whatever is wrong with the file, the fit trains instead
        warn_user(
            f"the fit shipped in {path} cannot be loaded ({type(error).__name__}: {error}), "
            f"so it is trained instead. Reinstall sk_colour_embed, or set {SHIPPED_OFF}=off.",
            RuntimeWarning,
            once=True,
        )
        return None
