"""Does the embedding pay in a model of your own? A product table with a colour column.

A product table made here, seeded and deterministic: 30% of the 949 xkcd
colours are held out of the reference table the embedder learns from, and
the product colour names are written from the held-out colours, as shops
write them, so that none of them is in the reference. The ``first`` table
writes them four ways:

- typed: the name in another case or spacing ("DARK  OLIVE-GREEN");
- compound: the name with an evocative word of its hue and a finish
  ("Midnight Navy Blue Metallic");
- misspelled: one letter dropped, doubled, swapped or replaced ("burgandy");
- brand: invented names, an Italian colour word or an evocative word of the
  hue beside a made-up word ("Rosso Corsa"-like: "Rosso Vilano").

The ``second`` table, kept apart for checking, holds out other colours
(another seed) and writes them other ways: retail abbreviations ("DK OLV
GRN"), fashion compounds ("Washed Sage Green Marl"), keyboard typos and
joined words, and French brand names ("Bleu Tarine").

Each name appears with a long-tailed (Zipf) frequency; rows are split in
halves at random, so many test rows have a name absent from the training
rows (the share is printed). The target, a price, depends on how the colour
looks (the lightness and saturation of its true RGB, and their product), on
a product category, a brand and a size, plus noise.

Every configuration of ``CONFIGS`` encodes the colour column, alone or as a
union of encoders of the same column (``|``), and the other columns the
same way (one-hot, passthrough), in one ``ColumnTransformer`` followed by a
``SimpleImputer`` (the embedder gives NaN to missing names); then two
models of the features: ``RidgeCV`` after ``StandardScaler`` (alphas 1e-3 to
1e3, chosen by leave-one-out on the training rows) and
``HistGradientBoostingRegressor`` (defaults). The features are fitted once
per configuration and shared by both models, which is what
``Pipeline([features, model])`` computes. Printed: test R^2 on all test rows
and on the rows whose name is absent from the training rows (the unseen
names), and on these by style for the best configurations; seconds to fit
the features on the training rows (an embedder trains on the reference
then, every time: the fit cache is cleared), to transform the test rows,
and to fit and predict with both models. ``true RGB`` reads the colour's
true RGB instead of its name, the ceiling of a reading of names by their
colour; ``true colour terms`` reads the three terms the price is made of
(an oracle); ``no colour`` leaves the column out (the floor). Last, what
each encoding alone says of a product name's colour: the RGB R^2 of a
ridge fitted from the reference names' encodings to their RGB.

The ``supervised reading`` configurations measure a ceiling for any reader
of the names' offline features (words and ``char_wb`` 3-grams by TF-IDF,
and word vectors): each distinct product name gets the RGB that a regressor
(``krr``, an RBF kernel ridge tuned by an inner CV, or ``mlp``, the
package's ``MLPRegressor``) predicts from those features, fitted on the
product names of the other 4 of 5 seeded folds and their true RGB (``+ref``:
and on the reference's names and RGB). No name sees its own colour, but
the reader is trained, with a supervision no user has, on this table's own
kind of names; most colours are written several ways, so a name's colour
is usually learned under another of its names (``by colour``: folds that
keep each colour's names together, so that none is seen). The predicted RGB
(3 columns) is used alone, beside one-hot, and beside word vectors and
one-hot, as any other encoding. Printed after the configurations, on the
unseen-name test rows and per model: the best non-embedding configuration
run, the recommended pipeline (``colour_embedder(words=True)``'s settings
beside word vectors and one-hot), the best supervised reading, and their
margins over the best non-embedding configuration, against the +0.10 of
the project's target.

The embedder is the configuration the README and docs/getting_started.rst
recommend for names never seen: the tutorial's lookup trained on the
reference, with an ``unseen_regressor`` that places the product names, all
absent from the reference. Its regressor reads names with words and
pretrained word vectors (``wv``, the ``words`` extra), with words and
character 3-grams (``tfidf``, no extra), or with all three (``wv+char3``).
The tutorial's training settings (100,000 pairs, 500 epochs): the reference
is small, so its training is affordable here. Before the timed fits, each
embedder shape is fitted once untimed, so that the one-off XLA compilation
is not counted in one configuration's seconds. skrub's ``TextEncoder``
downloads a language model at run time, so it is not among the encoders.

    python benchmarks/bench_downstream.py [--table first second] [--rows 2000]
        [--configs NAME ...] [--log FILE] [--split-seed 0]

Both tables and the configurations before the supervised readings took 14
minutes on a shared 2-core machine under load. To add a pipeline, add one line
to ``CONFIGS``: a name and the list of the colour column's encoders, each a
function of the reference.
"""

import argparse
import colorsys
import time
import warnings
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from sk_colour_embed import PairSimilarityEmbedder, WordVectors, load_colours
from sk_colour_embed._recommended import names_to_vectors
from sk_colour_embed._reference import FITS

from _common import machine

