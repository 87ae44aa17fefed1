"""Zachary's karate club as node-classification arrays: the graph networkx ships, PyG's layout, the labels."""

import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.datasets import KarateClub
from torch_geometric.utils import to_undirected

from companion.data.karate import FACTIONS, LEADERS, karate_club, labelled_mask


def test_graph_is_networkx_karate_club_in_both_directions():
    data = karate_club()
    graph = nx.karate_club_graph()
    assert data.num_nodes == 34 and data.edge_index.shape == (2, 156) and data.edge_index.dtype == np.int64
    pairs = set(map(tuple, data.edge_index.T))
    assert pairs == {(i, j) for i, j in graph.edges()} | {(j, i) for i, j in graph.edges()}
    assert all((j, i) in pairs for i, j in pairs) and not any(i == j for i, j in pairs)
    assert np.all(np.diff(data.edge_index[1]) >= 0)                       # sorted by target
    np.testing.assert_array_equal(data.x, np.eye(34))


def test_same_friendships_as_pyg_karate_club():
    # PyG's copy of the graph (its labels are four modularity-based groups, not the factions)
    theirs = to_undirected(KarateClub()[0].edge_index)
    assert set(map(tuple, theirs.T.tolist())) == set(map(tuple, karate_club().edge_index.T.tolist()))


def test_labels_are_the_club_attribute_and_leaders_split():
    data = karate_club()
    graph = nx.karate_club_graph()
    assert [data.classes[c] for c in data.y] == [graph.nodes[i]["club"] for i in range(34)]
    assert data.classes == FACTIONS and np.bincount(data.y).tolist() == [17, 17]
    assert data.y[LEADERS[0]] == 0 and data.y[LEADERS[1]] == 1
    assert np.flatnonzero(data.train_mask).tolist() == [0, 33]
    assert data.test_mask.sum() == 32


@pytest.mark.parametrize("per_class", [1, 2, 5, 17])
def test_labelled_mask_takes_leaders_first_then_per_class(per_class):
    data = karate_club(per_class, rng=3)
    mask = data.train_mask
    assert mask[list(LEADERS)].all()
    assert np.bincount(data.y[mask], minlength=2).tolist() == [per_class, per_class]
    np.testing.assert_array_equal(mask, labelled_mask(data.y, per_class, rng=3))      # seeded: repeats
    if 1 < per_class < 17:
        assert not np.array_equal(mask, labelled_mask(data.y, per_class, rng=4))


@pytest.mark.parametrize("bad", [0, 18])
def test_labelled_per_class_out_of_range(bad):
    with pytest.raises(ValueError, match="labelled_per_class must be between 1 and 17"):
        karate_club(bad)
