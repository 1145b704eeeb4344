"""Pictures of an embedding: scatter plots, the training animation, grid searches.

Every function draws with matplotlib and works headless (the Agg backend).
"""

from __future__ import annotations

import math
import os
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from sk_colour_embed._items import keys_of

_POINT_SIZE = 12
# A thin translucent dark ring: near-white points show on the white
# background, and dark points still show their fill.
_POINT_STYLE = {"s": _POINT_SIZE, "edgecolors": (0.0, 0.0, 0.0, 0.5), "linewidths": 0.5}
# Labels sit just above their point, over every point (zorder), in a white halo that
# keeps them readable on dark and light points alike.
_LABEL_STYLE = {
    "fontsize": 8,
    "ha": "center",
    "va": "bottom",
    "zorder": 5,
    "path_effects": [patheffects.withStroke(linewidth=2.5, foreground="white")],
}
_LABEL_RAISE = 3  # points above the point's centre, clear of its marker
# labels="auto" labels the items of tables up to this size, and adjustText places up
# to this many labels: its time grows with the square of their number (about 1 s for
# 50 labels, 10 s for 100: benchmarks/bench_labels.py).
_MAX_LABELS = 50
# Deterministic placement: a number of adjustText's iterations, never a time limit.
# The first pushes the labels off the points and one another; the second, without the
# points, separates the labels that the first left overlapping, and stops when none do.
_PLACING = {"iter_lim": 100}
_SEPARATING = {"iter_lim": 300, "avoid_self": False, "force_explode": (0, 0)}
_LEADER = {"arrowstyle": "-", "color": "0.4", "linewidth": 0.5}
_LABEL_MARGIN = 0.1  # of the data's span, each side, instead of matplotlib's 0.05


def _point_colours(y, n_points):
    """RGB colours from ``y`` (three columns in [0, 1]), or one grey for all."""
    if y is None:
        return np.full((n_points, 3), 0.4)
    rgb = np.asarray(y, dtype=float)
    if rgb.shape != (n_points, 3):
        raise ValueError(
            f"y must hold r, g, b for each of the {n_points} rows of X, with "
            f"shape ({n_points}, 3); got shape {rgb.shape}."
        )
    if rgb.min() < 0 or rgb.max() > 1:
        raise ValueError("y must hold r, g, b in [0, 1] to colour the points.")
    return rgb


def _pca_projection(vectors):
    """How to draw vectors like ``vectors``: a projection and an axis name.

    One component gets a zero second axis; more than three are projected to
    the first three principal components of ``vectors``.
    """
    n_components = vectors.shape[1]
    if n_components == 1:
        return (lambda v: np.column_stack([v, np.zeros(len(v))])), "component"
    if n_components <= 3:
        return (lambda v: v), "component"
    vectors = vectors[np.isfinite(vectors).all(axis=1)]  # names without a token have none
    mean = vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(vectors - mean, full_matrices=False)
    # Fewer than 3 vectors span fewer than 3 directions: pad with zero axes.
    axes = np.zeros((3, n_components))
    axes[: min(3, len(vt))] = vt[:3]
    return (lambda v: (v - mean) @ axes.T), "PCA component"


def _axes_for(n_dims, ax=None):
    """``ax``, checked to be 3-D exactly when ``n_dims == 3``; new axes when None."""
    if ax is None:
        ax = plt.figure(figsize=(7, 6)).add_subplot(projection="3d" if n_dims == 3 else None)
    if (getattr(ax, "name", "") == "3d") != (n_dims == 3):
        raise ValueError(
            f"this embedding is drawn in {n_dims}-D; pass axes of that kind, or ax=None."
        )
    return ax


def _label_axes(ax, n_dims, name):
    setters = (ax.set_xlabel, ax.set_ylabel, getattr(ax, "set_zlabel", None))
    for axis in range(n_dims):
        setters[axis](f"{name} {axis + 1}")


