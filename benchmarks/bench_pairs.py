"""Learning from pairs alone: negative sampling's cost, and link prediction on Les Misérables.

python benchmarks/bench_pairs.py [--epochs 200] [--splits 5]

Cost: seconds per epoch on about 140,000 similar colour pairs (those of
700,000 pairs drawn by the tutorial's rule; a lookup of 949 colours, 2-D,
batch 512), alone and with 5 negative partners per pair drawn inside the
compiled epoch.

Link prediction: networkx's Les Misérables co-appearance graph (77
characters, 254 edges). Each split, seeded, holds out 50 edges (each leaving
both its characters another edge) and 50 distinct pairs that are not edges;
the classifier learns from the remaining
edges alone (both directions, every label 1, negative partners drawn), and
the ROC-AUC of its decision function on the 100 held-out pairs is compared
with networkx's Adamic-Adar index on the same training graph.
"""

import argparse
import time

import numpy as np

from _common import draw_pairs, machine, median

CONFIGS = [  # (n_components, negative, ns_exponent)
    (4, 5, 0.75),
    (8, 5, 0.75),
    (16, 5, 0.75),
    (8, 5, 0.0),
    (16, 5, 0.0),
    (32, 5, 0.0),
    (16, 20, 0.0),
]


def negative_sampling_cost(epochs=20):
    """Median seconds per epoch without and with 5 negatives, on the same similar pairs."""
    from sk_colour_embed import load_colours
    from sk_colour_embed._engine import fit_pair_model
    from sk_colour_embed._params import TrainingConfig

    X, y = load_colours(return_X_y=True)
    n_items, pairs, labels = draw_pairs(X, y, 700_000)
    pairs, labels = pairs[labels == 1], labels[labels == 1]
    seconds = {}
    for negative in (0, 5, 0, 5):  # alternated, against the machine's drift
        stamps = []
        config = TrainingConfig(
            epochs=epochs, batch_size=512, learning_rate=0.001, negative=negative, jit_compile=True
        )
        fit_pair_model(
            np.arange(n_items)[:, None],
            np.ones((n_items, 1)),
            pairs,
            labels,
            config,
            n_tokens=n_items,
            seed=0,
            rng=np.random.default_rng(0),
            callbacks=[lambda *_, stamps=stamps: stamps.append(time.perf_counter())],
        )
        seconds.setdefault(negative, []).extend(np.diff(stamps)[1:])
    return {"n_pairs": len(pairs)} | {n: median(values) for n, values in seconds.items()}


# [links]
import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from sk_colour_embed import PairSimilarityClassifier  # noqa: E402


def held_out_links(graph, seed, n_held_out=50):
    """The graph without ``n_held_out`` random edges; those edges and as many non-edges.

    An edge is held out only if both its characters keep another edge, so that
    every character of the test pairs is in the training pairs (as in usual
    link-prediction splits); the non-edges are distinct pairs of characters.
    """
    rng = np.random.default_rng(seed)
    training = graph.copy()
    edges = list(graph.edges())
    held_out = []
    for i in rng.permutation(len(edges)):
        a, b = edges[i]
        if training.degree(a) > 1 and training.degree(b) > 1:
            training.remove_edge(a, b)
            held_out.append((a, b))
            if len(held_out) == n_held_out:
                break
    nodes, non_edges = list(graph.nodes()), set()
    while len(non_edges) < n_held_out:
        a, b = rng.choice(len(nodes), 2, replace=False)
        if not graph.has_edge(nodes[a], nodes[b]):
            non_edges.add(tuple(sorted((nodes[a], nodes[b]))))
    test = pd.DataFrame(held_out + sorted(non_edges), columns=["character", "other"])
    return training, test, np.repeat([1, 0], n_held_out)


def link_prediction_auc(graph, seed, epochs, n_components=8, negative=5, ns_exponent=0.75):
    """ROC-AUC on one split's held-out pairs: the classifier's, and Adamic-Adar's."""
    training, test, truth = held_out_links(graph, seed)
    edges = pd.DataFrame(list(training.edges()), columns=["character", "other"])
    both_ways = pd.concat([edges, edges.set_axis(["other", "character"], axis=1)])
    classifier = PairSimilarityClassifier(
        n_components,
        negative=negative,
        ns_exponent=ns_exponent,
        epochs=epochs,
        batch_size=16,
        learning_rate=0.01,
        random_state=seed,
    ).fit(both_ways[["character", "other"]], np.ones(len(both_ways)))
    adamic_adar = nx.adamic_adar_index(training, list(test.itertuples(index=False, name=None)))
    return (
        roc_auc_score(truth, classifier.decision_function(test)),
        roc_auc_score(truth, [score for _, _, score in adamic_adar]),
    )


# [end-links]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    print(machine())

    cost = negative_sampling_cost()
    print(f"\nNegative sampling, {cost['n_pairs']:,} similar colour pairs, 2-D, batch 512:")
    print(f"  per epoch alone: {cost[0]:.4f} s; with 5 negatives per pair: {cost[5]:.4f} s")
    print(f"  ratio: {cost[5] / cost[0]:.2f}x")

    graph = nx.les_miserables_graph()
    print(
        f"\nLes Misérables link prediction, {args.splits} splits, {args.epochs} epochs, "
        "batch 16, learning rate 0.01; mean ROC-AUC (min to max over splits)"
    )
    for n_components, negative, ns_exponent in CONFIGS:
        aucs = np.array(
            [
                link_prediction_auc(graph, seed, args.epochs, n_components, negative, ns_exponent)
                for seed in range(args.splits)
            ]
        )
        print(
            f"  {n_components:2d}-D, {negative:2d} negatives, ns_exponent {ns_exponent}: "
            f"{aucs[:, 0].mean():.3f} ({aucs[:, 0].min():.3f} to {aucs[:, 0].max():.3f}); "
            f"Adamic-Adar {aucs[:, 1].mean():.3f}"
        )


if __name__ == "__main__":
    main()
