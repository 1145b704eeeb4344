"""Names never seen in training: held-out quality, the baselines, in-sample cost, speed.

On the 949 xkcd names, shuffled 5-fold ``KFold``, the tutorial's settings
otherwise (100,000 pairs, 500 epochs, batch 512, Adam 0.001):

- (a) held-out Spearman of the embedder with each vectorizer, over the
  held-out names that get a vector and over those with a word seen in
  training (the same names for every vectorizer), the share of held-out
  names that get a vector, and the RGB error of predicting a held-out
  name's colour from its 5 nearest training names, beside the mean-colour
  baseline; then supervised regressions from the same features straight to
  RGB (ridge and an RBF kernel ridge), as rough ceilings;
- (b) the unsupervised string-encoder baseline (TF-IDF of ``char_wb``
  3-4-grams, then ``TruncatedSVD`` to the same dimension) and a word-TF-IDF
  5-nearest-neighbour regression to RGB, on the same folds;
- (c) in-sample scores on all 949 names, five seeds, lookup against tokens;
- (d) time per epoch: lookup, tokens, and plain Keras ``model.fit`` of the
  token model on the same pairs.

    python benchmarks/bench_open_vocabulary.py [--dims 3 2] [--configs words ...]
        [--skip held-out in-sample speed]

``words+char3+own`` (word TF-IDF and TF-IDF of the character 3-grams
within words that two training names share, with the default
``name_vectors=True``) is the tutorial's reading of names as a
``vectorizer``, and ``words+wv+h32`` (word TF-IDF and :class:`WordVectors`,
a hidden layer of 32, no per-name vectors, batches of 2,048 at a learning
rate of 0.004) the best such reading with the ``words`` extra;
``words+wv+h32+own`` keeps the per-name vectors, ``words+wv`` has no hidden
layer, and ``wv`` reads the word vectors alone;
``words+char3`` leaves out the vectors of the training names.
``lookup+wv-mlp`` trains the tutorial's lookup and gives names never seen
the vectors of an ``unseen_regressor``, the package's own
``names_to_vectors(words=True)`` (an ``MLPRegressor`` from words and word
vectors, the configuration the docs recommend with the extra);
``lookup+char3-mlp`` uses ``names_to_vectors()``, which reads words and
3-grams instead (recommended without the extra). ``words+own``
and ``words`` read words only, with and without them; ``words-mean``
composes by the weighted mean.
"""

import argparse
import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline, make_union

from sk_colour_embed import PairSimilarityEmbedder, WordVectors, load_colours
from sk_colour_embed._items import descriptor_distances
from sk_colour_embed._recommended import names_to_vectors

from _common import draw_pairs, machine, median, timed_engine_fit, token_table


def recommended_vectorizer():
    """Words, and the 3-grams within words that two training names share (docs/getting_started)."""
    return make_union(
        TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2)
    )


# The settings of the best vectorizer reading with word vectors (docs/getting_started).
WITH_WORD_VECTORS = dict(
    hidden_layer_sizes=(32,), name_vectors=False, batch_size=2048, learning_rate=0.004
)


def with_word_vectors():
    """Words and pretrained word vectors (the ``words`` extra; docs/getting_started)."""
    return make_union(TfidfVectorizer(), WordVectors())


CONFIGS = {
    # the tutorial's reading: words and character 3-grams, and a vector per training name
    "words+char3+own": lambda: dict(vectorizer=recommended_vectorizer()),
    "words+char3": lambda: dict(vectorizer=recommended_vectorizer(), name_vectors=False),
    "words+own": lambda: dict(vectorizer=TfidfVectorizer()),
    "words": lambda: dict(vectorizer=TfidfVectorizer(), name_vectors=False),
    # the weighted mean: weights re-normalised to sum to 1
    "words-mean": lambda: dict(vectorizer=TfidfVectorizer(norm="l1"), name_vectors=False),
    # pretrained word vectors (the words extra): the best reading, then one change each
    "words+wv+h32": lambda: dict(WITH_WORD_VECTORS, vectorizer=with_word_vectors()),
    "words+wv+h32+own": lambda: dict(
        WITH_WORD_VECTORS, vectorizer=with_word_vectors(), name_vectors=True
    ),
    "words+wv": lambda: dict(vectorizer=with_word_vectors(), name_vectors=False),
    "wv": lambda: dict(vectorizer=WordVectors(), name_vectors=False),
    # the tutorial's lookup, then the package's recommended regressor from names to its
    # vectors for names never seen: with the words extra, and from the spelling alone
    "lookup+wv-mlp": lambda: dict(unseen_regressor=names_to_vectors(words=True)),
    "lookup+char3-mlp": lambda: dict(unseen_regressor=names_to_vectors()),
}
FOLDS = KFold(5, shuffle=True, random_state=0)


def spearman(vectors, rgb):
    first, second = np.triu_indices(len(vectors), k=1)
    embedded = np.sum(np.square(vectors[first] - vectors[second]), axis=1)
    return spearmanr(embedded, descriptor_distances(rgb, first, second)).statistic