COLOUR = "colour"
# Kept in the table for the ceilings only: the true RGB, and the three terms the colour's
# effect on the price is a sum of (standardised lightness, saturation and their product).
TRUE_RGB = ["true_r", "true_g", "true_b"]
TRUE_TERMS = ["true_light", "true_sat", "true_light_x_sat"]

# ---------------------------------------------------------------- the product tables

# Basic colour families: a prototype in RGB, and the words a shop might name them by.
FAMILIES = {
    "red": ((0.80, 0.10, 0.10), "rosso", "rouge", ["Ruby", "Cherry", "Flame", "Garnet"]),
    "orange": ((1.00, 0.50, 0.05), "arancio", "orange", ["Tangerine", "Sunset", "Copper"]),
    "yellow": ((1.00, 0.90, 0.10), "giallo", "jaune", ["Lemon", "Sunflower", "Canary"]),
    "green": ((0.10, 0.60, 0.15), "verde", "vert", ["Forest", "Jade", "Emerald", "Moss"]),
    "blue": ((0.10, 0.25, 0.80), "blu", "bleu", ["Ocean", "Sapphire", "Lagoon", "Denim"]),
    "purple": ((0.50, 0.10, 0.60), "viola", "violet", ["Amethyst", "Orchid", "Grape"]),
    "pink": ((1.00, 0.60, 0.75), "rosa", "rose", ["Blossom", "Flamingo", "Petal"]),
    "brown": ((0.50, 0.30, 0.10), "marrone", "brun", ["Mocha", "Walnut", "Espresso"]),
    "grey": ((0.50, 0.50, 0.50), "grigio", "gris", ["Storm", "Graphite", "Pewter"]),
    "black": ((0.05, 0.05, 0.05), "nero", "noir", ["Obsidian", "Onyx", "Midnight"]),
    "white": ((0.95, 0.95, 0.93), "bianco", "blanc", ["Alpine", "Glacier", "Frost"]),
}
PROTOTYPES = np.array([family[0] for family in FAMILIES.values()])
FINISHES = ["Metallic", "Pearl", "Matte", "Gloss", "Satin", "Mica", "Sheen"]
FASHION = (["Washed", "Heather", "Vintage", "Stone-Washed", "Garment-Dyed"], ["Marl", "Melange"])
ABBREVIATIONS = {
    "light": "LT", "dark": "DK", "pale": "PL", "bright": "BRT", "deep": "DP", "blue": "BLU",
    "green": "GRN", "grey": "GRY", "black": "BLK", "white": "WHT", "purple": "PRPL",
    "pink": "PNK", "brown": "BRN", "orange": "ORG", "yellow": "YLW", "red": "RD",
    "navy": "NVY", "olive": "OLV", "violet": "VLT", "turquoise": "TRQ", "lavender": "LAV",
}  # fmt: skip
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
CONSONANTS, VOWELS = "bcdflmnprstvz", "aeiou"


def family_of(rgb):
    """The basic colour family nearest to ``rgb``."""
    return list(FAMILIES)[int(np.argmin(((PROTOTYPES - rgb) ** 2).sum(axis=1)))]


def invented_word(rng):
    """A made-up, brand-like word of two or three syllables ("Corsa", "Vilano")."""
    syllables = [rng.choice(list(CONSONANTS)) + rng.choice(list(VOWELS)) for _ in range(3)]
    word = "".join(syllables[: rng.integers(2, 4)])
    if rng.random() < 0.4:
        word = word[:-1] + rng.choice(list("lnrs")) + word[-1]
    return word.title()


def typed(name, rng, rgb):
    """The name in another case or spacing."""
    words = name.split()
    forms = [
        name.upper(),
        name.title(),
        "  ".join(words),
        "-".join(w.title() for w in words),
        f" {name.title()} ",
        " ".join(words[:-1] + [words[-1].upper()]),
    ]
    return forms[rng.integers(len(forms))]


def compound(name, rng, rgb):
    """An evocative word of the name's hue, the name, and a finish."""
    evocative = rng.choice(FAMILIES[family_of(rgb)][3])
    finish = rng.choice(FINISHES)
    parts = [[evocative, name.title(), finish], [name.title(), finish], [evocative, name.title()]]
    return " ".join(parts[rng.integers(3)])


def misspelled(name, rng, rgb):
    """One letter of one word dropped, doubled, swapped with the next or replaced."""
    words = name.split()
    long = [i for i, word in enumerate(words) if len(word) >= 4] or [0]
    i = long[rng.integers(len(long))]
    word = words[i]
    at = int(rng.integers(1, max(2, len(word) - 1)))
    edit = rng.integers(4)
    if edit == 0:
        word = word[:at] + word[at + 1 :]
    elif edit == 1:
        word = word[:at] + word[at] + word[at:]
    elif edit == 2 and at + 1 < len(word):
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        vowel = rng.choice([v for v in VOWELS if v != word[at]])
        word = word[:at] + vowel + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def italian_brand(name, rng, rgb):
    """An Italian colour word or an evocative word of the hue, and a made-up word."""
    family = FAMILIES[family_of(rgb)]
    first = family[1].title() if rng.random() < 0.5 else rng.choice(family[3])
    return f"{first} {invented_word(rng)}"


