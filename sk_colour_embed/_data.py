"""Colour tables: the named colours matplotlib ships, or a CSV of the tutorial."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from sklearn.utils import Bunch

from sk_colour_embed._warnings import warn_user

NAME_COLUMN = "Color Name"
RGB_COLUMN = "R;G;B Dec"
RGB_NAMES = ["r", "g", "b"]
_MAX_LINES_SHOWN = 10

_BUILTIN = {
    "xkcd": (
        mcolors.XKCD_COLORS,
        "xkcd:",
        "The 949 colours named most often in the xkcd colour survey (2010), as "
        "shipped by matplotlib (matplotlib.colors.XKCD_COLORS).",
    ),
    "css4": (
        mcolors.CSS4_COLORS,
        "",
        "The 148 named colours of CSS Color Module Level 4, as shipped by "
        "matplotlib (matplotlib.colors.CSS4_COLORS). Some names share a colour "
        "(grey and gray, for example).",
    ),
}

BUILTIN_SOURCES = tuple(_BUILTIN)

_DESCR_TEMPLATE = """Colour names and their RGB values
=================================

Source: {source}

{description}

- data: DataFrame with one column, ``name``.
- target: DataFrame with columns ``r``, ``g``, ``b``, floats in [0, 1].
- {n_rows} rows, {n_names} distinct names.
"""


class ColourFileError(ValueError):
    """A colour CSV file that cannot be read; the message names file and line."""


def _builtin_table(source):
    table, prefix, description = _BUILTIN[source]
    names = [name.removeprefix(prefix) for name in table]
    rgb = np.array([mcolors.to_rgb(value) for value in table.values()])
    return names, rgb, description


def _parse_rgb(cell, where):
    parts = cell.split(";")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != 3 or not all(0 <= value <= 255 for value in values):
        raise ColourFileError(
            f"{where}, column {RGB_COLUMN!r}: expected three integers from 0 to "
            f"255 separated by ';', found {cell!r}."
        )
    return [value / 255 for value in values]


def read_colour_csv(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read a colour CSV in the format of the tutorial's Kaggle data set.

    The header names the columns ``Color Name`` and ``R;G;B Dec`` (others,
    such as the hex codes that spreadsheet software tends to mangle, are
    ignored: ``R;G;B Dec`` is authoritative). Names may be quoted and contain
    commas. Rows with an empty name are dropped with a warning, as the
    tutorial drops them. Repeated names are kept; the estimators merge them.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    names : list of str
    rgb : ndarray of shape (n_rows, 3)
        Floats in [0, 1].

    Raises
    ------
    ColourFileError
        If the file is malformed; the message names the file, the line and,
        for a bad cell, the column.
    """
    path = Path(path)
    names, rgb, nameless_lines = [], [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = [cell.strip() for cell in next(reader, [])]
            missing = [c for c in (NAME_COLUMN, RGB_COLUMN) if c not in header]
            if missing:
                raise ColourFileError(
                    f"{path}, line 1: the header has no column "
                    f"{' or '.join(map(repr, missing))}; found {header}."
                )
            name_at, rgb_at = header.index(NAME_COLUMN), header.index(RGB_COLUMN)
            for row in reader:
                where = f"{path}, line {reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise ColourFileError(
                        f"{where}: expected {len(header)} fields as in the header, "
                        f"found {len(row)}: {row}."
                    )
                if not row[name_at].strip():
                    nameless_lines.append(reader.line_num)
                    continue
                names.append(row[name_at])
                rgb.append(_parse_rgb(row[rgb_at].strip(), where))
    except UnicodeDecodeError as error:
        raise ColourFileError(f"{path}: not a UTF-8 text file ({error}).") from None
    except csv.Error as error:
        raise ColourFileError(f"{path}, line {reader.line_num}: {error}.") from None
    if nameless_lines:
        shown = ", ".join(map(str, nameless_lines[:_MAX_LINES_SHOWN]))
        more = ", ..." if len(nameless_lines) > _MAX_LINES_SHOWN else ""
        warn_user(
            f"{path}: dropped {len(nameless_lines)} row(s) with an empty "
            f"{NAME_COLUMN!r}, on line(s) {shown}{more}."
        )
    if not names:
        raise ColourFileError(f"{path}: no colour rows after the header.")
    return names, np.array(rgb)


def load_colours(
    source: str | os.PathLike = "xkcd", *, return_X_y: bool = False
) -> Bunch | tuple[pd.DataFrame, pd.DataFrame]:
    """Load a table of colour names and their RGB values.

    Parameters
    ----------
    source : {"xkcd", "css4"} or path-like, default="xkcd"
        ``"xkcd"``: the 949 xkcd survey colours that matplotlib ships (names
        without the ``xkcd:`` prefix); ``"css4"``: the 148 CSS colours; or the
        path of a CSV file in the format of the tutorial's Kaggle data set
        (see :func:`read_colour_csv`).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (DataFrame, column ``name``), ``target`` (DataFrame, columns
        ``r``, ``g``, ``b`` in [0, 1]), ``frame`` (both side by side),
        ``feature_names``, ``target_names`` and ``DESCR``.
    (data, target) : tuple of two DataFrames
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from sk_colour_embed import load_colours
    >>> colours = load_colours()
    >>> colours.frame.shape
    (949, 4)
    >>> colours.data.loc[0, "name"], colours.target.loc[0].round(3).tolist()
    ('cloudy blue', [0.675, 0.761, 0.851])
    """
    if isinstance(source, str) and source in _BUILTIN:
        names, rgb, description = _builtin_table(source)
    elif isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():
            raise FileNotFoundError(
                f"source={str(source)!r} is neither one of {sorted(_BUILTIN)} nor "
                "the path of an existing file."
            )
        names, rgb = read_colour_csv(source)
        description = f"Read from {source}."
    else:
        raise TypeError(f"source must be one of {sorted(_BUILTIN)} or a path, got {source!r}.")
    data = pd.DataFrame({"name": pd.Series(names, dtype=object)})
    target = pd.DataFrame(rgb, columns=RGB_NAMES)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=pd.concat([data, target], axis=1),
        feature_names=["name"],
        target_names=RGB_NAMES,
        DESCR=_DESCR_TEMPLATE.format(
            source=source,
            description=description,
            n_rows=len(data),
            n_names=data["name"].nunique(),
        ),
    )