def rms(predicted, rgb):
    return float(np.sqrt(np.mean(np.square(predicted - rgb))))


def with_a_known_word(names_train, names_test):
    """Which of ``names_test`` have a word (read by TfidfVectorizer) of ``names_train``."""
    return TfidfVectorizer().fit(names_train).transform(names_test).getnnz(axis=1) > 0


def lookup_seconds(X, y, dims):
    """Median over the folds of a lookup fit's seconds per epoch, compilation included."""
    seconds = []
    for fold, (train, _) in enumerate(FOLDS.split(X)):
        start = time.perf_counter()
        embedder = PairSimilarityEmbedder(dims, random_state=fold).fit(X.iloc[train], y.iloc[train])
        seconds.append((time.perf_counter() - start) / embedder.n_iter_)
    return np.median(seconds)


def held_out(X, y, dims, config):
    """Per fold: Spearman (all with a vector; with a known word), share with a vector,
    5-NN RGB error, mean-colour error, seconds per epoch of the whole fit."""
    rows = []
    for fold, (train, test) in enumerate(FOLDS.split(X)):
        embedder = PairSimilarityEmbedder(
            dims, **CONFIGS[config](), handle_unknown="ignore", random_state=fold
        )
        start = time.perf_counter()
        embedder.fit(X.iloc[train], y.iloc[train])
        seconds = (time.perf_counter() - start) / embedder.n_iter_
        vectors = embedder.transform(X.iloc[test])
        known = ~np.isnan(vectors[:, 0])
        word = with_a_known_word(X["name"].iloc[train], X["name"].iloc[test])
        rgb_train, rgb_test = y.iloc[train].to_numpy(), y.iloc[test].to_numpy()
        neighbours = KNeighborsRegressor(5).fit(embedder.transform(X.iloc[train]), rgb_train)
        rows.append(
            (
                spearman(vectors[known], rgb_test[known]),
                spearman(vectors[word], rgb_test[word]),
                known.mean(),
                rms(neighbours.predict(vectors[known]), rgb_test[known]),
                rms(rgb_train.mean(axis=0), rgb_test[known]),
                seconds,
            )
        )
    return np.array(rows)


REGRESSIONS = {
    "ridge": [Ridge(alpha) for alpha in (1e-3, 1e-2, 0.1, 1.0)],
    "RBF kernel ridge": [
        KernelRidge(alpha=alpha, kernel="rbf", gamma=gamma)
        for alpha in (0.03, 0.1, 0.3)
        for gamma in (0.3, 1.0, 3.0)
    ],
}


def densified(features):
    return features.toarray() if hasattr(features, "toarray") else np.asarray(features)


def ceilings(X, y, vectorizer):
    """Supervised regressions from the vectorizer's features straight to RGB.

    Rough ceilings for any composition of these tokens' vectors: they are fitted
    on the colours themselves, and each keeps the setting with the best mean
    over the folds (optimistic). Scored like the embedder, on the held-out names
    with a token seen in training. Returns the share of those names and, per
    regression, the mean held-out Spearman.
    """
    names, rgb = X["name"].to_numpy(dtype=object), y.to_numpy()
    scores, shares = {name: [] for name in REGRESSIONS}, []
    for train, test in FOLDS.split(X):
        reader = clone(vectorizer).fit(names[train])
        train_weights = densified(reader.transform(names[train]))
        test_weights = densified(reader.transform(names[test]))
        known = test_weights.any(axis=1)
        shares.append(known.mean())
        centre = rgb[train].mean(axis=0)  # the kernel ridge has no intercept
        for name, models in REGRESSIONS.items():
            scores[name].append(
                [
                    spearman(
                        clone(model)
                        .fit(train_weights, rgb[train] - centre)
                        .predict(test_weights[known]),
                        rgb[test][known],
                    )
                    for model in models
                ]
            )
    return np.mean(shares), {name: np.max(np.mean(s, axis=0)) for name, s in scores.items()}


def baselines(X, y, dims):
    """Per fold: the char-n-gram TF-IDF + SVD encoder, and word TF-IDF 5-NN to RGB."""
    rows = []
    for train, test in FOLDS.split(X):
        names_train, names_test = X["name"].iloc[train], X["name"].iloc[test]
        rgb_train, rgb_test = y.iloc[train].to_numpy(), y.iloc[test].to_numpy()
        encoder = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4)),
            TruncatedSVD(dims, random_state=0),
        ).fit(names_train)
        knn = make_pipeline(TfidfVectorizer(), KNeighborsRegressor(5)).fit(names_train, rgb_train)
        rows.append(
            (
                spearman(encoder.transform(names_test), rgb_test),
                spearman(knn.predict(names_test), rgb_test),
            )
        )
    return np.array(rows)


def in_sample(X, y, dims, config, seeds=range(5)):
    params = {} if config == "lookup" else CONFIGS[config]()
    return np.array(
        [
            PairSimilarityEmbedder(dims, **params, random_state=seed).fit(X, y).score(X, y)
            for seed in seeds
        ]
    )