def abbreviated(name, rng, rgb):
    """Retail codes: known words abbreviated, the name upper case."""
    return " ".join(ABBREVIATIONS.get(word, word.upper()) for word in name.split())


def fashion(name, rng, rgb):
    """A fashion treatment before or after the name."""
    before, after = FASHION
    if rng.random() < 0.6:
        return f"{rng.choice(before)} {name.title()}"
    return f"{name.title()} {rng.choice(after)}"


def typo_or_joined(name, rng, rgb):
    """A letter replaced by its keyboard neighbour, or the words joined."""
    words = name.split()
    if len(words) > 1 and rng.random() < 0.4:
        return "".join(words) if rng.random() < 0.5 else "".join(w.title() for w in words)
    i = int(rng.integers(len(words)))
    word = words[i]
    at = int(rng.integers(len(word)))
    row = next((r for r in KEYBOARD if word[at] in r), None)
    if row is not None:
        j = row.index(word[at]) + (1 if rng.random() < 0.5 else -1)
        word = word[:at] + row[min(max(j, 0), len(row) - 1)] + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def french_brand(name, rng, rgb):
    """A French colour word and a made-up word."""
    return f"{FAMILIES[family_of(rgb)][2].title()} {invented_word(rng)}"


TABLES = {
    # styles (functions of the name, the rng and the RGB, which some read for the hue), their
    # shares; product categories with their effect on the price; the colour's effect
    "first": dict(
        seed=0,
        styles=[(typed, 0.25), (compound, 0.3), (misspelled, 0.2), (italian_brand, 0.25)],
        categories={"t-shirt": -1.0, "hoodie": 0.2, "sneakers": 1.0, "mug": -1.5,
                    "backpack": 0.5, "phone case": -0.8},
        colour=lambda light, sat, light_x_sat: light + 0.7 * sat + 0.5 * light_x_sat,
    ),
    "second": dict(
        seed=1,
        styles=[(abbreviated, 0.25), (fashion, 0.3), (typo_or_joined, 0.2), (french_brand, 0.25)],
        categories={"sofa": 1.2, "armchair": 0.4, "cushion": -1.2, "rug": 0.0, "lamp": -0.6},
        colour=lambda light, sat, light_x_sat: -light + 0.8 * sat - 0.4 * light_x_sat,
    ),
}  # fmt: skip


def standardised(values):
    return (values - values.mean()) / values.std()


def product_table(kind, n_rows=2000, n_names=3000, held_out=0.3, zipf=0.7):
    """The product table, and the reference: the xkcd colours not held out.

    Returns ``(table, reference)``; ``table`` has the columns ``colour``,
    ``category``, ``brand``, ``size``, the true RGB of the colour (for the
    ceiling only) and ``price``, the target. The same arguments give the same
    table.
    """
    spec = TABLES[kind]
    rng = np.random.default_rng(spec["seed"])
    X, y = load_colours("xkcd", return_X_y=True)
    out = rng.permutation(len(X)) < round(held_out * len(X))
    reference = (X[~out].reset_index(drop=True), y[~out].reset_index(drop=True))
    styles, shares = zip(*spec["styles"], strict=True)
    known = set(X["name"])

    names, colours, written_by = {}, [], []
    held = np.flatnonzero(out)
    for _ in range(n_names):
        # a held-out colour, written in one of the styles: a name may come twice, once kept
        colour_at = held[rng.integers(len(held))]
        name, rgb = X["name"][colour_at], y.to_numpy()[colour_at]
        style = styles[rng.choice(len(styles), p=shares)]
        written = style(name, rng, rgb)
        if written not in names and written.strip().lower() not in known:
            names[written] = len(colours)
            colours.append(rgb)
            written_by.append(style.__name__)
    written, colours = np.array(list(names), dtype=object), np.array(colours)
    written_by = np.array(written_by, dtype=object)
    # long-tailed: the frequency of the k-th most common name is proportional to 1 / k**zipf
    weights = 1.0 / rng.permutation(np.arange(1, len(written) + 1)) ** zipf
    drawn = rng.choice(len(written), size=n_rows, p=weights / weights.sum())

    rgb = colours[drawn]
    _, light, sat = np.array([colorsys.rgb_to_hls(*c) for c in rgb]).T
    terms = [standardised(light), standardised(sat)]
    terms.append(terms[0] * terms[1])
    colour = standardised(spec["colour"](*terms))
    categories = list(spec["categories"])
    category = rng.choice(categories, size=n_rows)
    brands = [f"brand {i:02d}" for i in range(25)]
    brand = rng.choice(brands, size=n_rows, p=(w := 1.0 / np.arange(1, 26)) / w.sum())
    brand_effect = dict(zip(brands, rng.normal(0, 0.5, size=25), strict=True))
    size = rng.uniform(0, 1, size=n_rows)
    price = (
        50
        + 10 * colour
        + 6 * np.array([spec["categories"][c] for c in category])
        + 6 * np.array([brand_effect[b] for b in brand])
        + 8 * size
        + rng.normal(0, 4, size=n_rows)
    )
    columns = {COLOUR: written[drawn], "category": category, "brand": brand, "size": size}
    columns |= dict(zip(TRUE_RGB, rgb.T, strict=True)) | dict(zip(TRUE_TERMS, terms, strict=True))
    table = pd.DataFrame(columns | {"style": written_by[drawn], "price": price})
    return table, reference