def _vectors_to_draw(embedder, X):
    """The vectors of the rows of ``X``; rows without one are an error."""
    vectors = embedder.transform(X)
    missing = np.isnan(vectors).any(axis=1)
    if missing.any():
        raise ValueError(
            f"{missing.sum()} row(s) of X have no vector to draw (first: row "
            f"{np.flatnonzero(missing)[0]})."
        )
    return vectors


def _recorded_rows(embedder, X):
    """Index in the recording (the training items) of each row's item of ``X``."""
    keys = keys_of(check_array(X, dtype=None, ensure_all_finite=False))
    try:
        return embedder.vectors_.get_index(keys)
    except KeyError as error:
        raise ValueError(f"X holds items that were not trained, so not recorded: {error}") from None


def _labels_to_draw(labels, X, points):
    """The keys to label, and whether they are the rows of ``X`` (else a list of the user's)."""
    if isinstance(labels, str) and labels == "auto":
        # In 3-D no placement keeps labels apart in every view: only when asked for.
        labels = len(points) <= _MAX_LABELS and points.shape[1] == 2
    if labels is None or isinstance(labels, (bool, np.bool_)):
        if not labels:
            return [], False
        keys = keys_of(check_array(X, dtype=None, ensure_all_finite=False))
        return keys, True
    if isinstance(labels, (str, bytes)) or not np.iterable(labels):
        raise ValueError(
            "labels must be 'auto', True, False or a list of item keys (['red'] for one), "
            f"got {labels!r}."
        )
    return list(labels), False


def _place_labels(ax, texts, targets, points):
    """Move ``texts`` (2-D, in data coordinates) so that they overlap neither one another
    nor the ``points``, each joined to its target by a thin line when moved off it."""
    from adjustText import adjust_text

    # Room at the edges: adjustText keeps labels inside the axes, and labels pushed
    # against an edge can be held there on top of one another.
    ax.margins(_LABEL_MARGIN)
    together = {"ax": ax, "time_lim": None, "prevent_crossings": False, "force_pull": (0, 0)}
    adjust_text(texts, x=points[:, 0], y=points[:, 1], **_PLACING, **together)
    target_x, target_y = targets.T
    adjust_text(
        texts, target_x=target_x, target_y=target_y, arrowprops=_LEADER, **_SEPARATING, **together
    )


def _draw_labels(ax, keys, positions, points):
    """Write each key at its position: placed without overlap in 2-D (up to
    ``_MAX_LABELS``), just above it otherwise."""
    if positions.shape[1] == 3:
        ax.computed_zorder = False  # else mplot3d orders by depth, and points hide labels
        for key, position in zip(keys, positions, strict=True):
            ax.text(*position, str(key), **_LABEL_STYLE)
    elif len(keys) > _MAX_LABELS:
        offset = {"xytext": (0, _LABEL_RAISE), "textcoords": "offset points"}
        for key, position in zip(keys, positions, strict=True):
            ax.annotate(str(key), position, **offset, **_LABEL_STYLE)
    else:
        texts = [
            ax.text(*position, str(key), **_LABEL_STYLE)
            for key, position in zip(keys, positions, strict=True)
        ]
        _place_labels(ax, texts, positions, points)


