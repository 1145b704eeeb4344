"""Learning from your own pairs: the example of ``docs/learning_from_pairs.rst``.

The characters of Les Misérables, from the pairs of characters that appear
together (networkx's co-appearance graph): no descriptors, only pairs.

    python docs/learning_from_pairs.py [--out docs/_static] [--quick]

``--quick`` runs the same code with few epochs, as the test suite does; its
picture then shows little. ``benchmarks/bench_pairs.py`` measures held-out
link prediction.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path(__file__).parent / "_static")
parser.add_argument("--quick", action="store_true", help="small settings, for the tests")
args = parser.parse_args()
args.out.mkdir(parents=True, exist_ok=True)
EPOCHS = 5 if args.quick else 200

# [pairs]
import networkx as nx
import numpy as np
import pandas as pd

from sk_colour_embed import PairSimilarityClassifier

graph = nx.les_miserables_graph()  # 77 characters, 254 pairs that appear together
edges = pd.DataFrame(list(graph.edges()), columns=["character", "other"])
# Negative partners replace the second item of a pair: give each edge both ways.
both_ways = pd.concat([edges, edges.set_axis(["other", "character"], axis=1)])
both_ways = both_ways[["character", "other"]]
print(f"{len(edges)} pairs of characters, {len(both_ways)} with both directions")
# [fit]
classifier = PairSimilarityClassifier(
    n_components=2,
    negative=5,  # dissimilar partners drawn for each pair
    ns_exponent=0.0,  # drawn uniformly: see "Held-out links" for why
    epochs=EPOCHS,
    batch_size=16,
    learning_rate=0.01,
    random_state=0,
)
classifier.fit(both_ways, np.ones(len(both_ways)))  # similar pairs only: dissimilar ones are drawn
print(classifier.vectors_.most_similar("Valjean", topn=3))
# [plot]
import matplotlib.pyplot as plt

communities = nx.community.louvain_communities(graph, seed=0)
community = {name: i for i, members in enumerate(communities) for name in members}
vectors = classifier.vectors_.to_frame()
fig, ax = plt.subplots(figsize=(7, 6))
ax.scatter(
    vectors[0], vectors[1], c=[community[name] for name in vectors.index], cmap="tab10", s=40
)
for name in ["Valjean", "Javert", "Cosette", "Marius", "Myriel", "Thenardier", "Gavroche"]:
    ax.annotate(name, vectors.loc[name], fontsize=9)
ax.set_title("Les Misérables characters, coloured by community")
fig.savefig(args.out / "les_miserables.png", dpi=100)
# [end]