def split(table, seed=0):
    """Training and test rows, half and half at random."""
    test = np.random.default_rng(seed).permutation(len(table)) < len(table) // 2
    return table[~test].reset_index(drop=True), table[test].reset_index(drop=True)


# ------------------------------------------ the encoders of the colour column, and the configs
# Each is a function of the reference table, and returns (transformer, columns) for a
# ColumnTransformer: a list of columns gives the transformer a DataFrame of that column, a
# column name a Series (text vectorizers take one).


def one_hot(reference):
    return OneHotEncoder(handle_unknown="ignore", sparse_output=False), [COLOUR]


def tfidf_svd(reference):
    """Character 2-4-grams within words, TF-IDF, 30 SVD components."""
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    return make_pipeline(tfidf, TruncatedSVD(30, random_state=0)), COLOUR


def string_encoder(reference):
    import skrub

    return skrub.StringEncoder(n_components=30, random_state=0), COLOUR


def min_hash(reference):
    import skrub

    return skrub.MinHashEncoder(n_components=30), COLOUR


def word_vectors(reference):
    return WordVectors(), [COLOUR]


def names_to_vectors_all():
    """The package's regressor of names, reading words, 3-grams and word vectors together.

    ``names_to_vectors()`` (foreign colour words in English, words and ``char_wb``
    3-grams, then an ``MLPRegressor``) with :class:`WordVectors` added to the features
    it reads.
    """
    regressor = names_to_vectors()
    regressor.named_steps["featureunion"].transformer_list.append(("wordvectors", WordVectors()))
    return regressor


def embedder(reference, n_components=8, reader="wv", **params):
    """The recommended embedder: the lookup on the reference, and an ``unseen_regressor``.

    ``reader`` is what the regressor reads names with: ``"wv"`` words and word
    vectors (the ``words`` extra), ``"tfidf"`` words and character 3-grams,
    ``"wv+char3"`` all three.
    ``params`` go to ``PairSimilarityEmbedder``.
    """
    regressor = {
        "wv": partial(names_to_vectors, words=True),
        "tfidf": names_to_vectors,
        "wv+char3": names_to_vectors_all,
    }[reader]()
    params = dict(
        reference=reference,
        unseen_regressor=regressor,
        handle_unknown="ignore",
        random_state=0,
        **params,
    )
    return PairSimilarityEmbedder(n_components, **params), [COLOUR]


def true_rgb(reference):
    return "passthrough", TRUE_RGB


def true_terms(reference):
    return "passthrough", TRUE_TERMS


# ------------------------------------------------------------ the supervised reading ceiling
# The most any reader of the names' offline features could tell a downstream model of their
# colour: each product name's RGB as predicted from those features by a regressor trained on
# this table's own product names and their true RGB, a supervision no user has. Cross-fitted
# over the distinct names (``read_names``), computed once per table by ``run`` and kept in
# ``READINGS`` for the encoders of the configurations, by their ``Reading``.
SUPERVISED = "supervised reading"


class Reading(NamedTuple):
    """A supervised reading: its regressor, its training names, its folds."""

    regressor: str  # a key of REGRESSORS
    with_reference: bool  # trained on the reference's names and RGB too
    by_colour: bool  # folds by colour: no name of the colour is seen, not only the name

    def label(self):
        short = {"kernel ridge": "krr", "MLP": "mlp"}[self.regressor]
        return short + "+ref" * self.with_reference + " by colour" * self.by_colour


READINGS = {}

# The kernel ridge's grid, chosen by an inner 3-fold CV of each fold's training names.
ALPHAS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]
GAMMAS = [0.03, 0.1, 0.3, 1.0]


def kernel_ridge(train_features, train_rgb, test_features):
    """An RBF kernel ridge of the centred RGB, its alpha and gamma chosen by an inner 3-fold CV.

    The squared distances are computed once, and each gamma's kernel once
    for all its alphas and inner folds. Returns the test rows' RGB and the
    chosen ``(alpha, gamma)``.
    """
    centre = train_rgb.mean(axis=0)  # a kernel ridge has no intercept
    distances = euclidean_distances(train_features, squared=True)
    best = None
    for gamma in GAMMAS:
        search = GridSearchCV(
            KernelRidge(kernel="precomputed"),
            {"alpha": ALPHAS},
            cv=KFold(3, shuffle=True, random_state=0),
        ).fit(np.exp(-gamma * distances), train_rgb - centre)
        if best is None or search.best_score_ > best[0]:
            best = (search.best_score_, gamma, search.best_estimator_)
    _, gamma, model = best
    test_kernel = np.exp(-gamma * euclidean_distances(test_features, train_features, squared=True))
    return model.predict(test_kernel) + centre, (model.alpha, gamma)


