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


def _scale_to_read(values, rows):
    """Whether the ``rows`` of ``values`` are read as 0 to 255, when bad rows are skipped.

    The scale that reads more of them; on a tie (and so when every row is
    readable both ways), the rule without skipping: 0 to 255 if any value is above 1.
    """
    values = values[rows]
    in_0_1 = (values <= 1).all(axis=1).sum()
    in_0_255 = ((values <= 255) & (values == np.round(values))).all(axis=1).sum()
    return bool(in_0_255 > in_0_1 or (in_0_255 == in_0_1 and (values > 1).any()))


def _scaled_channels(values, cells, located, path, bad=None):
    """``values`` (r, g, b of each colour) in [0, 1]: kept, or read as 0 to 255.

    A file with any value above 1 holds integers from 0 to 255, each divided
    by 255. With ``bad`` (a dict of the rows to skip, by row: why), the
    rows that the scale cannot read are added to it instead; the scale is the
    one that reads more of the rows not yet in it (see :func:`_scale_to_read`).
    """
    if bad is not None:
        rows = np.setdiff1d(np.arange(len(values)), list(bad))
        as_255 = len(rows) and _scale_to_read(values, rows)
        wrong = (values > 255) | (values != np.round(values)) if as_255 else values > 1
        kind = "integers from 0 to 255" if as_255 else "numbers from 0 to 1"
        for row, channel in np.argwhere(wrong):
            if row not in bad:
                bad[row] = (
                    f"{located[row][channel]}: found {cells[row][channel]!r}, but the file is "
                    f"read as {kind} (the scale that reads more of its rows)."
                )
        return values / 255 if as_255 else values
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


def _converted(convert, cells, located, bad):
    """r, g, b of each row by ``convert(cells, located)``; a row it refuses raises, or goes
    to ``bad`` (a dict, row: why) as NaN."""
    converted = []
    for row, (row_cells, where) in enumerate(zip(cells, located, strict=True)):
        try:
            converted.append(convert(row_cells, where))
        except ColourFileError as error:
            if bad is None:
                raise
            bad[row] = str(error)
            converted.append([math.nan] * 3)
    return np.array(converted, dtype=float).reshape(len(cells), 3)


def _lines_shown(lines):
    """The first of ``lines`` (line numbers) as text, "..." standing for the others."""
    more = ", ..." if len(lines) > _MAX_LINES_SHOWN else ""
    return ", ".join(map(str, lines[:_MAX_LINES_SHOWN])) + more


def _report_skipped(path, skipped):
    """Warn in one line how many rows were skipped, on which lines first, and why the first."""
    from sk_colour_embed._warnings import warn_user

    lines = sorted(skipped)
    first = skipped[lines[0]].removeprefix(f"{path}, ")
    warn_user(
        f"{path}: skipped {len(lines)} bad row(s), on line(s) {_lines_shown(lines)}; "
        f"the first, {first}"
    )