def plot_embedding(
    embedder,
    X,
    y=None,
    ax: Axes | None = None,
    *,
    labels: str | bool | list | None = "auto",
    title: str | None = None,
) -> Axes:
    """Scatter the vectors of the items of ``X``, coloured by ``y``.

    Parameters
    ----------
    embedder : PairSimilarityEmbedder
        A fitted embedder.
    X : array-like of shape (n_samples, n_key_columns)
        The items to draw (with a vectorizer, any names that have a vector:
        new names are placed among the training ones).
    y : array-like of shape (n_samples, 3), default=None
        r, g, b in [0, 1]: each point is drawn in its true colour. Grey when
        None.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None. It must be 3-D for a 3-D
        embedding.
    labels : "auto", bool or list of item keys, default="auto"
        Which points to write the key of, in a white halo over all the
        points: ``"auto"`` every item of ``X`` when it has at most 50 rows and
        is drawn in 2-D, none otherwise; ``True`` every item; ``False`` or
        None none; or a list of keys (with a vectorizer, any names it can
        read). In 2-D, up to 50 labels are placed by `adjustText
        <https://adjusttext.readthedocs.io>`_ so that they overlap neither one
        another nor the points, each joined to its point by a thin line when
        moved off it, with a margin of 10% of the data's span at each side to
        leave them room: placed for the axes' size and limits as they are
        when drawn, so set those first when you pass ``ax``. More labels, and
        labels on 3-D axes, are written just above their point, where labels
        of near points can overlap (on 3-D axes they follow the points as
        the view turns, so no placement keeps them apart). On 3-D axes,
        artists are then drawn in the order of their ``zorder`` rather than
        of their depth (``computed_zorder`` False), so that points do not
        hide the labels.
    title : str, default=None
        By default, the number of points ("colours" when ``y`` colours them)
        and the dimension.

    Returns
    -------
    ax : matplotlib Axes

    Notes
    -----
    One or two components are drawn in 2-D (one with a zero second axis),
    three in 3-D. More than three are projected to the first three principal
    components of the embedding, and the axes are labelled so.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
    >>> from sk_colour_embed.plotting import plot_embedding
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> embedder = PairSimilarityEmbedder(sampler=PairSampler(n_pairs=2_000), epochs=2).fit(X, y)
    >>> ax = plot_embedding(embedder, X, y, labels=["red", "navy"])
    >>> len(ax.collections[0].get_offsets()), [text.get_text() for text in ax.texts]
    (148, ['red', 'navy'])
    >>> ax = plot_embedding(embedder, X.head(20), y.head(20))  # 20 items: all labelled
    >>> len(ax.texts)
    20
    """
    check_is_fitted(embedder)
    project, axis_name = _pca_projection(embedder.vectors_.vectors)
    points = project(_vectors_to_draw(embedder, X))
    keys, of_rows = _labels_to_draw(labels, X, points)
    n_dims = points.shape[1]
    ax = _axes_for(n_dims, ax)
    ax.scatter(*points.T, c=_point_colours(y, len(points)), **_POINT_STYLE)
    _label_axes(ax, n_dims, axis_name)
    if title is None:  # points drawn in their true colours are colours
        kind = "items" if y is None else "colours"
        title = f"{len(points)} {kind}, {embedder.n_components}-D embedding"
    ax.set_title(title)
    if of_rows:  # each item once, at its row's point
        first = ~pd.Index(keys).duplicated()
        _draw_labels(ax, list(keys[first]), points[first], points)
    elif keys:
        vectors = np.array([embedder.vectors_.get_vector(key) for key in keys])
        _draw_labels(ax, keys, project(vectors), points)
    return ax


def quadratic_frames(recorded_epochs, n_frames: int) -> np.ndarray:
    """Positions in ``recorded_epochs`` of frames spaced quadratically in epochs.

    The embedding changes fastest early on, so frames are dense there, as in
    the tutorial: frame ``i`` of ``n`` shows the recording nearest epoch
    ``(i / (n - 1))**2 * last_epoch``. Repeats are dropped.
    """
    recorded_epochs = np.asarray(recorded_epochs)
    wanted = np.linspace(0, 1, n_frames) ** 2 * recorded_epochs[-1]
    return np.unique(np.abs(recorded_epochs[None, :] - wanted[:, None]).argmin(axis=1))


def _frame_limits(frames):
    """Axes limits that hold every frame, with a 5% margin: the points move, not the frame."""
    low = np.min([frame.min(axis=0) for frame in frames], axis=0)
    high = np.max([frame.max(axis=0) for frame in frames], axis=0)
    margin = 0.05 * np.maximum(high - low, 1e-9)
    return low - margin, high + margin


