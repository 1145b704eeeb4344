import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import axis, patheffects  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from PIL import Image, ImageSequence  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sk_colour_embed import InSampleSplit, PairSimilarityEmbedder  # noqa: E402
from sk_colour_embed.plotting import (  # noqa: E402
    animate_training,
    plot_embedding,
    plot_grid_search,
    quadratic_frames,
)

from conftest import small_embedder  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_2d_scatter_in_true_colours(fitted_css4, css4, tmp_path):
    X, y = css4
    ax = plot_embedding(fitted_css4, X, y, labels=["red", "navy"])
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets(), fitted_css4.transform(X))
    np.testing.assert_allclose(points.get_facecolors()[:, :3], y.to_numpy())
    assert [t.get_text() for t in ax.texts] == ["red", "navy"]
    ax.figure.set_size_inches(5, 4)
    path = tmp_path / "embedding.png"
    ax.figure.savefig(path, dpi=100)
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (400, 500, 3)
    # Saturated red pixels show the points are drawn in their colours.
    assert ((image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)).any()


def test_3d_and_projected_embeddings(css4):
    X, y = css4
    three = small_embedder(n_components=3, epochs=2).fit(X, y)
    ax = plot_embedding(three, X, y)
    assert ax.name == "3d"
    assert len(ax.collections[0]._offsets3d[0]) == 148
    five = small_embedder(n_components=5, epochs=2).fit(X, y)
    ax = plot_embedding(five, X.head(10))
    assert ax.name == "3d" and ax.get_xlabel() == "PCA component 1"
    with pytest.raises(ValueError, match="drawn in 3-D; pass axes of that kind"):
        plot_embedding(three, X, y, ax=plt.figure().add_subplot())


def test_colours_must_be_rgb(fitted_css4, css4):
    X, y = css4
    with pytest.raises(ValueError, match=r"shape \(148, 3\); got shape \(148, 2\)"):
        plot_embedding(fitted_css4, X, y.iloc[:, :2])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        plot_embedding(fitted_css4, X, y * 255)


def test_quadratic_frames_are_dense_early():
    frames = quadratic_frames(np.arange(0, 501), 50)
    gaps = np.diff(frames)
    assert frames[0] == 0 and frames[-1] == 500
    assert gaps[0] < gaps[-1]
    assert len(quadratic_frames(np.arange(0, 11), 50)) == 11  # at most one frame per recording


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_animation_has_the_expected_frames(css4, tmp_path, suffix):
    X, y = css4
    embedder = small_embedder(epochs=40, record_every=2).fit(X, y)  # 21 recordings
    path = tmp_path / f"training{suffix}"
    n_written = animate_training(embedder, X, y, path, n_frames=5)
    expected = len(quadratic_frames(embedder.recorded_epochs_, 5))
    assert n_written == expected == 5
    if suffix == ".gif":
        assert Image.open(path).n_frames == expected
    else:
        import imageio_ffmpeg

        assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == expected


def test_animation_needs_a_recording(fitted_css4, css4, tmp_path):
    X, y = css4
    with pytest.raises(ValueError, match="no recording to animate: fit it with record_every"):
        animate_training(fitted_css4, X, y, tmp_path / "a.gif")
    embedder = small_embedder(epochs=2, record_every=1).fit(X, y)
    with pytest.raises(ValueError, match="must end in .gif or .mp4"):
        animate_training(embedder, X, y, tmp_path / "a.avi")


def test_grid_search_plot_has_a_line_per_dimension(css4):
    X, y = css4
    grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.4]}
    search = GridSearchCV(small_embedder(epochs=3), grid, cv=InSampleSplit()).fit(X, y)
    ax = plot_grid_search(search)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "n_components = 2",
        "n_components = 3",
    ]
    assert len(ax.containers) == 2
    line = ax.containers[0].lines[0]
    np.testing.assert_allclose(np.asarray(line.get_xdata(), float), [0.1, 0.4])
    scores = search.cv_results_["mean_test_score"][search.cv_results_["param_n_components"] == 2]
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), scores)
    with pytest.raises(ValueError, match="no parameter 'learning_rate'"):
        plot_grid_search(search, x="learning_rate")