def _read_table(path, skip_bad_rows):
    """The names and r, g, b of a colour CSV, and the rows skipped: {line: why}."""
    path = Path(path)
    names, cells, lines, nameless_lines = [], [], [], []
    skipped = {}  # line: why, of the bad rows skipped

    def refuse(error):
        if not skip_bad_rows:
            raise error
        skipped[reader.line_num] = str(error)

    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = next(reader, [])
            kind, (name_at, *value_at) = _format_of(header, path)
            value_columns = [header[at].strip() for at in value_at]
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:  # the reader goes on at the next line
                    refuse(ColourFileError(f"{path}, line {reader.line_num}: {error}."))
                    continue
                where = f"{path}, line {reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    refuse(
                        ColourFileError(
                            f"{where}: expected {len(header)} fields as in the header, "
                            f"found {len(row)}: {row}."
                        )
                    )
                    continue
                if not row[name_at].strip():
                    nameless_lines.append(reader.line_num)
                    continue
                names.append(row[name_at])
                cells.append([row[at].strip() for at in value_at])
                lines.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise ColourFileError(f"{path}: not a UTF-8 text file ({error}).") from None
    if nameless_lines:
        from sk_colour_embed._warnings import warn_user

        warn_user(
            f"{path}: dropped {len(nameless_lines)} row(s) with an empty "
            f"{header[name_at].strip()!r}, on line(s) {_lines_shown(nameless_lines)}."
        )
    located = [
        [f"{path}, line {line}, column {column!r}" for column in value_columns] for line in lines
    ]
    bad = {} if skip_bad_rows else None  # row (of the rows read): why
    if kind == "rgb":
        values = _converted(lambda *row: list(map(_channel, *row)), cells, located, bad)
        rgb = _scaled_channels(values, cells, located, path, bad)
    else:
        convert = _kaggle_rgb if kind == "kaggle" else _hex_rgb
        rgb = _converted(lambda cells, where: convert(cells[0], where[0]), cells, located, bad)
    if bad:
        skipped.update({lines[row]: why for row, why in bad.items()})
        kept = np.setdiff1d(np.arange(len(names)), list(bad))
        names, rgb = [names[row] for row in kept], rgb[kept]
    if skipped:
        _report_skipped(path, skipped)
    if not names:
        more = f" ({len(skipped)} bad row(s) skipped)" if skipped else ""
        raise ColourFileError(f"{path}: no colour rows after the header{more}.")
    return names, rgb, sorted(skipped)


def read_colour_csv(
    path: str | os.PathLike, *, skip_bad_rows: bool = False
) -> tuple[list[str], np.ndarray]:
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
    skip_bad_rows : bool, default=False
        Skip the rows that cannot be read (a wrong number of fields, a value
        that is not a colour) instead of raising, and warn once, in one line,
        with how many were skipped, the first of their lines and why the
        first was. In a ``name,r,g,b`` file the scale is then the one that
        reads more of the rows (on a tie, 0 to 255 if any value is above 1),
        and the rows it cannot read are skipped: one row of 0 to 255 in a
        file of 0 to 1 is skipped, not the others.

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
        columns above is an error that names them, with ``skip_bad_rows`` too,
        and so is a file with no row left to read.

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
    >>> _ = path.write_text("name,hex\\ncoral,#ff7f50\\nnavy,#00008\\n")
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     names, rgb = read_colour_csv(path, skip_bad_rows=True)
    >>> names
    ['coral']
    >>> print(str(caught[0].message).removeprefix(f"{path}: "))
    skipped 1 bad row(s), on line(s) 3; the first, line 3, column 'hex': expected a colour
    as #rrggbb (or rrggbb, #rgb, rgb) in hexadecimal digits, found '#00008'.
    """
    names, rgb, _ = _read_table(path, skip_bad_rows)
    return names, rgb


def load_colours(
    source: str | os.PathLike = "xkcd", *, return_X_y: bool = False, skip_bad_rows: bool = False
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
    skip_bad_rows : bool, default=False
        For a CSV file, skip the rows that cannot be read, with a warning,
        instead of raising (see :func:`read_colour_csv`).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (DataFrame, column ``name``), ``target`` (DataFrame, columns
        ``r``, ``g``, ``b`` in [0, 1]), ``frame`` (both side by side),
        ``feature_names``, ``target_names``, ``skipped_lines`` (the line
        numbers of the rows of a CSV file skipped with ``skip_bad_rows``,
        in order; empty otherwise) and ``DESCR``.
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
        skipped_lines = []
    elif isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():
            raise FileNotFoundError(
                f"source={str(source)!r} is neither one of {sorted(_BUILTIN)} nor "
                "the path of an existing file."
            )
        names, rgb, skipped_lines = _read_table(source, skip_bad_rows)
        description = f"Read from {source}."
        if skipped_lines:
            description += f" {len(skipped_lines)} bad row(s) skipped."
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
        skipped_lines=skipped_lines,
        DESCR=_DESCR_TEMPLATE.format(
            source=source,
            description=description,
            n_rows=len(data),
            n_names=data["name"].nunique(),
        ),
    )