def mlp(train_features, train_rgb, test_features):
    """The package's regressor of names (64 hidden units, alpha 0.1), seeded."""
    model = names_to_vectors()[-1].set_params(random_state=0)
    return model.fit(train_features, train_rgb).predict(test_features), ()


REGRESSORS = {"kernel ridge": kernel_ridge, "MLP": mlp}


def read_names(table, reference, reading, n_folds=5, seed=0):
    """Each distinct product name's RGB, predicted by a regressor that never saw it.

    The features are the best offline reading the package offers: foreign colour
    words in English, then words and ``char_wb`` 3-grams (TF-IDF) and word vectors, those of
    :func:`names_to_vectors_all`. The distinct names are split in
    ``n_folds`` seeded folds; each fold's names are predicted by the
    reading's regressor fitted on the other folds' names and their true RGB
    (and, ``with_reference``, on the reference's names and RGB too). Most
    colours are written several ways in a table, so a name's colour is
    usually among the training names under another name; ``by_colour``
    folds keep each colour's names together, so that no name of the colour
    is seen. The features are fitted on the same training names; the kernel
    ridge's inner CV shares them (their vocabulary), which can only help it.

    Returns ``(lookup, by_style, choices)``: the predicted RGB of each name,
    the RGB R^2 over the distinct names, all and by style, and what the
    regressor chose in each fold (the kernel ridge's alpha and gamma).
    """
    names = table.drop_duplicates(COLOUR).reset_index(drop=True)
    written, rgb = names[COLOUR].to_numpy(dtype=object), names[TRUE_RGB].to_numpy()
    reference_names = reference[0]["name"].to_numpy(dtype=object)
    reference_rgb = reference[1].to_numpy()
    if reading.by_colour:
        colours = np.unique(rgb, axis=0, return_inverse=True)[1].ravel()
        folds = GroupKFold(n_folds, shuffle=True, random_state=seed).split(written, groups=colours)
    else:
        folds = KFold(n_folds, shuffle=True, random_state=seed).split(written)
    predicted, choices = np.empty_like(rgb), []
    for train, test in folds:
        fit_names, fit_rgb = written[train], rgb[train]
        if reading.with_reference:
            fit_names = np.concatenate([fit_names, reference_names])
            fit_rgb = np.concatenate([fit_rgb, reference_rgb])
        features = names_to_vectors_all()[:-1].fit(fit_names)
        predicted[test], chosen = REGRESSORS[reading.regressor](
            features.transform(fit_names), fit_rgb, features.transform(written[test])
        )
        choices.append(chosen)
    return dict(zip(written, predicted, strict=True)), r2_by_style(names, predicted), choices


def looked_up(lookup, X):
    """The rows' predicted RGB, from the names of the column ``colour`` of ``X``."""
    missing = [name for name in X[COLOUR] if name not in lookup]
    if missing:
        raise KeyError(f"{missing[0]!r} is not a product name of the table read")
    return np.array([lookup[name] for name in X[COLOUR]])


def supervised_reading(reference, reading):
    """The colour column as 3 columns, the RGB the supervised reading predicts (``READINGS``)."""
    return FunctionTransformer(partial(looked_up, READINGS[reading])), [COLOUR]


CONFIGS = {
    # name: the colour column's encoders, a list; several make a union of their outputs
    "no colour (floor)": [],
    "true RGB (ceiling)": [true_rgb],
    "true colour terms (oracle)": [true_terms],
    "one-hot": [one_hot],
    "tf-idf+svd": [tfidf_svd],
    "tf-idf+svd | one-hot": [tfidf_svd, one_hot],
    "skrub string": [string_encoder],
    "skrub string | one-hot": [string_encoder, one_hot],
    "skrub minhash": [min_hash],
    "skrub minhash | one-hot": [min_hash, one_hot],
    "word vectors": [word_vectors],
    "word vectors | one-hot": [word_vectors, one_hot],
    "tf-idf+svd | word vectors | one-hot": [tfidf_svd, word_vectors, one_hot],
    "embed 3-D wv": [partial(embedder, n_components=3)],
    "embed 3-D wv | one-hot": [partial(embedder, n_components=3), one_hot],
    "embed 8-D wv": [embedder],
    "embed 8-D wv | one-hot": [embedder, one_hot],
    "embed 8-D tfidf": [partial(embedder, reader="tfidf")],
    "embed 8-D tfidf | one-hot": [partial(embedder, reader="tfidf"), one_hot],
    "embed 16-D wv | one-hot": [partial(embedder, n_components=16), one_hot],
    "embed 8-D wv | tf-idf+svd | one-hot": [embedder, tfidf_svd, one_hot],
    "embed 8-D wv | word vectors | one-hot": [embedder, word_vectors, one_hot],
    # colour_embedder's settings on this table's reference: missing names get the mean
    # vector, and the indicator columns say which rows were guessed and how far their
    # names are from a known one
    "embed 8-D wv+indicator | word vectors | one-hot": [
        partial(embedder, handle_missing="mean", add_indicator=True),
        word_vectors,
        one_hot,
    ],
    "embed 8-D tfidf | word vectors | one-hot": [
        partial(embedder, reader="tfidf"),
        word_vectors,
        one_hot,
    ],
    "embed 8-D wv+char3 | word vectors | one-hot": [
        partial(embedder, reader="wv+char3"),
        word_vectors,
        one_hot,
    ],
}