def test_new_names_are_drawn_among_the_training_names(fitted_words, xkcd_split):
    X_train, y_train, X_test, y_test = xkcd_split
    vectors = fitted_words.transform(X_test)
    known = ~np.isnan(vectors[:, 0])
    ax = plot_embedding(fitted_words, X_test[known], y_test[known], labels=["Dusty Rose Pink"])
    assert ax.name == "3d"
    np.testing.assert_allclose(np.column_stack(ax.collections[0]._offsets3d), vectors[known])
    assert [t.get_text() for t in ax.texts] == ["Dusty Rose Pink"]
    first_unknown = int(np.flatnonzero(~known)[0])
    with pytest.raises(
        ValueError, match=rf"row\(s\) of X have no vector to draw \(first: row {first_unknown}\)"
    ):
        plot_embedding(fitted_words, X_test, y_test)


def test_one_item_of_many_dimensions_is_drawn(css4):
    X, y = css4
    five = small_embedder(n_components=5, epochs=1).fit(X, y)
    ax = plot_embedding(five, X.head(1), y.head(1))
    assert ax.name == "3d" and len(ax.collections[0]._offsets3d[0]) == 1


def test_near_white_colours_show_on_the_background(fitted_css4, css4, tmp_path):
    X, y = css4
    white = (X["name"] == "white").to_numpy()
    ax = plot_embedding(fitted_css4, X[white], y[white], labels=False)
    ax.figure.set_size_inches(4, 4)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.collections[0].set_offsets([[0.0, 0.0]])
    ax.figure.savefig(tmp_path / "white.png", dpi=100)
    image = np.asarray(Image.open(tmp_path / "white.png").convert("L")).astype(int)
    x, y_pixel = ax.transData.transform((0.0, 0.0))
    row, column = image.shape[0] - int(round(y_pixel)), int(round(x))
    around = image[row - 6 : row + 7, column - 6 : column + 7]
    assert around.min() < 180  # the point's outline, not white on white


def test_animation_axes_stay_fixed(css4, tmp_path):
    X, y = css4
    embedder = small_embedder(epochs=30, record_every=1).fit(X, y)
    path = tmp_path / "training.gif"
    animate_training(embedder, X, y, path, n_frames=4)
    gif = Image.open(path)
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("L")).astype(int))
    # The tick labels below the axes are the same in every frame (up to the
    # GIF palette of each frame); the points move.
    bottom = slice(int(0.92 * frames[0].shape[0]), None)
    assert all(np.abs(frames[0][bottom] - frame[bottom]).max() <= 16 for frame in frames[1:])
    assert np.abs(frames[0] - frames[-1]).max() > 100


def test_the_default_title_counts_colours_when_drawn_in_their_colours(fitted_css4, css4):
    X, y = css4
    assert plot_embedding(fitted_css4, X, y).get_title() == "148 colours, 2-D embedding"
    assert plot_embedding(fitted_css4, X).get_title() == "148 items, 2-D embedding"


def gif_durations(path):
    gif = Image.open(path)
    durations = []
    for i in range(gif.n_frames):
        gif.seek(i)
        durations.append(gif.info["duration"])
    return durations


def test_the_gif_holds_its_last_frame_before_it_loops(css4, tmp_path):
    X, y = css4
    embedder = small_embedder(epochs=6, record_every=1).fit(X, y)
    animate_training(embedder, X, y, tmp_path / "default.gif", fps=20, n_frames=4)
    # GIF durations are whole hundredths of a second.
    assert gif_durations(tmp_path / "default.gif") == [50, 50, 50, 2000]
    animate_training(embedder, X, y, tmp_path / "short.gif", fps=20, n_frames=4, hold_last=0.5)
    assert gif_durations(tmp_path / "short.gif") == [50, 50, 50, 500]
    animate_training(embedder, X, y, tmp_path / "none.gif", fps=20, n_frames=4, hold_last=0)
    assert gif_durations(tmp_path / "none.gif") == [50, 50, 50, 50]  # never under a frame
    for wrong in (-1, float("nan"), "2"):
        with pytest.raises(ValueError, match="hold_last must be a number of seconds from 0"):
            animate_training(embedder, X, y, tmp_path / "wrong.gif", hold_last=wrong)
    assert not (tmp_path / "wrong.gif").exists()


def label_halo(text):
    """The widths of the white strokes drawn under ``text``."""
    return [
        effect._gc["linewidth"]
        for effect in text.get_path_effects()
        if isinstance(effect, patheffects.Stroke) and effect._gc.get("foreground") == "white"
    ]