class _FrameDrawer:
    """The animation's frames, drawn on one figure: the still parts once, then each
    frame's points and title over a copy of them (blitting).

    A frame is the pixels a full redraw of the figure gives (the points are
    drawn inside the axes' margin, clear of the spines and ticks drawn over
    them in a full redraw), at a fraction of its cost: the axes, ticks and
    labels are most of a redraw's time. The figure is Agg's own, whatever
    pyplot's backend, so it is never shown.
    """

    def __init__(self, frames, titles, colours, axis_name):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.frames, self.titles = frames, titles
        self.n_dims = frames[0].shape[1]
        figure = Figure(figsize=(7, 6))
        self.canvas = FigureCanvasAgg(figure)
        self.ax = figure.add_subplot(projection="3d" if self.n_dims == 3 else None)
        self.points = self.ax.scatter(*frames[0].T, c=colours, **_POINT_STYLE)
        _label_axes(self.ax, self.n_dims, axis_name)
        setters = (self.ax.set_xlim, self.ax.set_ylim, getattr(self.ax, "set_zlim", None))
        for set_limit, low, high in zip(setters, *_frame_limits(frames), strict=False):
            set_limit(low, high)
        # The still parts: everything but the points and the title.
        self.points.set_visible(False)
        self.canvas.draw()
        self.still = self.canvas.copy_from_bbox(figure.bbox)
        self.still_pixels = self._pixels()
        self.points.set_visible(True)

    def _pixels(self):
        """The figure's pixels as drawn so far: RGBA, of shape (height, width, 4), a copy."""
        return np.array(self.canvas.buffer_rgba())

    def draw(self, i):
        """Frame ``i``: RGBA pixels of shape (height, width, 4)."""
        self.canvas.restore_region(self.still)
        if self.n_dims == 3:
            self.points._offsets3d = tuple(self.frames[i].T)
            self.points.do_3d_projection()  # as Axes3D.draw does before drawing them
        else:
            self.points.set_offsets(self.frames[i])
        self.ax.title.set_text(self.titles[i])
        self.ax.draw_artist(self.points)
        self.ax.draw_artist(self.ax.title)
        return self._pixels()


def _as_words(pixels):
    """RGBA pixels of shape (height, width, 4) as one little-endian uint32 each: red the low
    byte."""
    return pixels.view("<u4")[..., 0]


class _SharedPalette:
    """One palette of 256 colours for all the frames of a GIF, and each frame's indices in it.

    The frames share the still parts of the picture (background, axes, text)
    and the points' colours. The palette holds the 16 colours most frequent
    in the still parts exactly (white, black, the greys of 3-D panes and
    grids), and 240 chosen by octree quantization of the first and last
    frames (the points packed, then spread). The still parts' pixels are
    mapped to their nearest palette colour once; in each frame, only the
    pixels that differ from them (the points and the title) are mapped,
    through a table of the nearest colour to each cell of 4 by 4 by 4 RGB
    values. Pillow's own adaptive palette for each frame took most of the
    time of writing a GIF, and made a larger file that kept the colours less
    well (``benchmarks/bench_animation.py``).
    """

    N_EXACT = 16

    def __init__(self, still, first, last):
        from PIL import Image
        from scipy.spatial import cKDTree

        words = _as_words(still)
        unique, inverse, counts = np.unique(words, return_inverse=True, return_counts=True)
        exact = self._rgb(unique[np.argsort(-counts, kind="stable")[: self.N_EXACT]])
        height, width = still.shape[:2]
        side_by_side = Image.new("RGB", (2 * width, height))
        for at, pixels in enumerate((first, last)):
            side_by_side.paste(Image.fromarray(pixels).convert("RGB"), (at * width, 0))
        octree = side_by_side.quantize(256 - len(exact), method=Image.Quantize.FASTOCTREE)
        chosen = np.reshape(octree.getpalette()[: 3 * (256 - len(exact))], (-1, 3))
        self.colours = np.vstack([exact, chosen]).astype(np.uint8)
        self._nearest = cKDTree(self.colours.astype(float))
        self.still_words = words
        self.still_indices = self._indices_of(self._rgb(unique))[inverse].reshape(words.shape)
        self._cells = np.zeros(64**3, dtype=np.uint8)  # cell: nearest palette colour
        self._known = np.zeros(64**3, dtype=bool)

    @staticmethod
    def _rgb(words):
        """r, g, b of each word of :func:`_as_words`."""
        words = np.asarray(words, dtype=np.uint32)
        return np.stack([words & 255, (words >> 8) & 255, (words >> 16) & 255], axis=-1)

    def _indices_of(self, rgb):
        return self._nearest.query(rgb.astype(float))[1].astype(np.uint8)

    def indices(self, pixels):
        """The palette index of each pixel of ``pixels`` (RGBA), as an array of uint8."""
        words = _as_words(pixels)
        changed = words != self.still_words
        moved = words[changed]
        # The 6 high bits of red, green and blue.
        cells = (moved >> 2 & 63) << 12 | (moved >> 10 & 63) << 6 | moved >> 18 & 63
        new = np.unique(cells[~self._known[cells]])
        if len(new):
            centres = np.stack([new >> 12, (new >> 6) & 63, new & 63], axis=-1) * 4 + 1.5
            self._cells[new] = self._indices_of(centres)
            self._known[new] = True
        indices = self.still_indices.copy()
        indices[changed] = self._cells[cells]
        return indices