def supervised_configs():
    """The supervised reading ceiling's configurations.

    Each regressor, with and without the reference names, and with the
    reference by colour folds, alone, beside one-hot, and beside word
    vectors and one-hot (the best union without an embedding).
    """
    beside = {"": [], " | one-hot": [one_hot], " | word vectors | one-hot": [word_vectors, one_hot]}
    configs = {}
    for by_colour, with_reference in [(False, False), (False, True), (True, True)]:
        for regressor in REGRESSORS:
            reading = Reading(regressor, with_reference, by_colour)
            for others, encoders in beside.items():
                configs[f"{SUPERVISED} {reading.label()}{others}"] = [
                    partial(supervised_reading, reading=reading),
                    *encoders,
                ]
    return configs


CONFIGS |= supervised_configs()
CEILING_AND_FLOOR = {"no colour (floor)", "true RGB (ceiling)", "true colour terms (oracle)"}
# The pipeline docs/colour_columns.rst recommends: colour_embedder(words=True)'s settings.
RECOMMENDED = "embed 8-D wv+indicator | word vectors | one-hot"

MODELS = {
    "ridge": lambda: make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))),
    "hgb": lambda: HistGradientBoostingRegressor(random_state=0),
}


def features(encoders, reference):
    """The ColumnTransformer of a configuration, then an imputer for the embedder's NaN."""
    colour = [(f"colour{i}", *encoder(reference)) for i, encoder in enumerate(encoders)]
    others = [
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         ["category", "brand"]),
        ("size", "passthrough", ["size"]),
    ]  # fmt: skip
    return make_pipeline(ColumnTransformer(colour + others, sparse_threshold=0), SimpleImputer())


# ------------------------------------------------------------------------------ the run


def warm_up(configs, reference, train):
    """Fit each embedder shape once, untimed: the XLA compilation is a one-off per process."""
    seconds = {}
    for name in configs:
        for encoder in CONFIGS[name]:
            transformer, _ = encoder(reference)
            if isinstance(transformer, PairSimilarityEmbedder):
                shape = transformer.n_components
                if shape not in seconds:
                    start = time.perf_counter()
                    transformer.fit(train[[COLOUR]])
                    seconds[shape] = time.perf_counter() - start
    FITS.clear()
    return seconds


def evaluate(name, reference, train, test, unseen):
    """Test R^2 of each model, and seconds.

    R^2 on all test rows, on those with a name absent from the training rows,
    and on those by style; seconds to fit the features, to transform the test
    rows, and to fit and predict with the models.
    """
    FITS.clear()  # an embedder trains on the reference in every configuration's fit
    step = features(CONFIGS[name], reference)
    start = time.perf_counter()
    train_features = step.fit_transform(train, train["price"])
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    test_features = step.transform(test)
    transform_seconds = time.perf_counter() - start
    scores = {}
    start = time.perf_counter()
    for model_name, model in MODELS.items():
        predicted = model().fit(train_features, train["price"]).predict(test_features)
        styles = test["style"][unseen]
        scores[model_name] = (
            r2_score(test["price"], predicted),
            r2_score(test["price"][unseen], predicted[unseen]),
            {
                style: r2_score(
                    test["price"][unseen][styles == style], predicted[unseen][styles == style]
                )
                for style in sorted(set(styles))
            },
        )
    model_seconds = time.perf_counter() - start
    return scores, (fit_seconds, transform_seconds, model_seconds), train_features.shape[1]


def placement(encoder, reference, table):
    """RGB R^2 of the product names' colours, read from their encoding by a ridge.

    The encoder is fitted on the reference names (an embedder learns from the
    reference anyway); a ridge maps the reference names' encodings to their
    RGB and predicts the product names'. All distinct names, then by style.
    """
    names = table.drop_duplicates(COLOUR).reset_index(drop=True)
    X_ref, y_ref = reference
    reference_names = X_ref.set_axis([COLOUR], axis=1)
    transformer, columns = encoder(reference)
    transformer.fit(reference_names[columns])
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13))
    ridge.fit(transformer.transform(reference_names[columns]), y_ref.to_numpy())
    return r2_by_style(names, ridge.predict(transformer.transform(names[columns])))


