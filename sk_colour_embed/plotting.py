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
from matplotlib import animation, patheffects
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


def plot_embedding(
    embedder,
    X,
    y=None,
    ax: Axes | None = None,
    *,
    labels: list | None = None,
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
    labels : list of item keys, default=None
        Items to annotate with their key (with a vectorizer, any names it
        can read), written just above their point, over all the points, in a
        white halo. On 3-D axes, artists are then drawn in the order of
        their ``zorder`` rather than of their depth (``computed_zorder``
        False), so that points do not hide the labels.
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
    >>> len(ax.collections[0].get_offsets())
    148
    """
    check_is_fitted(embedder)
    project, axis_name = _pca_projection(embedder.vectors_.vectors)
    points = project(_vectors_to_draw(embedder, X))
    n_dims = points.shape[1]
    ax = _axes_for(n_dims, ax)
    ax.scatter(*points.T, c=_point_colours(y, len(points)), **_POINT_STYLE)
    if labels and n_dims == 3:
        ax.computed_zorder = False  # else mplot3d orders by depth, and points hide labels
    for key in labels or []:
        position = project(embedder.vectors_.get_vector(key)[None, :])[0]
        if n_dims == 3:
            ax.text(*position, str(key), **_LABEL_STYLE)
        else:
            offset = {"xytext": (0, _LABEL_RAISE), "textcoords": "offset points"}
            ax.annotate(str(key), position, **offset, **_LABEL_STYLE)
    _label_axes(ax, n_dims, axis_name)
    if title is None:  # points drawn in their true colours are colours
        kind = "items" if y is None else "colours"
        title = f"{len(points)} {kind}, {embedder.n_components}-D embedding"
    ax.set_title(title)
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


class _HoldingPillowWriter(animation.PillowWriter):
    """matplotlib's GIF writer, with the last frame shown ``hold_last`` seconds."""

    def __init__(self, fps, hold_last):
        super().__init__(fps=fps)
        self.hold_last = hold_last

    def finish(self):
        # As PillowWriter.finish (its frames are in self._frames), with a duration per frame.
        durations = [int(1000 / self.fps)] * len(self._frames)
        durations[-1] = max(durations[-1], int(1000 * self.hold_last))
        self._frames[0].save(
            self.outfile,
            save_all=True,
            append_images=self._frames[1:],
            duration=durations,
            loop=0,
        )


def _writer(path, fps, hold_last):
    """The writer for ``path``'s format, and the matplotlib settings it needs."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return _HoldingPillowWriter(fps, hold_last), {}
    if suffix == ".mp4":
        import imageio_ffmpeg

        return animation.FFMpegWriter(fps=fps), {
            "animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()
        }
    raise ValueError(f"path must end in .gif or .mp4, which chooses the format; got {str(path)!r}.")


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
        ``.gif`` (written with Pillow) or ``.mp4`` (with the ffmpeg that the
        ``imageio-ffmpeg`` package ships).
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
    """
    check_is_fitted(embedder)
    if not hasattr(embedder, "recording_"):
        raise ValueError(
            "the embedder has no recording to animate: fit it with record_every "
            "set (for example record_every=1)."
        )
    if not isinstance(hold_last, Real) or not (math.isfinite(hold_last) and hold_last >= 0):
        raise ValueError(f"hold_last must be a number of seconds from 0, got {hold_last!r}.")
    writer, settings = _writer(path, fps, hold_last)
    rows = _recorded_rows(embedder, X)
    colours = _point_colours(y, len(rows))
    project, axis_name = _pca_projection(embedder.vectors_.vectors)
    chosen = quadratic_frames(embedder.recorded_epochs_, n_frames)
    frames = [project(embedder.recording_[i][rows]) for i in chosen]
    n_dims = frames[0].shape[1]

    ax = _axes_for(n_dims)
    points = ax.scatter(*frames[0].T, c=colours, **_POINT_STYLE)
    _label_axes(ax, n_dims, axis_name)
    # Fixed axes over the whole animation, as the tutorial's: the points move,
    # not the frame.
    low, high = (
        np.min([f.min(axis=0) for f in frames], axis=0),
        np.max([f.max(axis=0) for f in frames], axis=0),
    )
    margin = 0.05 * np.maximum(high - low, 1e-9)
    set_limits = (ax.set_xlim, ax.set_ylim, getattr(ax, "set_zlim", None))[:n_dims]
    for set_limit, lo, hi in zip(set_limits, low - margin, high + margin, strict=True):
        set_limit(lo, hi)

    def draw(i):
        frame = frames[i]
        if n_dims == 3:
            points._offsets3d = tuple(frame.T)
        else:
            points.set_offsets(frame)
        ax.set_title(f"epoch {embedder.recorded_epochs_[chosen[i]]}")
        return (points,)

    with plt.rc_context(settings):
        animation.FuncAnimation(ax.figure, draw, frames=len(frames)).save(path, writer=writer)
    plt.close(ax.figure)
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
