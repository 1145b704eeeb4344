"""The tutorial, step by step with sk_colour_embed.

Data -> pairs -> fit -> plot -> animate -> grid search -> use in a pipeline ->
names never seen in training -> the embedding as a step of your own model.
``docs/getting_started.rst`` shows this script's sections; running it writes
the pictures that page shows:

    python docs/tutorial.py [--out docs/_static] [--quick]

``--quick`` runs the same code with small settings (few pairs and epochs), as
the test suite does so that this code cannot rot; the pictures it then makes
show little.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path(__file__).parent / "_static")
parser.add_argument("--quick", action="store_true", help="small settings, for the tests")
args = parser.parse_args()
out = args.out
out.mkdir(parents=True, exist_ok=True)
if args.quick:
    from sk_colour_embed import PairSampler, PairSimilarityEmbedder

    # The defaults that the code below relies on, made small.
    PairSampler.__init__.__defaults__ = (5_000, *PairSampler.__init__.__defaults__[1:])
    PairSimilarityEmbedder.__init__.__kwdefaults__["epochs"] = 5

# [data]
from sk_colour_embed import load_colours

colours = load_colours()  # the 949 xkcd colours
X, y = colours.data, colours.target  # names; r, g, b in [0, 1]
print(colours.frame.head(3))
# [pairs]
from sk_colour_embed import PairSampler

sampler = PairSampler(random_state=0)
pairs, similar = sampler.fit_resample(X, y)
print(pairs.assign(diff=sampler.distances_, similar=similar).head(3))  # the tutorial's table
print(f"{similar.mean():.1%} of the pairs are similar")
# [scale]
y255 = (y * 255).round()  # RGB as most colour tables store it
PairSampler(random_state=0).fit_resample(X, y255)  # warns: no two colours are similar
pairs255, similar255 = PairSampler(threshold=0.2 * 255**2, random_state=0).fit_resample(X, y255)
print(f"the same labels as in [0, 1]: {(similar255 == similar).all()}")
# [fit]
from sk_colour_embed import PairSimilarityEmbedder

embedder = PairSimilarityEmbedder(n_components=2, record_every=1, random_state=0)
embedder.fit(X, y)  # the tutorial's settings: 100,000 pairs, 500 epochs, Adam
print(f"score: {embedder.score(X, y):.3f}")  # Spearman, embedding vs RGB distances
print(embedder.most_similar("red", topn=3))
print(embedder.transform(X.head(2)))
# [progress]
from sklearn.callback import ProgressBar

stopping = PairSimilarityEmbedder(n_components=2, early_stopping=True, random_state=0)
stopping.set_callbacks(ProgressBar()).fit(X, y)  # a bar over the epochs, as verbose=1 draws it
print(f"{stopping.n_iter_} epochs, score: {stopping.score(X, y):.3f}")
# [plot]
from sk_colour_embed.plotting import plot_embedding

ax = plot_embedding(embedder, X, y, labels=["red", "blue", "green", "yellow", "black", "white"])
ax.figure.savefig(out / "embedding_2d.png", dpi=100)

embedder_3d = PairSimilarityEmbedder(n_components=3, random_state=0).fit(X, y)
ax = plot_embedding(embedder_3d, X, y)
ax.figure.savefig(out / "embedding_3d.png", dpi=100)
# [animate]
from sk_colour_embed.plotting import animate_training

animate_training(embedder, X, y, out / "training.gif", fps=15, n_frames=60)
# [grid]
from sklearn.model_selection import GridSearchCV

from sk_colour_embed import InSampleSplit
from sk_colour_embed.plotting import plot_grid_search

grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2, 0.4]}
search = GridSearchCV(PairSimilarityEmbedder(random_state=0), grid, cv=InSampleSplit())
search.fit(X, y)
print(search.best_params_, f"{search.best_score_:.3f}")
ax = plot_grid_search(search)
ax.figure.tight_layout()
ax.figure.savefig(out / "grid_search.png", dpi=100)
# [pipeline]
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

# A downstream task: is a paint sold more in summer? (made-up data: warm colours)
paints = pd.DataFrame({"colour": X["name"].sample(500, replace=True, random_state=0).to_list()})
paints["price"] = range(500)
warm = paints["colour"].map(dict(zip(X["name"], y["r"] - y["b"], strict=True))) > 0.2
# Fit the embedder on the colour table, under the column name the paints use,
# and freeze it: refitted inside the pipeline it would learn from `warm`.
colours_embedder = clone(search.best_estimator_).fit(X.rename(columns={"name": "colour"}), y)
model = make_pipeline(
    ColumnTransformer(
        [
            ("colour", FrozenEstimator(colours_embedder), ["colour"]),
            ("price", "passthrough", ["price"]),
        ]
    ),
    LogisticRegression(max_iter=1000),
)
model.fit(paints, warm)
print(f"accuracy from the colour vectors: {model.score(paints, warm):.2f}")
# [names]
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_union

X_train, X_new, y_train, y_new = train_test_split(X, y, test_size=0.2, random_state=0)
reader = make_union(  # a name's vector is built from the vectors of its tokens:
    TfidfVectorizer(),  # its words,
    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=2),  # and its 3-letter pieces
)
by_name = PairSimilarityEmbedder(
    vectorizer=reader,
    handle_unknown="ignore",  # a name with no known token gets a NaN row
    random_state=0,
).fit(X_train, y_train)
print(by_name.transform(pd.DataFrame({"name": ["RED", " red ", "Dusty Rose Pink"]})))
print(by_name.most_similar("Dusty Rose Pink", topn=3))  # searches the training names
print(f"held-out score: {by_name.score(X_new, y_new):.3f}")  # the 20% never seen in fit
# [names-plot]
new_vectors = by_name.transform(X_new)
known = ~np.isnan(new_vectors[:, 0])
ax = plot_embedding(by_name, X_train, y_train, title="New names (ringed) among the training names")
ax.scatter(*new_vectors[known].T, c=y_new[known].to_numpy(), s=40, edgecolors="black")
ax.figure.savefig(out / "new_names.png", dpi=100)
# [names-grid]
grid = {"n_components": [2, 3], "sampler__threshold": [0.1, 0.2]}
search = GridSearchCV(
    PairSimilarityEmbedder(vectorizer=reader, handle_unknown="ignore", random_state=0),
    grid,  # the default 5-fold cv: each score is measured on names the fit never saw
).fit(X, y)
print(search.best_params_, f"{search.best_score_:.3f}")
# [names-pipeline]
from sklearn.dummy import DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor

predictor = make_pipeline(
    PairSimilarityEmbedder(3, vectorizer=reader, handle_unknown="ignore", random_state=0),
    SimpleImputer(),  # a name with no known token gets the mean vector
    KNeighborsRegressor(n_neighbors=5),
)
folds = KFold(5, shuffle=True, random_state=0)
predicted = cross_val_predict(predictor, X, y, cv=folds)  # every name predicted unseen
baseline = cross_val_predict(DummyRegressor(), X, y, cv=folds)  # the mean colour
for name, guess in [("colour vectors", predicted), ("mean colour", baseline)]:
    print(f"RGB error, {name}: {np.sqrt(np.mean((guess - y.to_numpy()) ** 2)):.3f}")
# [names-swatches]
from matplotlib import pyplot as plt

shown = np.random.default_rng(1).choice(len(X), size=12, replace=False)
figure, axes = plt.subplots(2, 12, figsize=(12, 2.6))
for column, row in enumerate(shown):
    for ax, colour in zip(axes[:, column], (y.to_numpy()[row], predicted[row]), strict=True):
        ax.imshow([[np.clip(colour, 0, 1)]])
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, column].set_title(X["name"].iloc[row], fontsize=7, rotation=20)
axes[0, 0].set_ylabel("true", fontsize=8)
axes[1, 0].set_ylabel("predicted", fontsize=8)
figure.savefig(out / "predicted_swatches.png", dpi=100, bbox_inches="tight")
# [features]
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

# Your own table: products whose colour is free text, written as people write it.
rng = np.random.default_rng(0)
rows = rng.choice(len(X), size=200, replace=False)
products = pd.DataFrame(
    {
        "product_colour": [
            [name, name.upper(), name.title(), f"{name} "][i % 4]
            for i, name in enumerate(X["name"].iloc[rows])
        ],
        "price": rng.uniform(5, 50, size=200),
    }
)
# What sells is warm and cheap (made up): red minus blue, less the price.
sales = (y["r"] - y["b"]).iloc[rows].to_numpy() - 0.01 * products["price"].to_numpy()

embedder = PairSimilarityEmbedder(
    vectorizer=reader,  # any colour name gets a vector, whatever its case
    handle_unknown="ignore",
    reference=(X, y),  # learn from the colour table; never from the sales
    random_state=0,  # seeded: one training per setting in the search
)
model = Pipeline(
    [
        (
            "columns",
            ColumnTransformer(
                [("colour", embedder, ["product_colour"]), ("price", "passthrough", ["price"])]
            ),
        ),
        ("impute", SimpleImputer()),  # a name with no known token gets the mean vector
        ("ridge", Ridge(alpha=0.1)),
    ]
)
grid = {
    "columns__colour__n_components": [2, 3, 5],
    "columns__colour__sampler__threshold": [0.1, 0.2],
}
search = GridSearchCV(model, grid).fit(products, sales)  # 5-fold, by the Ridge's R^2
print(search.best_params_, f"R^2 {search.best_score_:.2f}")
print(search.predict(pd.DataFrame({"product_colour": ["Dusty Rose Pink"], "price": [20.0]})))
# [end]
