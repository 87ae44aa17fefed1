"""Exercises of the page *Graph neural networks*: the references are companion.np.graph's functions."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.graph import global_mean_pool, normalized_adjacency, propagate


def _random_edges(rng, n, directed):
    """edge_index (2, E) of a random simple graph on n nodes, without self-loops (some nodes may be isolated)."""
    pairs = np.array([(j, i) for j in range(n) for i in range(n) if i != j], dtype=np.int64).reshape(-1, 2)
    if not directed:
        pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    keep = pairs[rng.random(len(pairs)) < 0.4]
    if not directed:
        keep = np.concatenate([keep, keep[:, ::-1]])
    return keep.T.copy()


def _adjacency_cases(rng):
    yield (np.array([[0.0, 1.0], [1.0, 0.0]]),)                  # one edge
    yield (np.zeros((3, 3)),)                                    # no edges: the self-loops alone
    for _ in range(20):
        n = int(rng.integers(1, 8))
        edges = _random_edges(rng, n, directed=False)
        a = np.zeros((n, n))
        a[edges[1], edges[0]] = 1.0
        yield (a,)


register(Exercise(
    id="graphs.normalized_adjacency",
    prompt="Write normalized_adjacency(A) for the adjacency matrix A (N, N) of an undirected graph without "
           "self-loops: add the self-loops, A_hat = A + I, take each node's degree in A_hat, d_i = sum_j "
           "A_hat[i, j], and return D^(-1/2) A_hat D^(-1/2), whose entry (i, j) is A_hat[i, j] / "
           "sqrt(d_i d_j).",
    reference=normalized_adjacency, cases=_adjacency_cases, arg_names=("A",),
))


def _step_cases(rng):
    yield np.array([[1.0], [2.0], [4.0]]), np.array([[0, 1], [1, 2]])     # a directed path 0 -> 1 -> 2
    for _ in range(20):
        n, f = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        yield rng.normal(size=(n, f)), _random_edges(rng, n, directed=True)


def _sum_step(x, edge_index):
    return propagate(x, edge_index, aggr="sum", num_nodes=len(x))


register(Exercise(
    id="graphs.message_step",
    prompt="Write message_step(x, edge_index), one step of message passing with sum aggregation: x (N, F) holds "
           "the nodes' features and edge_index (2, E) the directed edges, column e an edge from node "
           "edge_index[0, e] (the source j) to node edge_index[1, e] (the target i). Every edge carries its "
           "source's features to its target; return out (N, F), out[i] the sum of the messages node i "
           "receives (zeros for a node that receives none).",
    reference=_sum_step, cases=_step_cases, arg_names=("x", "edge_index"),
))


def _readout_cases(rng):
    yield np.array([[1.0, 2.0], [3.0, 4.0], [10.0, 0.0]]), np.array([0, 0, 1])
    for _ in range(20):
        n, f, g = int(rng.integers(1, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        batch = np.sort(rng.integers(0, g, size=n))
        yield rng.normal(size=(n, f)), batch


def _mean_readout(x, batch):
    return global_mean_pool(x, batch, size=int(batch.max()) + 1)


register(Exercise(
    id="graphs.mean_readout",
    prompt="Write mean_readout(x, batch): x (N, F) holds the node features of several graphs stacked together "
           "and batch (N,) the graph each node belongs to (0, 1, ...). Return (G, F), G = batch.max() + 1, row "
           "g the mean of graph g's node features (zeros for a graph id with no nodes).",
    reference=_mean_readout, cases=_readout_cases, arg_names=("x", "batch"),
))