def _write_gif(drawer, n_frames, path, fps, hold_last):
    """A GIF of the frames, each shown ``1 / fps`` seconds and the last ``hold_last``."""
    from PIL import Image

    palette = _SharedPalette(drawer.still_pixels, drawer.draw(0), drawer.draw(n_frames - 1))
    images = []
    for i in range(n_frames):
        image = Image.fromarray(palette.indices(drawer.draw(i)), mode="P")
        image.putpalette(palette.colours.ravel().tolist())
        images.append(image)
    durations = [int(1000 / fps)] * n_frames
    durations[-1] = max(durations[-1], int(1000 * hold_last))
    # Without optimize, Pillow keeps the shared palette whole, rather than cutting it down for
    # each frame: a smaller file (3.0 MB against 3.2 for the main job's).
    images[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )


# H.264 at its default quality (CRF 23) and the fast "veryfast" preset, in the
# pixel format every player reads; a frame of odd size is padded by a white pixel.
_MP4_OPTIONS = [
    *("-crf", "23", "-preset", "veryfast", "-movflags", "+faststart"),
    *("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white"),
]


def _write_mp4(drawer, n_frames, path, fps, hold_last):
    """An H.264 video of the frames, with the ffmpeg that ``imageio-ffmpeg`` ships.

    A video stops on its last frame: ``hold_last`` is for a GIF, which loops.
    """
    import imageio_ffmpeg

    height, width = drawer.still_pixels.shape[:2]
    video = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        pix_fmt_in="rgba",
        fps=fps,
        codec="libx264",
        quality=None,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=_MP4_OPTIONS,
    )
    video.send(None)  # starts ffmpeg
    try:
        for i in range(n_frames):
            video.send(drawer.draw(i))
    finally:
        video.close()


_WRITERS = {".gif": _write_gif, ".mp4": _write_mp4}


