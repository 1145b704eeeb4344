"""Files for TensorBoard's Embedding Projector: vectors, names, colour swatches, config.

The projector reads a folder holding ``projector_config.pbtxt`` (the text
form of its ``ProjectorConfig`` message), which points at a TSV of vectors,
a TSV of metadata and, optionally, a sprite: one PNG holding a thumbnail per
point. Its readers set the format rules kept here:

- ``vectors.tsv`` holds numbers only: a row whose first field is not a number
  is read as a label followed by a vector.
- ``metadata.tsv`` has a header row exactly when its first line holds a tab,
  so one column has no header and several columns must have one; a field
  cannot hold a tab or a line break, and a blank line is skipped (shifting
  every row after it).
- The sprite is a grid of ``single_image_dim`` thumbnails, row-major, as many
  per row as fit in its width, at most 8192 x 8192 pixels.
"""

import re
from numbers import Integral
from pathlib import Path

import numpy as np

from sk_colour_embed._items import describe_keys
from sk_colour_embed._outputs import Outputs
from sk_colour_embed._vectors import ItemVectors
from sk_colour_embed._warnings import warn_user

VECTORS, METADATA, SPRITE, CONFIG = (
    "vectors.tsv",
    "metadata.tsv",
    "sprite.png",
    "projector_config.pbtxt",
)
# The projector refuses a larger sprite image (vz_projector's MAX_SPRITE_IMAGE_SIZE_PX).
MAX_SPRITE_PIXELS = 8192
# Characters that end a TSV field or line for the projector's readers (JavaScript splits
# on tab and newline; Python's text files also end lines at the others).
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _item_vectors(vectors):
    """The ``ItemVectors`` of ``vectors``: itself, or a fitted embedder's ``vectors_``."""
    if isinstance(vectors, ItemVectors):
        return vectors
    if hasattr(vectors, "fit") and hasattr(vectors, "get_params"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(vectors, "vectors_")
        return vectors.vectors_
    raise TypeError(
        "vectors must be an ItemVectors or a fitted PairSimilarityEmbedder; got "
        f"{type(vectors).__name__}."
    )


def _check_colours(colours, n_items):
    rgb = np.asarray(colours, dtype=np.float64)
    if rgb.shape != (n_items, 3):
        raise ValueError(
            f"colours must hold r, g, b for each of the {n_items} items, in the order of "
            f"the vectors' keys, with shape ({n_items}, 3); got shape {rgb.shape}."
        )
    outside = np.flatnonzero(~((rgb >= 0) & (rgb <= 1)).all(axis=1))
    if len(outside):
        raise ValueError(
            f"colours must hold r, g, b in [0, 1]; row {outside[0]} holds "
            f"{rgb[outside[0]].tolist()}, and {len(outside)} row(s) in all are outside."
        )
    return rgb


def _sprite_grid(n_items, swatch_size):
    """Columns and rows of a square-ish grid of ``n_items`` swatches; checks the size limit."""
    if not isinstance(swatch_size, Integral) or isinstance(swatch_size, bool) or swatch_size < 1:
        raise ValueError(f"swatch_size must be a positive integer, got {swatch_size!r}.")
    n_columns = int(np.ceil(np.sqrt(n_items)))
    n_rows = int(np.ceil(n_items / n_columns))
    width, height = n_columns * swatch_size, n_rows * swatch_size
    if max(width, height) > MAX_SPRITE_PIXELS:
        largest = MAX_SPRITE_PIXELS // n_columns
        way_out = f"use swatch_size={largest} or less, or " if largest >= 1 else "fewer items, or "
        raise ValueError(
            f"a sprite of {n_items} swatches of {swatch_size}x{swatch_size} pixels would be "
            f"{width}x{height} pixels, above the Embedding Projector's limit of "
            f"{MAX_SPRITE_PIXELS}x{MAX_SPRITE_PIXELS}: {way_out}colours=None for no sprite."
        )
    return n_columns, n_rows


def _safe_field(value):
    """``value`` as a TSV field: breaks become spaces, a blank field its repr."""
    text = _BREAKS.sub(" ", str(value))
    return text if text.strip() else repr(str(value))


def _label_columns(keys):
    """Header names and per-row text of the key columns, made safe for the TSV."""
    if keys.nlevels == 1:
        names = [keys.name if keys.name is not None else "name"]
        columns = [list(keys)]
    else:
        names = [name if name is not None else f"key{i}" for i, name in enumerate(keys.names)]
        columns = [list(keys.get_level_values(i)) for i in range(keys.nlevels)]
    safe = [[_safe_field(value) for value in column] for column in columns]
    changed = [
        i
        for i in range(len(keys))
        if any(str(column[i]) != field[i] for column, field in zip(columns, safe, strict=True))
    ]
    if changed:
        warn_user(
            f"{len(changed)} key(s) hold a tab or line break, or are blank, which the "
            "projector's metadata.tsv cannot hold; they are written with spaces for the "
            f"breaks and blank ones as their repr: {describe_keys(keys[changed])}."
        )
    return [_safe_field(name) for name in names], safe


def _hex(rgb8):
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb8.tolist()]


