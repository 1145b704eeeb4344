"""Colour tables: the named colours matplotlib ships, or a CSV of colour names.

Only NumPy is imported with this module: the command checks ``--source``
against ``BUILTIN_SOURCES`` before it imports anything heavy, so pandas,
matplotlib and scikit-learn are imported when a table is read.
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.utils import Bunch

NAME_COLUMN = "Color Name"
RGB_COLUMN = "R;G;B Dec"
RGB_NAMES = ["r", "g", "b"]
# The columns of each CSV format read, in the order tried: the first format whose
# columns are all in the header is read (so r, g, b win over hex in a file with both).
# The first column holds the names. Matched without regard to case or surrounding spaces.
CSV_FORMATS = {
    "kaggle": (NAME_COLUMN, RGB_COLUMN),
    "rgb": ("name", *RGB_NAMES),
    "hex": ("name", "hex"),
}
_MAX_LINES_SHOWN = 10
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")

# Each source: the matplotlib.colors table, the prefix of its names, a description.
_BUILTIN = {
    "xkcd": (
        "XKCD_COLORS",
        "xkcd:",
        "The 949 colours named most often in the xkcd colour survey (2010), as "
        "shipped by matplotlib (matplotlib.colors.XKCD_COLORS).",
    ),
    "css4": (
        "CSS4_COLORS",
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
    from matplotlib import colors as mcolors

    table_name, prefix, description = _BUILTIN[source]
    table = getattr(mcolors, table_name)
    names = [name.removeprefix(prefix) for name in table]
    rgb = np.array([mcolors.to_rgb(value) for value in table.values()])
    return names, rgb, description


def _format_of(header, path):
    """The format whose columns the header holds, and where they are in it."""
    folded = [cell.strip().casefold() for cell in header]
    for name, columns in CSV_FORMATS.items():
        if all(column.casefold() in folded for column in columns):
            return name, [folded.index(column.casefold()) for column in columns]
    looked_for = ", or ".join(
        f"{', '.join(map(repr, columns[:-1]))} and {columns[-1]!r}"
        for columns in CSV_FORMATS.values()
    )
    raise ColourFileError(
        f"{path}, line 1: the header names none of the sets of columns read; it looks for "
        f"{looked_for}, and found {header}."
    )


def _kaggle_rgb(cell, where):
    parts = cell.split(";")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != 3 or not all(0 <= value <= 255 for value in values):
        raise ColourFileError(
            f"{where}: expected three integers from 0 to 255 separated by ';', found {cell!r}."
        )
    return [value / 255 for value in values]


def _hex_rgb(cell, where):
    match = _HEX.fullmatch(cell)
    if match is None:
        raise ColourFileError(
            f"{where}: expected a colour as #rrggbb (or rrggbb, #rgb, rgb) "
            f"in hexadecimal digits, found {cell!r}."
        )
    digits = match.group(1)
    if len(digits) == 3:  # #rgb is #rrggbb, as in CSS
        digits = "".join(digit * 2 for digit in digits)
    return [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]


def _channel(cell, where):
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ColourFileError(
            f"{where}: expected a number from 0 to 1, or an integer from 0 to 255, found {cell!r}."
        )
    return value


def _scaled_channels(values, cells, located, path):
    """``values`` (r, g, b of each colour) in [0, 1]: kept, or read as 0 to 255.

    A file with any value above 1 holds integers from 0 to 255, each divided by 255.
    """
    above = np.argwhere(values > 1)
    if not len(above):
        return values
    row, channel = above[0]
    first = f"{located[row][channel].removeprefix(f'{path}, ')} ({cells[row][channel]!r})"
    wrong = np.argwhere((values > 255) | (values != np.round(values)))
    if len(wrong):
        row, channel = wrong[0]
        raise ColourFileError(
            f"{located[row][channel]}: found {cells[row][channel]!r}, but r, g, b must be "
            f"integers from 0 to 255 here: the file holds a value above 1, first at {first}, "
            "so it is read as 0 to 255 (in a file read as 0 to 1, every value is from 0 to 1)."
        )
    return values / 255


def read_colour_csv(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read a CSV of colour names and their RGB values.

    The first line is a header; the first of these sets of columns that it
    names is read (case and spaces around a name do not matter; other
    columns are ignored):

    - ``Color Name`` and ``R;G;B Dec``, the tutorial's Kaggle data set:
      three integers from 0 to 255 separated by ``;``, as ``255;127;80``.
      ``R;G;B Dec`` is authoritative: the hex codes that spreadsheet
      software tends to mangle are ignored.
    - ``name``, ``r``, ``g`` and ``b``: numbers from 0 to 1, or integers
      from 0 to 255. A file with any value above 1 is read as 0 to 255 (each
      value divided by 255), and all its values must then be integers up to
      255; so a file whose values are all 0 or 1 is read as 0 to 1.
    - ``name`` and ``hex``: ``#rrggbb``, ``rrggbb``, ``#rgb`` or ``rgb``.

    Names may be quoted and contain commas. Rows with an empty name are
    dropped with a warning, as the tutorial drops them. Repeated names are
    kept; the estimators merge them.

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
        for a bad cell, the column. A header without any of the sets of
        columns above is an error that names them.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sk_colour_embed import read_colour_csv
    >>> path = Path(tempfile.mkdtemp()) / "colours.csv"
    >>> _ = path.write_text("name,r,g,b\\ncoral,255,127,80\\nnavy,0,0,128\\n")
    >>> names, rgb = read_colour_csv(path)
    >>> names, rgb.round(3).tolist()
    (['coral', 'navy'], [[1.0, 0.498, 0.314], [0.0, 0.0, 0.502]])
    """
    path = Path(path)
    names, cells, lines, nameless_lines = [], [], [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = next(reader, [])
            kind, (name_at, *value_at) = _format_of(header, path)
            value_columns = [header[at].strip() for at in value_at]
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
                cells.append([row[at].strip() for at in value_at])
                lines.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise ColourFileError(f"{path}: not a UTF-8 text file ({error}).") from None
    except csv.Error as error:
        raise ColourFileError(f"{path}, line {reader.line_num}: {error}.") from None
    if nameless_lines:
        from sk_colour_embed._warnings import warn_user

        shown = ", ".join(map(str, nameless_lines[:_MAX_LINES_SHOWN]))
        more = ", ..." if len(nameless_lines) > _MAX_LINES_SHOWN else ""
        warn_user(
            f"{path}: dropped {len(nameless_lines)} row(s) with an empty "
            f"{header[name_at].strip()!r}, on line(s) {shown}{more}."
        )
    if not names:
        raise ColourFileError(f"{path}: no colour rows after the header.")
    located = [
        [f"{path}, line {line}, column {column!r}" for column in value_columns] for line in lines
    ]
    if kind == "rgb":
        values = np.array(
            [list(map(_channel, row, at)) for row, at in zip(cells, located, strict=True)]
        )
        rgb = _scaled_channels(values, cells, located, path)
    else:
        convert = _kaggle_rgb if kind == "kaggle" else _hex_rgb
        rgb = np.array([convert(row[0], at[0]) for row, at in zip(cells, located, strict=True)])
    return names, rgb


def load_colours(
    source: str | os.PathLike = "xkcd", *, return_X_y: bool = False
) -> Bunch | tuple[pd.DataFrame, pd.DataFrame]:
    """Load a table of colour names and their RGB values.

    Parameters
    ----------
    source : {"xkcd", "css4"} or path-like, default="xkcd"
        ``"xkcd"``: the 949 xkcd survey colours that matplotlib ships (names
        without the ``xkcd:`` prefix); ``"css4"``: the 148 CSS colours; or the
        path of a CSV file of names and colours: the tutorial's Kaggle data
        set, ``name,r,g,b`` (0 to 1 or 0 to 255) or ``name,hex`` (see
        :func:`read_colour_csv`).
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
    import pandas as pd
    from sklearn.utils import Bunch

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
