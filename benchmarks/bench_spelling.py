"""Known names as people type them: where misspelt and reformatted xkcd names land.

The recommended reading (the tutorial's lookup and an ``unseen_regressor``,
``docs/getting_started.rst``) is fitted on the 949 xkcd colours with the
tutorial's settings. Each name of a written set of variants of known names
(another case, spacing or hyphenation; a letter dropped, doubled, swapped
with its neighbour or typed as a neighbour on the keyboard; and a hand-written
list of common misspellings such as "burgandy") is placed, and the script
reports the share whose own name is among the 5 known names nearest to its
vector, with the variant rule of ``RegressedItemVectors`` (a known name's
vector for a name that spells it otherwise) and with the regressor alone.

    python benchmarks/bench_spelling.py [--dims 3] [--configs lookup+char3-mlp lookup+wv-mlp]
"""

import argparse
import time

import numpy as np

from sk_colour_embed import PairSimilarityEmbedder, load_colours

from _common import machine
from bench_open_vocabulary import CONFIGS

# Common misspellings of colour names, each with the xkcd name it stands for.
WRITTEN = {
    "burgandy": "burgundy",
    "Burgundy ": "burgundy",
    "fuschia": "fuchsia",
    "lavendar": "lavender",
    "turqoise": "turquoise",
    "turquiose": "turquoise",
    "magneta": "magenta",
    "maroone": "maroon",
    "chartruse": "chartreuse",
    "vermillion": "vermillion",
    "aquamarin": "aquamarine",
    "terracota": "terracotta",
    "periwinkel": "periwinkle",
    "mauv": "mauve",
    "ocher": "ochre",
    "Dark  Olive-Green": "dark olive green",
    "NAVY BLUE": "navy blue",
    "Sky-Blue": "sky blue",
    "forest_green": "forest green",
    "Light   Grey": "light grey",
    "dark turqoise": "dark turquoise",
    "pale lavendar": "pale lavender",
    "Bright Fuschia": "fuchsia",
    "light burgandy": "burgundy",
    "cornflower bleu": "cornflower blue",
}
KEYBOARD = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopoasdfghjklkxcvbnm", strict=True))


def typed(name, rng):
    """One variant of ``name`` as someone might type it."""
    kind = rng.integers(6)
    if kind == 0:
        return name.title()
    if kind == 1:
        return name.upper().replace(" ", "  ")
    if kind == 2:
        return name.replace(" ", "-").title()
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    i = int(rng.choice(letters[1:-1] if len(letters) > 2 else letters))
    if kind == 3:  # a letter dropped
        return name[:i] + name[i + 1 :]
    if kind == 4:  # a letter doubled
        return name[:i] + name[i] + name[i:]
    if name[i + 1 : i + 2].isalpha():  # swapped with its neighbour
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + KEYBOARD.get(name[i], name[i]) + name[i + 1 :]


def variants(names, n=300, seed=0):
    """``n`` typed variants of names of at least 6 letters, and the hand-written ones."""
    rng = np.random.default_rng(seed)
    long_enough = [name for name in names if len(name.replace(" ", "")) >= 6]
    chosen = rng.choice(long_enough, size=n, replace=False)
    pairs = {typed(name, rng): name for name in chosen}
    pairs = {variant: name for variant, name in pairs.items() if variant not in names}
    return {**pairs, **{v: n for v, n in WRITTEN.items() if n in names}}


def share_found(embedder, pairs, regressor_only=False):
    """Share of variants with their own name among the 5 known names nearest their vector."""
    vectors = embedder.vectors_
    found = []
    for variant, name in pairs.items():
        if regressor_only:
            point = vectors.regressor.predict(np.array([variant], dtype=object))[0]
            neighbours = vectors.similar_by_vector(point, topn=5)
        else:
            neighbours = vectors.most_similar(variant, topn=5)
        found.append(name in [key for key, _ in neighbours])
    return float(np.mean(found))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=["lookup+char3-mlp", "lookup+wv-mlp"])
    args = parser.parse_args()
    X, y = load_colours(return_X_y=True)
    names = set(X["name"])
    pairs = variants(sorted(names))
    print(f"# bench_spelling: {machine()}")
    print(f"{len(pairs)} variants of known names ({len(WRITTEN)} written by hand)\n")
    print("| reading | own name in the 5 nearest | regressor alone | fit s |")
    print("|---|---|---|---|")
    for config in args.configs:
        start = time.perf_counter()
        embedder = PairSimilarityEmbedder(args.dims, **CONFIGS[config](), random_state=0)
        embedder.fit(X, y)
        seconds = time.perf_counter() - start
        found, alone = share_found(embedder, pairs), share_found(embedder, pairs, True)
        print(f"| {config} | {found:.1%} | {alone:.1%} | {seconds:.1f} |")
    embedder_names = embedder.vectors_
    for variant in ["burgandy", "Dark  Olive-Green", "Rosso Corsa", "zzzz qqq"]:
        print(variant, "->", [key for key, _ in embedder_names.most_similar(variant, topn=3)])


if __name__ == "__main__":
    main()