def _write_sprite(path, rgb8, n_columns, n_rows, swatch_size):
    from PIL import Image

    cells = np.full((n_rows * n_columns, 3), 255, dtype=np.uint8)  # white past the last item
    cells[: len(rgb8)] = rgb8
    grid = cells.reshape(n_rows, n_columns, 3)
    pixels = np.repeat(np.repeat(grid, swatch_size, axis=0), swatch_size, axis=1)
    Image.fromarray(pixels, "RGB").save(path, format="PNG")


def _config_lines(shape, sprite_size):
    lines = [
        "embeddings {",
        f'  tensor_path: "{VECTORS}"',
        f"  tensor_shape: {shape[0]}",
        f"  tensor_shape: {shape[1]}",
        f'  metadata_path: "{METADATA}"',
    ]
    if sprite_size is not None:
        lines += [
            "  sprite {",
            f'    image_path: "{SPRITE}"',
            f"    single_image_dim: {sprite_size}",
            f"    single_image_dim: {sprite_size}",
            "  }",
        ]
    return [*lines, "}"]


def _write_text(path, lines):
    # newline="\n": the same bytes on every platform, as the projector expects.
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.writelines(line + "\n" for line in lines)


class ProjectorFiles:
    """The projector's files for ``vectors``, checked and ready to write.

    Everything is checked (and the warnings given) here, so that nothing is
    written for input that cannot be; :meth:`write` puts the files in an
    ``Outputs`` folder, uncommitted.
    """

    def __init__(self, vectors, colours=None, swatch_size=16):
        vectors = _item_vectors(vectors)
        if vectors.n_components < 2:
            raise ValueError(
                "the Embedding Projector needs vectors of at least 2 components (its TSV "
                f"reader refuses one-value rows); these have {vectors.n_components}."
            )
        matrix = vectors.vectors
        rgb = None if colours is None else _check_colours(colours, len(vectors))
        known = np.isfinite(matrix).all(axis=1)
        if not known.any():
            raise ValueError("none of the items has a vector, so there is nothing to project.")
        if not known.all():
            warn_user(
                f"the projector files leave out {np.sum(~known)} item(s) that have no vector "
                "(names with no token the vectorizer keeps): "
                f"{describe_keys(vectors.keys[~known])}."
            )
        self.matrix = matrix[known]
        self.grid = None if rgb is None else _sprite_grid(len(self.matrix), swatch_size)
        self.swatch_size = swatch_size
        header, columns = _label_columns(vectors.keys[known])
        if rgb is not None:
            self.rgb8 = np.round(rgb[known] * 255).astype(np.uint8)
            header, columns = [*header, "colour"], [*columns, _hex(self.rgb8)]
        rows = ["\t".join(fields) for fields in zip(*columns, strict=True)]
        # One column has no header row; several must have one (the projector's rule).
        self.metadata = rows if len(columns) == 1 else ["\t".join(header), *rows]

    def write(self, outputs):
        """Write the files to temporary names of ``outputs``; return their names."""
        with outputs.file(METADATA) as path:
            _write_text(path, self.metadata)
        with outputs.file(VECTORS) as path:
            np.savetxt(path, self.matrix, fmt="%.9g", delimiter="\t", newline="\n")
        if self.grid is not None:
            with outputs.file(SPRITE) as path:
                _write_sprite(path, self.rgb8, *self.grid, self.swatch_size)
        sprite_size = None if self.grid is None else self.swatch_size
        with outputs.file(CONFIG) as path:
            _write_text(path, _config_lines(self.matrix.shape, sprite_size))
        return [METADATA, VECTORS, *([SPRITE] if self.grid is not None else []), CONFIG]