@pytest.mark.parametrize("n_components", [2, 3])
def test_labels_are_drawn_over_the_points_in_a_white_halo(css4, n_components):
    X, y = css4
    embedder = small_embedder(n_components=n_components, epochs=2).fit(X, y)
    ax = plot_embedding(embedder, X, y, labels=["red", "navy"])
    points = ax.collections[0]
    assert [text.get_text() for text in ax.texts] == ["red", "navy"]
    for text in ax.texts:
        assert text.get_zorder() > points.get_zorder()
        assert label_halo(text) and all(width >= 2 for width in label_halo(text))
    if n_components == 3:
        assert ax.computed_zorder is False  # else depth, not zorder, sets the order
        assert all(text.get_verticalalignment() == "bottom" for text in ax.texts)  # above


def label_boxes(ax):
    renderer = ax.figure.canvas.get_renderer()
    return [text.get_window_extent(renderer) for text in ax.texts]


def overlapping(boxes):
    return [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]


def test_a_small_table_is_labelled_without_overlap(fitted_css4, css4):
    X, y = css4
    X23, y23 = X.head(23), y.head(23)  # aliceblue to darkcyan: the near-whites crowd
    ax = plot_embedding(fitted_css4, X23, y23)
    assert [text.get_text() for text in ax.texts] == X23["name"].tolist()
    boxes = label_boxes(ax)
    assert overlapping(boxes) == []
    # Written at their points, as before they were placed, the labels would overlap.
    points = ax.transData.transform(fitted_css4.transform(X23))
    for text, point in zip(ax.texts, ax.transData.inverted().transform(points), strict=True):
        text.set_position(point)
        text.set_verticalalignment("bottom")
    assert len(overlapping(label_boxes(ax))) >= 3
    # Each label is inside the axes, and near its point: touching it, or joined to it.
    inside = ax.get_window_extent().padded(0.5)  # half a pixel: rounding
    lines = [patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)]
    for box, point in zip(boxes, points, strict=True):
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1
        assert np.hypot(*(np.array([box.x0 + box.x1, box.y0 + box.y1]) / 2 - point)) < 80
    assert 0 < len(lines) < 23


@pytest.mark.slow  # the tutorial's fit
def test_labels_pushed_to_an_edge_do_not_overlap(css4):
    X, y = css4
    # The tutorial's fit: among the first 10 colours, the near-whites sit at the top, and
    # their labels, pushed up against the edge of the axes, once stayed on top of each other.
    embedder = PairSimilarityEmbedder(2, random_state=0).fit(X, y)
    ax = plot_embedding(embedder, X.head(10), y.head(10))
    assert len(ax.texts) == 10 and overlapping(label_boxes(ax)) == []


def test_labels_are_placed_the_same_way_each_time(fitted_css4, css4):
    X, y = css4
    placed = [
        [text.get_position() for text in plot_embedding(fitted_css4, X.head(40), y.head(40)).texts]
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*placed)


def test_labels_auto_on_and_off(fitted_css4, css4):
    X, y = css4
    assert len(plot_embedding(fitted_css4, X.head(50), y.head(50)).texts) == 50
    assert len(plot_embedding(fitted_css4, X.head(51), y.head(51)).texts) == 0
    assert len(plot_embedding(fitted_css4, X, y, labels=True).texts) == 148
    assert len(plot_embedding(fitted_css4, X.head(5), y.head(5), labels=False).texts) == 0
    assert len(plot_embedding(fitted_css4, X.head(5), y.head(5), labels=None).texts) == 0
    three = small_embedder(n_components=3, epochs=1).fit(X, y)
    assert len(plot_embedding(three, X.head(5), y.head(5)).texts) == 0  # "auto": 2-D only
    assert len(plot_embedding(three, X.head(5), y.head(5), labels=True).texts) == 5
    # An item that appears twice is labelled once.
    twice = X.head(3).iloc[[0, 1, 2, 0]]
    assert [t.get_text() for t in plot_embedding(fitted_css4, twice).texts] == X.head(3)[
        "name"
    ].tolist()
    for wrong in ("red", "all", 3):
        with pytest.raises(ValueError, match="labels must be 'auto', True, False or a list"):
            plot_embedding(fitted_css4, X, y, labels=wrong)