def r2_by_style(names, predicted):
    """RGB R^2 of ``predicted`` against the true RGB of the distinct ``names``: all, by style."""
    true = names[TRUE_RGB].to_numpy()
    by_style = {"all": r2_score(true, predicted)}
    for style, rows in names.groupby("style").groups.items():
        by_style[style] = r2_score(true[rows], predicted[rows])
    return by_style


def is_supervised(name):
    return name.startswith(SUPERVISED)


def non_embedding(names):
    """The configurations a user could run without the embedder: no oracle, floor or ceiling."""
    return [
        name
        for name in names
        if not name.startswith("embed")
        and name not in CEILING_AND_FLOOR
        and not is_supervised(name)
    ]


def best_lines(results):
    """The best embedding and non-embedding configurations, per model and over both."""
    groups = {
        "embedding": [name for name in results if name.startswith("embed")],
        "non-embedding": non_embedding(results),
    }
    lines = []
    for rows, at in [("all", 0), ("unseen-name", 1)]:
        for models in [[model] for model in MODELS] + [list(MODELS)]:
            best = {}
            for group, names in groups.items():
                candidates = [(results[n][m][at], n, m) for n in names for m in models]
                if candidates:
                    best[group] = max(candidates)
            line = "; ".join(f"{g} {r2:.3f} ({n}, {m})" for g, (r2, n, m) in best.items())
            if len(best) == 2:
                line += f"; difference {best['embedding'][0] - best['non-embedding'][0]:+.3f}"
            lines.append(f"   best on {rows} test rows, {' or '.join(models)}: {line}")
    return "\n".join(lines), best


def prepare_readings(configs, table, reference, say):
    """Compute the supervised readings that ``configs`` use into ``READINGS``; say their R^2."""
    READINGS.clear()
    needed = {
        encoder.keywords["reading"]
        for name in configs
        for encoder in CONFIGS[name]
        if getattr(encoder, "func", None) is supervised_reading
    }
    if not needed:
        return
    say(
        f"   {SUPERVISED}s: each distinct product name's RGB predicted from words, char_wb "
        "3-grams and word vectors (foreign colour words read in English) by a regressor "
        "(krr: RBF kernel ridge, mlp: the package's "
        "MLPRegressor) fitted on the other 4 of 5 folds of the product names and their true RGB "
        "(+ref: and on the reference's names and RGB; by colour: folds that keep each colour's "
        "names together); RGB R^2 over the distinct product names, all and by style, and seconds "
        "of the 5 fits"
    )
    header = None
    for reading in sorted(needed):
        start = time.perf_counter()
        READINGS[reading], by_style, choices = read_names(table, reference, reading)
        seconds = time.perf_counter() - start
        if header is None:
            header = f"   {'reading':40s} " + " ".join(f"{style:>14s}" for style in by_style)
            say(header + f" {'s':>6s}")
        chosen = " ".join("/".join(f"{value:g}" for value in choice) for choice in choices)
        say(
            f"   {reading.label():40s} "
            + " ".join(f"{r2:14.3f}" for r2 in by_style.values())
            + f" {seconds:6.1f}"
            + (f" (alpha/gamma by fold: {chosen})" if chosen.strip() else "")
        )


def ceiling_lines(results):
    """On the unseen-name rows, per model: the best non-embedding, recommended and ceiling lines.

    The ceiling is the best of the supervised reading's configurations
    (either regressor, with or without the reference names, alone or in a
    union); its twin with folds by colour is the best of those. Margins are
    over the best non-embedding configuration, against the target's +0.10.
    Returns the lines, and the (configuration, model) of each ceiling.
    """
    lines, ceilings = [], []
    for model in MODELS:
        best = max((results[name][model][1], name) for name in non_embedding(results))
        parts = [f"best non-embedding {best[0]:.3f} ({best[1]})"]
        if RECOMMENDED in results:
            recommended = results[RECOMMENDED][model][1]
            parts.append(f"recommended {recommended:.3f}, margin {recommended - best[0]:+.3f}")
        for label, by_colour in [("supervised reading ceiling", False), ("by colour", True)]:
            supervised = [
                name
                for name in results
                if is_supervised(name) and (" by colour" in name) == by_colour
            ]
            if supervised:
                top = max((results[name][model][1], name) for name in supervised)
                margin = top[0] - best[0]
                verdict = "below" if margin < 0.10 else "at or above"
                parts.append(
                    f"{label} {top[0]:.3f} ({top[1]}), margin {margin:+.3f}, {verdict} +0.10"
                )
                ceilings.append((top[1], model))
        lines.append(f"   {model}: " + "; ".join(parts))
    return "\n".join(lines), ceilings