def animate_training(
    embedder,
    X,
    y,
    path: str | os.PathLike,
    fps: int = 30,
    *,
    n_frames: int = 100,
    hold_last: float = 2.0,
) -> int:
    """Write an animation of the embedding over the epochs of training.

    Parameters
    ----------
    embedder : PairSimilarityEmbedder
        Fitted with ``record_every`` set, so that it has ``recording_``.
    X : array-like of shape (n_samples, n_key_columns)
        The items to show.
    y : array-like of shape (n_samples, 3) or None
        r, g, b in [0, 1] to colour them.
    path : str or path-like
        ``.gif`` (written with Pillow, one palette of 256 colours for all
        the frames) or ``.mp4`` (H.264, with the ffmpeg that the
        ``imageio-ffmpeg`` package ships). A GIF shows in any README, page or
        notebook and keeps the colours of small points best; an MP4 is about
        a third of its size, and blurs the colours of small points a little
        (``benchmarks/results.md`` has the figures).
    fps : int, default=30
        Frames per second.
    n_frames : int, default=100
        Frames at most, spaced quadratically over the epochs (see
        :func:`quadratic_frames`).
    hold_last : float, default=2.0
        Seconds a GIF shows its last frame, the trained embedding, before it
        loops back to the first (at least one frame's time). A video ends on
        its last frame and does not loop, so an ``.mp4`` ignores it.

    Returns
    -------
    n_written : int
        The number of frames written.

    Notes
    -----
    Each frame is the figure a full redraw would give, 7 by 6 inches at the
    figure dpi of matplotlib's settings (700 by 600 pixels by default), with
    the axes fixed over the whole animation and the epoch as its title; the
    axes and their labels are drawn once and only the points and the title
    again for each frame, so drawing costs about what the fit does.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sk_colour_embed import PairSampler, PairSimilarityEmbedder, load_colours
    >>> from sk_colour_embed.plotting import animate_training
    >>> X, y = load_colours("css4", return_X_y=True)
    >>> embedder = PairSimilarityEmbedder(
    ...     sampler=PairSampler(n_pairs=2_000), epochs=10, record_every=1
    ... ).fit(X, y)
    >>> animate_training(embedder, X, y, Path(tempfile.mkdtemp()) / "training.gif", n_frames=5)
    5
    """
    check_is_fitted(embedder)
    if not hasattr(embedder, "recording_"):
        raise ValueError(
            "the embedder has no recording to animate: fit it with record_every "
            "set (for example record_every=1)."
        )
    if not isinstance(hold_last, Real) or not (math.isfinite(hold_last) and hold_last >= 0):
        raise ValueError(f"hold_last must be a number of seconds from 0, got {hold_last!r}.")
    write = _WRITERS.get(Path(path).suffix.lower())
    if write is None:
        raise ValueError(
            f"path must end in .gif or .mp4, which chooses the format; got {str(path)!r}."
        )
    rows = _recorded_rows(embedder, X)
    colours = _point_colours(y, len(rows))
    project, axis_name = _pca_projection(embedder.vectors_.vectors)
    chosen = quadratic_frames(embedder.recorded_epochs_, n_frames)
    frames = [project(embedder.recording_[i][rows]) for i in chosen]
    titles = [f"epoch {embedder.recorded_epochs_[i]}" for i in chosen]
    write(_FrameDrawer(frames, titles, colours, axis_name), len(frames), path, fps, hold_last)
    return len(frames)


def plot_grid_search(
    search, ax: Axes | None = None, *, x: str = "sampler__threshold", lines: str = "n_components"
) -> Axes:
    """Plot a grid search's mean test score against one parameter.

    Parameters
    ----------
    search : GridSearchCV
        Fitted, over at least the parameters ``x`` and ``lines``.
    ax : matplotlib Axes, default=None
    x : str, default="sampler__threshold"
        The parameter on the horizontal axis.
    lines : str, default="n_components"
        One line per value of this parameter.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_is_fitted(search, "cv_results_")
    results = pd.DataFrame(search.cv_results_)
    for name in (x, lines):
        if f"param_{name}" not in results:
            searched = sorted(c.removeprefix("param_") for c in results if c.startswith("param_"))
            raise ValueError(f"the search has no parameter {name!r}; it searched {searched}.")
    if ax is None:
        ax = plt.figure(figsize=(6, 4)).add_subplot()
    for value, group in results.groupby(f"param_{lines}"):
        group = group.sort_values(f"param_{x}")
        ax.errorbar(
            group[f"param_{x}"].astype(float),
            group["mean_test_score"],
            yerr=group["std_test_score"],
            marker="o",
            capsize=3,
            label=f"{lines} = {value}",
        )
    ax.set_xlabel(x)
    ax.set_ylabel("mean test score (Spearman)")
    ax.legend()
    return ax