def test_a_label_stays_readable_over_dark_points(fitted_css4, css4, tmp_path):
    X, y = css4
    ax = plot_embedding(fitted_css4, X, y, labels=["navy"])
    ax.figure.set_size_inches(3, 3)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    # Every point black and on the label: without a halo, black text on black points.
    ax.collections[0].set_offsets(np.zeros((len(X), 2)))
    ax.collections[0].set_sizes([4000])
    ax.collections[0].set_facecolors([[0, 0, 0]])
    (label,) = ax.texts
    label.set_position((0.0, -0.1))
    path = tmp_path / "label.png"
    ax.figure.savefig(path, dpi=100)
    image = np.asarray(Image.open(path).convert("L")).astype(int)
    box = label.get_window_extent(ax.figure.canvas.get_renderer())
    rows = slice(image.shape[0] - int(box.y1), image.shape[0] - int(box.y0))
    columns = slice(int(box.x0), int(box.x1))
    inside = image[rows, columns]
    # The text's dark strokes and the white halo around them, both in the label's box.
    assert inside.max() > 240 and inside.min() < 60


def gif_frames(path):
    """The frames of a GIF as RGB arrays of ints."""
    return [
        np.asarray(frame.convert("RGB")).astype(int)
        for frame in ImageSequence.Iterator(Image.open(path))
    ]


def full_redraw(positions, y, limits, title, n_dims):
    """A frame of the animation as a plain matplotlib figure draws it, whole, at 100 dpi."""
    figure = Figure(figsize=(7, 6), dpi=100)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot(projection="3d" if n_dims == 3 else None)
    ax.scatter(*positions.T, c=y, s=12, edgecolors=(0, 0, 0, 0.5), linewidths=0.5)
    setters = (ax.set_xlim, ax.set_ylim, getattr(ax, "set_zlim", None))
    labels = (ax.set_xlabel, ax.set_ylabel, getattr(ax, "set_zlabel", None))
    for i in range(n_dims):
        setters[i](*limits[:, i])
        labels[i](f"component {i + 1}")
    ax.set_title(title)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


@pytest.mark.parametrize("n_components", [2, 3])
def test_each_frame_is_the_picture_a_full_redraw_gives(css4, tmp_path, n_components):
    X, y = css4
    embedder = small_embedder(n_components=n_components, epochs=12, record_every=1).fit(X, y)
    path = tmp_path / "training.gif"
    with plt.rc_context({"figure.dpi": 100}):
        n_written = animate_training(embedder, X, y, path, n_frames=6)
    chosen = quadratic_frames(embedder.recorded_epochs_, 6)
    rows = embedder.vectors_.get_index(X["name"].tolist())
    positions = [embedder.recording_[i][rows] for i in chosen]
    # Fixed over the animation: every frame's points, and a 5% margin.
    low, high = (
        np.min([p.min(axis=0) for p in positions], 0),
        np.max([p.max(axis=0) for p in positions], 0),
    )
    limits = np.array([low - 0.05 * (high - low), high + 0.05 * (high - low)])
    expected = [
        full_redraw(p, y.to_numpy(), limits, f"epoch {embedder.recorded_epochs_[i]}", n_components)
        for p, i in zip(positions, chosen, strict=True)
    ]
    written = gif_frames(path)
    assert n_written == len(written) == len(expected) == len(chosen) == 5
    for frame, picture in zip(written, expected, strict=True):
        assert frame.shape == picture.shape == (600, 700, 3)
        # Up to the GIF's 256 colours: a point missing, or left from another frame, or
        # another title, differs by more than 100 on its pixels.
        assert np.abs(frame - picture).max() <= 100
        assert np.abs(frame - picture).mean() < 1
    assert np.abs(written[0] - expected[-1]).max() > 100  # the frames do differ


def test_the_axes_are_drawn_once_not_for_every_frame(css4, tmp_path, monkeypatch):
    X, y = css4
    embedder = small_embedder(epochs=20, record_every=1).fit(X, y)
    drawn = []
    draw = axis.Axis.draw
    monkeypatch.setattr(
        axis.Axis, "draw", lambda self, *a, **k: drawn.append(self) or draw(self, *a, **k)
    )
    n_written = animate_training(embedder, X, y, tmp_path / "training.gif", n_frames=10)
    assert n_written > 5
    assert len(drawn) == 2  # the x and y axes, with the still parts of the picture


def test_the_gif_frames_share_one_palette_and_a_white_background(css4, tmp_path):
    X, y = css4
    embedder = small_embedder(epochs=20, record_every=1).fit(X, y)
    path = tmp_path / "training.gif"
    animate_training(embedder, X, y, path, n_frames=5)
    frames = gif_frames(path)
    colours = np.unique(np.concatenate([frame.reshape(-1, 3) for frame in frames]), axis=0)
    assert len(colours) <= 256  # one palette for all, not one for each frame
    for frame in frames:
        assert (frame[:5, :5] == 255).all()  # the figure's white, not a near-white of the palette