def plain_keras_epoch_seconds(pairs, labels, table, epochs=3):
    """Median seconds per epoch of Keras ``model.fit`` of the same token model on the same pairs."""
    from sk_colour_embed import build_pair_model
    from sk_colour_embed._keras_env import keras

    ids, weights, n_tokens = table
    model = build_pair_model(n_tokens, 3, tokens_per_item=ids.shape[1], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy")
    stamps = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda *_: stamps.append(time.perf_counter()) if not stamps else None,
        on_epoch_end=lambda *_: stamps.append(time.perf_counter()),
    )
    inputs = {"tokens": ids[pairs], "weights": weights[pairs]}
    model.fit(inputs, labels, batch_size=512, epochs=epochs, verbose=0, callbacks=[timer])
    return median(np.diff(stamps)[1:])


def speed(X, y, configs, epochs=100):
    """Seconds per epoch (median, compilation left out) of the engine and of plain fit."""
    n_items, pairs, labels = draw_pairs(X, y, 100_000)
    _, seconds = timed_engine_fit(n_items, pairs, labels, n_components=3, epochs=epochs)
    lookup = median(seconds[1:])
    print(f"  lookup          {lookup:.4f}", flush=True)
    for config in configs:
        params = CONFIGS[config]()
        if set(params) - {"vectorizer", "name_vectors"}:
            continue  # other training settings: their time per epoch is in (a)
        table = token_table(X, **params)
        _, seconds = timed_engine_fit(
            n_items, pairs, labels, n_components=3, epochs=epochs, table=table
        )
        tokens = median(seconds[1:])
        plain = plain_keras_epoch_seconds(pairs, labels, table)
        print(
            f"  {config:16s} {tokens:.4f} ({tokens / lookup:.1f}x the lookup, "
            f"{table[0].shape[1]} token slots); plain Keras model.fit {plain:.4f} "
            f"({plain / tokens:.0f}x slower)",
            flush=True,
        )


def summary(values):
    return f"{np.mean(values):.3f} (folds {np.min(values):.3f}-{np.max(values):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[3, 2])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--skip", nargs="*", default=[], choices=["held-out", "in-sample", "speed"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # score's notes on names without a vector
    print(machine())
    X, y = load_colours(return_X_y=True)
    print(f"{len(X)} xkcd names; shuffled 5-fold KFold; tutorial settings otherwise\n")

    if "held-out" not in args.skip:
        print(
            "(a) held-out names: Spearman, all with a vector | with a known word | "
            "share with a vector (lowest fold) | 5-NN RGB error vs mean colour | "
            "seconds per epoch of a fit, compilation and reading included (median)"
        )
        for dims in args.dims:
            print(
                f"  {dims}-D lookup (time only; no vector for names never seen) "
                f"{lookup_seconds(X, y, dims):.4f} s",
                flush=True,
            )
            for config in args.configs:
                rows = held_out(X, y, dims, config)
                print(
                    f"  {dims}-D {config:16s} {summary(rows[:, 0])} | {rows[:, 1].mean():.3f} | "
                    f"{rows[:, 2].mean():.1%} ({rows[:, 2].min():.1%}) | "
                    f"RGB error {rows[:, 3].mean():.3f} vs {rows[:, 4].mean():.3f} | "
                    f"{np.median(rows[:, 5]):.4f} s",
                    flush=True,
                )
            base = baselines(X, y, dims)
            print(
                f"  {dims}-D (b) char_wb 3-4 TF-IDF + SVD: Spearman {summary(base[:, 0])}; "
                f"word TF-IDF 5-NN to RGB: {summary(base[:, 1])}",
                flush=True,
            )
        print("  supervised, from the same features straight to RGB (rough ceilings):")
        for label, vectorizer in [
            ("word TF-IDF", TfidfVectorizer()),
            ("weighted mean of words", TfidfVectorizer(norm="l1")),
            ("words and 3-grams", recommended_vectorizer()),
            ("words and word vectors", with_word_vectors()),
            ("word vectors", WordVectors()),
        ]:
            share, best = ceilings(X, y, vectorizer)
            scores = ", ".join(f"{name} {score:.3f}" for name, score in best.items())
            print(f"    {label:23s} {scores} | {share:.1%} with a known token", flush=True)
    if "in-sample" not in args.skip:
        print("\n(c) in-sample score on all names, seeds 0-4 (min-max)")
        for dims in args.dims:
            for config in ["lookup", *args.configs]:
                scores = in_sample(X, y, dims, config)
                print(
                    f"  {dims}-D {config:16s} {scores.min():.3f}-{scores.max():.3f} "
                    f"(mean {scores.mean():.3f})",
                    flush=True,
                )
    if "speed" not in args.skip:
        print("\n(d) seconds per epoch, 3-D, 100,000 pairs, the same pairs for all (median)")
        speed(X, y, args.configs)


if __name__ == "__main__":
    main()