def write_projector(vectors, directory, colours=None, *, swatch_size=16):
    """Write the files of TensorBoard's Embedding Projector for the training items.

    Writes, in ``directory``: ``vectors.tsv`` (one row of tab-separated
    numbers per item, no header), ``metadata.tsv`` (the item names, and with
    ``colours`` a header row and a ``colour`` column of ``#rrggbb``),
    ``sprite.png`` (with ``colours``: a square swatch per item, in the rows'
    order) and ``projector_config.pbtxt``, which points at them. Open them
    with ``tensorboard --logdir directory`` (``pip install tensorboard``),
    Projector tab. The files appear whole or not at all: each is written to a
    temporary file and all are renamed into place together.

    Parameters
    ----------
    vectors : ItemVectors or PairSimilarityEmbedder
        The vectors, or a fitted embedder (its ``vectors_``).
    directory : str or path-like
        The folder for the files, made if needed. Files of the same names are
        replaced.
    colours : array-like of shape (n_items, 3) or None, default=None
        r, g, b in [0, 1] of each item, in the order of the vectors' keys
        (for a fitted embedder: ``embedder.items_.descriptors``).
        None writes names alone (one column, no header) and no sprite.
    swatch_size : int, default=16
        Width and height in pixels of each item's swatch in the sprite. The
        sprite, a square grid, must fit in 8192 x 8192 pixels: at 16 pixels,
        up to 262,144 items.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.

    Warns
    -----
    UserWarning
        When items without a vector (in token mode, training names with no
        token the vectorizer keeps) are left out of all the files, or when
        keys hold tabs or line breaks (written as spaces) or are blank
        (written as their repr), which a TSV field cannot hold.

    Raises
    ------
    OSError
        When a file cannot be written (a full disk, a folder that cannot be
        written): its ``filename`` is the file meant in ``directory``, not
        the temporary one, and the folder keeps the files it had.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from sk_colour_embed import ItemVectors, write_projector
    >>> vectors = ItemVectors(
    ...     pd.Index(["red", "navy"]), np.array([[0.0, 1.0], [2.0, 0.5]]),
    ...     distance_scale=1.0, similarity_bias=0.0,
    ... )
    >>> folder = tempfile.mkdtemp()
    >>> [path.name for path in write_projector(vectors, folder, colours=[[1, 0, 0], [0, 0, 0.5]])]
    ['metadata.tsv', 'vectors.tsv', 'sprite.png', 'projector_config.pbtxt']
    >>> print(open(f"{folder}/metadata.tsv").read(), end="")
    name colour
    red #ff0000
    navy #000080
    """
    files = ProjectorFiles(vectors, colours, swatch_size)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"directory {str(directory)!r} is a file, not a folder.")
    directory.mkdir(parents=True, exist_ok=True)
    outputs = Outputs(directory)
    try:
        files.write(outputs)
        written = outputs.commit()
    finally:
        outputs.discard()
    return [directory / name for name in written]
