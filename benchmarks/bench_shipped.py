"""The recommended colour embedder with its shipped fit: a fresh process's first vectors,
and a product model's fit beside one-hot + TF-IDF.

- (a) A fresh Python process imports the package, fits ``colour_embedder()`` (a
  load of the shipped fit) and turns 1,000 names into vectors, with TensorFlow
  made unimportable: the wall time of the whole process, median of 5.
- (b) In one process where TensorFlow has not been imported: the fit of a Ridge
  on a product table of 2,000 rows whose colour column is encoded by the
  recommended embedder and one-hot, against one-hot + TF-IDF character n-grams,
  median of 5 fits each; the ratio.

    python benchmarks/bench_shipped.py
"""

import platform
import subprocess
import sys
import time

import numpy as np

FRESH = """
import sys
sys.modules['tensorflow'] = None
sys.modules['keras'] = None
from sk_colour_embed import colour_embedder
names = [f"{{colour}} {{i % 7}}" for i, colour in enumerate(["Midnight Blue", "burgandy",
         "Rosso Corsa", "heather grey", "OLIVE green"] * 200)]
vectors = colour_embedder(words={words}).fit(names).transform(names)
assert vectors.shape == (1000, 11)
"""


def fresh_process_seconds(words, repeat=5):
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        code = FRESH.format(words=words)
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def product_fits(repeat=5):
    """Median fit seconds of the two product models, in this process (no TensorFlow)."""
    sys.modules["tensorflow"] = None  # the shipped fit needs none: prove it
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from sk_colour_embed import colour_embedder, load_colours

    X, y = load_colours(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.integers(len(X), size=2000)
    names = X["name"].to_numpy()[rows]
    names = [n.title() if i % 3 else n for i, n in enumerate(names)]
    table = pd.DataFrame({"colour": names, "size": rng.uniform(size=2000)})
    target = y.to_numpy()[rows].sum(axis=1) + rng.normal(scale=0.1, size=2000)
    one_hot = OneHotEncoder(handle_unknown="ignore")
    models = {
        "one-hot + TF-IDF": make_column_transformer(
            (one_hot, ["colour"]),
            (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), "colour"),
            remainder="passthrough",
        ),
        "one-hot + recommended embedder": make_column_transformer(
            (one_hot, ["colour"]),
            (colour_embedder(), ["colour"]),
            remainder="passthrough",
        ),
    }
    seconds = {}
    for name, columns in models.items():
        times = []
        for _ in range(repeat):
            model = make_pipeline(columns, SimpleImputer(), Ridge())
            start = time.perf_counter()
            model.fit(table, target)
            times.append(time.perf_counter() - start)
        seconds[name] = float(np.median(times))
    return seconds


def main():
    print(f"# bench_shipped: {platform.machine()}, Python {platform.python_version()}")
    for words in (False, True):
        seconds = fresh_process_seconds(words)
        print(f"(a) fresh process, colour_embedder(words={words}), 1,000 names: {seconds:.2f} s")
    seconds = product_fits()
    for name, value in seconds.items():
        print(f"(b) {name}: fit {value:.3f} s")
    ratio = seconds["one-hot + recommended embedder"] / seconds["one-hot + TF-IDF"]
    print(f"(b) ratio: {ratio:.2f}x")


if __name__ == "__main__":
    main()
