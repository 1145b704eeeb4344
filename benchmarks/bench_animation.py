"""The training animation's cost against the fit's, and the size of its file.

python benchmarks/bench_animation.py [--runs 3] [--skip-encoders] [--skip-command]

The README's main job, ``sk-colour-embed --animate --out results/``: the 949
xkcd colours in 2-D, 100,000 pairs, 500 epochs, recorded every epoch, and an
animation of at most 100 frames at 30 frames a second.

- fit: ``PairSimilarityEmbedder.fit`` as the command builds it, ``--runs``
  times in this process after a first fit that traces and compiles the
  epochs (median; the first is shown apart);
- drawing: ``animate_training`` on the fitted embedder, to ``.gif`` and to
  ``.mp4`` (median of ``--runs``), with the file's size;
- encoders: the same frames, drawn once (and checked against whole redraws
  of the figure, pixel for pixel), written by each encoder considered
  (median seconds of ``--runs``, bytes, and how far the decoded frames are
  from the drawn ones: mean absolute error and PSNR over every pixel and
  channel, and the largest error);
- the command: ``sk-colour-embed --animate`` and ``sk-colour-embed``, each in
  a fresh process, wall time (median of ``--runs``) and the fit's own
  ``fit_seconds`` from ``metrics.json``.

It measures the ``sk_colour_embed`` that Python imports (its folder is
printed), in this process and in the command's.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import machine, median


def cli_embedder():
    """The embedder the command fits with ``--animate`` and its defaults."""
    from sk_colour_embed import PairSampler, PairSimilarityEmbedder

    return PairSimilarityEmbedder(
        2,
        sampler=PairSampler(n_pairs=100_000, threshold=0.2),
        epochs=500,
        record_every=1,
        random_state=0,
    )


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


class Drawn:
    """Frames drawn already, served as the package's drawer serves them (RGBA)."""

    def __init__(self, still_pixels, frames):
        self.still_pixels, self.frames = still_pixels, frames

    def draw(self, i):
        return self.frames[i]


def drawn_frames(embedder, X, y):
    """The animation's frames as the command draws them, RGBA, as a ``Drawn``."""
    from sk_colour_embed import plotting

    rows = plotting._recorded_rows(embedder, X)
    project, axis_name = plotting._pca_projection(embedder.vectors_.vectors)
    chosen = plotting.quadratic_frames(embedder.recorded_epochs_, 100)
    frames = [project(embedder.recording_[i][rows]) for i in chosen]
    titles = [f"epoch {embedder.recorded_epochs_[i]}" for i in chosen]
    drawer = plotting._FrameDrawer(frames, titles, plotting._point_colours(y, len(rows)), axis_name)
    drawn = []
    worst = 0
    for i in range(len(frames)):
        drawn.append(drawer.draw(i))
        # The same figure drawn whole, as matplotlib's own animation writers draw each frame.
        buffer = io.BytesIO()
        drawer.canvas.figure.savefig(buffer, format="rgba")
        whole = np.frombuffer(buffer.getvalue(), np.uint8).reshape(drawn[-1].shape)
        worst = max(worst, int(np.abs(whole.astype(int) - drawn[-1]).max()))
    print(f"  frames drawn by blitting against whole redraws: largest difference {worst}")
    return Drawn(drawer.still_pixels, drawn)


def decoded(path):
    """The frames of a GIF or a video, as RGB arrays."""
    if path.suffix == ".gif":
        from PIL import Image, ImageSequence

        with Image.open(path) as gif:
            return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return [np.frombuffer(frame, np.uint8).reshape(height, width, 3) for frame in reader]


