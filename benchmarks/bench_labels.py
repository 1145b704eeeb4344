"""What placing the labels of ``plot_embedding`` costs, by the number of labels.

python benchmarks/bench_labels.py [--runs 3]

The tutorial's 2-D embedding of the 148 CSS colours; the first ``n`` drawn
and labelled (``labels=True``), median seconds of ``--runs`` for the whole
``plot_embedding``, and the pairs of labels that overlap afterwards. Up to 50
labels are placed by adjustText; for 100, the same placement is timed on its
own (``plot_embedding`` writes more than 50 labels above their points
unplaced, because of this cost).
"""

import argparse
import time

import numpy as np

from _common import machine, median


def overlaps(ax):
    renderer = ax.figure.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in ax.texts]
    return sum(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from sk_colour_embed import PairSimilarityEmbedder, load_colours, plotting

    print(machine())
    X, y = load_colours("css4", return_X_y=True)
    embedder = PairSimilarityEmbedder(2, random_state=0).fit(X, y)
    for n in (10, 23, 50):
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            ax = plotting.plot_embedding(embedder, X.head(n), y.head(n), labels=True)
            seconds.append(time.perf_counter() - start)
            overlapping = overlaps(ax)
            plt.close(ax.figure)
        print(f"{n} labels: plot_embedding {median(seconds):.2f} s, {overlapping} overlapping")
    n = 100
    seconds = []
    for _ in range(args.runs):
        ax = plotting.plot_embedding(embedder, X.head(n), y.head(n), labels=False)
        points = embedder.transform(X.head(n))
        texts = [
            ax.text(*point, name, **plotting._LABEL_STYLE)
            for point, name in zip(points, X["name"].head(n), strict=True)
        ]
        start = time.perf_counter()
        plotting._place_labels(ax, texts, points, np.asarray(points))
        seconds.append(time.perf_counter() - start)
        overlapping = overlaps(ax)
        plt.close(ax.figure)
    print(f"{n} labels: placing alone {median(seconds):.2f} s, {overlapping} overlapping")


if __name__ == "__main__":
    main()