def run(kind, configs, n_rows, say, split_seed=0):
    table, reference = product_table(kind, n_rows=n_rows)
    train, test = split(table, seed=split_seed)
    unseen = ~test[COLOUR].isin(set(train[COLOUR])).to_numpy()
    counts = table[COLOUR].value_counts()
    head = counts.iloc[:10].sum() / len(table)
    say(
        f"\n== table {kind!r}: {len(table)} rows ({len(train)} train, {len(test)} test, split "
        f"seed {split_seed}), "
        f"{len(counts)} colour names (the 10 most common on {head:.0%} "
        f"of rows, {(counts == 1).sum()} on one row); reference {len(reference[0])} xkcd colours, "
        f"none of the product names in it; test rows with a name absent from the training rows: "
        f"{unseen.mean():.1%} ({unseen.sum()})"
    )
    by_style = table.drop_duplicates(COLOUR)["style"].value_counts()
    say("   names by style: " + ", ".join(f"{style} {n}" for style, n in by_style.items()))
    say("   examples: " + ", ".join(repr(n) for n in counts.index[::97][:10]))
    prepare_readings(configs, table, reference, say)
    warmed = warm_up(configs, reference, train)
    if warmed:
        say("   warm-up fits (XLA compilation included): " + ", ".join(
            f"{dims}-D {seconds:.1f} s" for dims, seconds in warmed.items()))  # fmt: skip
    say(
        f"   {'configuration':40s} {'ridge all':>9s} {'unseen':>7s} {'hgb all':>8s} "
        f"{'unseen':>7s} {'fit s':>7s} {'transf s':>8s} {'models s':>8s} {'n feat':>6s}"
    )
    results, placed = {}, {}
    for name in configs:
        scores, seconds, n_features = evaluate(name, reference, train, test, unseen)
        results[name] = scores
        (ridge, ridge_unseen, _), (hgb, hgb_unseen, _) = scores["ridge"], scores["hgb"]
        say(
            f"   {name:40s} {ridge:9.3f} {ridge_unseen:7.3f} {hgb:8.3f} {hgb_unseen:7.3f} "
            f"{seconds[0]:7.2f} {seconds[1]:8.2f} {seconds[2]:8.2f} {n_features:6d}"
        )
        if (
            len(CONFIGS[name]) == 1
            and name not in CEILING_AND_FLOOR | {"one-hot"}
            and not is_supervised(name)  # its reading's RGB R^2 is printed above
        ):
            placed[name] = placement(CONFIGS[name][0], reference, table)  # the fit just made

    def say_by_style(name, model):
        by_style = results[name][model][2]
        say(
            f"   {name + ', ' + model:46s} "
            + ", ".join(f"{style} {r2:.3f}" for style, r2 in by_style.items())
        )

    lines, best = best_lines(results)
    say(lines)
    if len(best) == 2:
        say("   R^2 on the unseen-name test rows by style, for the two best (and the ceiling):")
        compared = [(name, model) for _, name, model in best.values()]
        if "true RGB (ceiling)" in results:
            compared.append(("true RGB (ceiling)", "hgb"))
        for name, model in compared:
            say_by_style(name, model)
    if any(is_supervised(name) for name in results) and non_embedding(results):
        say(
            "   the supervised reading ceiling on the unseen-name test rows, against the best "
            "non-embedding configuration run, and the recommended pipeline:"
        )
        lines, ceilings = ceiling_lines(results)
        say(lines)
        for name, model in ceilings:
            say_by_style(name, model)
    if placed:
        styles = list(next(iter(placed.values())))
        say(
            "   what a colour column's encoding alone says of a product name's colour: RGB R^2 "
            "of a ridge from the reference names' encodings to their RGB, over the distinct "
            "product names, all and by style (brand names hold a hue word at most)"
        )
        say(f"   {'encoding':40s} " + " ".join(f"{style:>14s}" for style in styles))
        for name, by_style in placed.items():
            say(f"   {name:40s} " + " ".join(f"{r2:14.3f}" for r2 in by_style.values()))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", nargs="+", default=["first"], choices=list(TABLES))
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--log", help="also append what is printed to this file")
    parser.add_argument(
        "--split-seed", type=int, default=0, help="the seed of the rows' train/test split"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # convergence notes of the short MLP and Ridge fits

    def say(line):
        print(line, flush=True)
        if args.log:
            with open(args.log, "a") as log:
                log.write(line + "\n")

    say(machine())
    say(
        "R^2 on the test rows (all; those whose colour name is absent from the training rows); "
        "fit s: fitting the features on the training rows; transf s: the test rows; "
        "models s: fitting and predicting with both models"
    )
    # One thread for BLAS and OpenMP: on a shared 2-core machine, two threads of each of
    # several processes made the gradient boosting 15 times slower.
    with threadpool_limits(1):
        for kind in args.table:
            run(kind, args.configs, args.rows, say, args.split_seed)


if __name__ == "__main__":
    main()