def encoders(drawn):
    """name: (suffix, write(path)) of each encoder compared, on the frames ``drawn``."""
    import imageio_ffmpeg
    from PIL import Image

    from sk_colour_embed import plotting

    frames = [frame[..., :3].copy() for frame in drawn.frames]
    size = frames[0].shape[1::-1]

    def pillow_adaptive(path):  # as matplotlib's PillowWriter did: a palette for each frame
        images = [Image.fromarray(frame) for frame in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=33, loop=0)

    def shared(path):  # the package's: one palette for all the frames
        plotting._write_gif(drawn, len(frames), path, 30, 2.0)

    def ffmpeg(codec, options):
        def write(path):
            video = imageio_ffmpeg.write_frames(
                str(path), size, fps=30, codec=codec, quality=None, macro_block_size=1,
                output_params=options, ffmpeg_log_level="error",
            )  # fmt: skip
            video.send(None)
            for frame in frames:
                video.send(np.ascontiguousarray(frame))
            video.close()

        return write

    return {
        "GIF, a palette for each frame (before)": (".gif", pillow_adaptive),
        "GIF, one palette for all frames (now)": (".gif", shared),
        "MP4 H.264 CRF 23, preset medium (before)": (
            ".mp4",
            ffmpeg("libx264", ["-crf", "23", "-preset", "medium"]),
        ),
        "MP4 H.264 CRF 23, preset veryfast (now)": (
            ".mp4",
            ffmpeg("libx264", ["-crf", "23", "-preset", "veryfast"]),
        ),
        "MP4 H.264 4:4:4 CRF 20, preset veryfast": (
            ".mp4",
            ffmpeg("libx264", ["-crf", "20", "-preset", "veryfast", "-pix_fmt", "yuv444p"]),
        ),
        "WebM VP9 CRF 32, realtime": (
            ".webm",
            ffmpeg("libvpx-vp9", ["-crf", "32", "-b:v", "0", "-deadline", "realtime"]),
        ),
    }


def compare_encoders(embedder, X, y, runs, folder):
    drawn = drawn_frames(embedder, X, y)
    exact = np.stack(drawn.frames)[..., :3].astype(float)
    for name, (suffix, write) in encoders(drawn).items():
        path = Path(folder) / f"encoded{suffix}"
        seconds = median([timed(write, path)[1] for _ in range(runs)])
        error = np.abs(np.stack(decoded(path)).astype(float) - exact)
        psnr = 10 * np.log10(255**2 / np.mean(error**2))
        print(
            f"  {name}: {seconds:.2f} s, {path.stat().st_size:,} bytes; error mean "
            f"{error.mean():.2f}, largest {error.max():.0f}; PSNR {psnr:.1f} dB"
        )


def command_seconds(runs, extra):
    """Median wall seconds of the command in fresh processes, and the median fit_seconds."""
    import sk_colour_embed

    env = {**os.environ, "PYTHONPATH": str(Path(sk_colour_embed.__file__).parents[1])}
    walls, fits = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            argv = [sys.executable, "-m", "sk_colour_embed", *extra, "--quiet", "--out", folder]
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, env=env)
            walls.append(time.perf_counter() - start)
            fits.append(json.loads((Path(folder) / "metrics.json").read_text())["fit_seconds"])
    return median(walls), median(fits)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-encoders", action="store_true")
    parser.add_argument("--skip-command", action="store_true")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import sk_colour_embed
    from sk_colour_embed import load_colours
    from sk_colour_embed.plotting import animate_training

    print(machine())
    print(f"sk_colour_embed from {Path(sk_colour_embed.__file__).parent}")
    X, y = load_colours("xkcd", return_X_y=True)
    embedder, first = timed(cli_embedder().fit, X, y)
    fit = median([timed(cli_embedder().fit, X, y)[1] for _ in range(args.runs)])
    print(
        f"fit (949 colours, 2-D, 500 epochs, recorded every epoch): first {first:.2f} s, "
        f"then median {fit:.2f} s of {args.runs}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".gif", ".mp4"):
            path = Path(folder) / f"training{suffix}"
            runs = [timed(animate_training, embedder, X, y, path) for _ in range(args.runs)]
            n_frames, seconds = runs[0][0], median([s for _, s in runs])
            print(
                f"drawing {suffix}: {n_frames} frames in {seconds:.2f} s (median of {args.runs}, "
                f"{1000 * seconds / n_frames:.0f} ms a frame, {seconds / fit:.2f} x the fit), "
                f"{path.stat().st_size:,} bytes"
            )
        if not args.skip_encoders:
            print(f"encoders, on the same {n_frames} frames drawn once:")
            compare_encoders(embedder, X, y, args.runs, folder)
    if not args.skip_command:
        for extra in (["--animate"], []):
            wall, fit_seconds = command_seconds(args.runs, extra)
            name = " ".join(["sk-colour-embed", *extra])
            print(f"{name}: {wall:.1f} s wall (median of {args.runs}), fit_seconds {fit_seconds}")


if __name__ == "__main__":
    main()
