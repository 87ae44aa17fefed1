"""companion.data.molecules: valid molecule-like graphs, the label equal to its rule, count features that carry
no signal by construction, and batching equal to PyTorch Geometric's Batch.from_data_list."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from torch_geometric.data import Batch, Data

from companion.data.molecules import (ATOM_TYPES, FINGERPRINT_NAMES, VALENCE, Molecule, batch_graphs,
                                      carboxyl_carbons, fingerprint, molecules)


def hand(symbols, bonds, orders, y=0):
    return Molecule(np.array([ATOM_TYPES.index(s) for s in symbols]), np.array(bonds).reshape(-1, 2),
                    np.array(orders), y)


ACETIC_ACID = hand(["C", "C", "O", "O"], [(0, 1), (1, 2), (1, 3)], [1, 2, 1], 1)       # CH3-C(=O)-OH
METHYL_ACETATE = hand(["C", "C", "O", "O", "C"], [(0, 1), (1, 2), (1, 3), (3, 4)], [1, 2, 1, 1])  # an ester
HYDROXY_ALDEHYDE = hand(["O", "C", "C", "O"], [(0, 1), (1, 2), (2, 3)], [1, 1, 2])    # HO-CH2-CH=O


@pytest.fixture(scope="module")
def many():
    return molecules(600, rng=3)


def test_valences_sizes_and_connectivity(many):
    for mol in many:
        assert 10 <= mol.num_nodes <= 25
        used = np.bincount(mol.bonds.ravel(), weights=np.repeat(mol.orders, 2), minlength=mol.num_nodes)
        assert all(used[i] <= VALENCE[s] for i, s in enumerate(mol.symbols))
        assert np.all(mol.bonds[:, 0] != mol.bonds[:, 1])
        assert len({tuple(sorted(b)) for b in mol.bonds.tolist()}) == len(mol.bonds)        # no bond twice
        adjacency = csr_matrix((np.ones(len(mol.bonds)), tuple(mol.bonds.T)), shape=(mol.num_nodes,) * 2)
        assert connected_components(adjacency, directed=False)[0] == 1
        assert set(mol.orders.tolist()) <= {1, 2}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(6, 30), st.integers(0, 10), st.integers(1, 9))
def test_any_seed_and_size_range_gives_valid_labelled_molecules(seed, low, extra, n):
    for mol in molecules(n, min_atoms=low, max_atoms=low + extra, rng=seed):
        assert low <= mol.num_nodes <= low + extra
        used = np.bincount(mol.bonds.ravel(), weights=np.repeat(mol.orders, 2), minlength=mol.num_nodes)
        assert all(used[i] <= VALENCE[s] for i, s in enumerate(mol.symbols))
        assert (len(carboxyl_carbons(mol)) > 0) == bool(mol.y)


def test_label_is_the_carboxyl_rule_and_classes_are_balanced(many):
    assert all((len(carboxyl_carbons(m)) > 0) == bool(m.y) for m in many)
    assert sum(m.y for m in many) == 300
    # in this generator an acid is exactly a carbon bonded to two oxygens (what a GNN sees without bond orders)
    for m in many:
        o_neighbours = np.zeros(m.num_nodes, int)
        for i, j in m.bonds:
            o_neighbours[i] += ATOM_TYPES[m.atoms[j]] == "O"
            o_neighbours[j] += ATOM_TYPES[m.atoms[i]] == "O"
        carbons = np.array(m.symbols) == "C"
        assert (o_neighbours[carbons].max() == 2) == bool(m.y)
        assert o_neighbours[carbons].max() <= 2


def test_carboxyl_rule_on_hand_molecules():
    assert carboxyl_carbons(ACETIC_ACID) == [1]
    assert carboxyl_carbons(METHYL_ACETATE) == []             # the single-bonded O is an ester's, not an OH
    assert carboxyl_carbons(HYDROXY_ALDEHYDE) == []           # C=O and OH, on different carbons


def test_seeded():
    a, b, c = molecules(20, rng=5), molecules(20, rng=5), molecules(20, rng=6)
    assert all(np.array_equal(x.atoms, y.atoms) and np.array_equal(x.bonds, y.bonds) for x, y in zip(a, b))
    assert not all(len(x.atoms) == len(y.atoms) and np.array_equal(x.atoms, y.atoms) for x, y in zip(a, c))


def test_graph_views():
    mol = ACETIC_ACID
    np.testing.assert_array_equal(mol.x, np.eye(len(ATOM_TYPES))[[0, 0, 2, 2]])
    np.testing.assert_array_equal(mol.edge_index, [[0, 1, 1, 1, 2, 3], [1, 2, 3, 0, 1, 1]])
    assert mol.edge_index.dtype == np.int64
    np.testing.assert_array_equal(mol.edge_attr, [[1, 0], [0, 1], [1, 0]] * 2)


def test_fingerprint_counts():
    f = fingerprint([ACETIC_ACID, METHYL_ACETATE])
    assert f.shape == (2, len(FINGERPRINT_NAMES))
    named = dict(zip(FINGERPRINT_NAMES, f[0]))
    assert {k: v for k, v in named.items() if v} == {"C": 2, "O": 2, "C-C": 1, "C=O": 1, "C-O": 1}
    assert dict(zip(FINGERPRINT_NAMES, f[1]))["C-O"] == 2


def test_fingerprint_totals(many):
    f = fingerprint(many)
    k = len(ATOM_TYPES)
    np.testing.assert_array_equal(f[:, :k].sum(axis=1), [m.num_nodes for m in many])
    np.testing.assert_array_equal(f[:, k:].sum(axis=1), [len(m.bonds) for m in many])


def test_classes_have_the_same_counts_on_average():
    """The page's claim: acids and non-acids are built from the same atoms and bonds, so every count feature
    has the same mean in both classes (within four standard errors on 4000 molecules)."""
    mols = molecules(4000, rng=11)
    f, y = fingerprint(mols), np.array([m.y for m in mols])
    a, b = f[y == 1], f[y == 0]
    se = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) <= 4 * se + 1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "n must be a positive integer"),
    (dict(n=5, min_atoms=5), "min_atoms must be at least 6"),
    (dict(n=5, min_atoms=12, max_atoms=10), "max_atoms=10 must be at least min_atoms=12"),
    (dict(n=2.5), "n must be a positive integer"),
])
def test_molecules_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        molecules(**kwargs)


def referee(graphs):
    batch = Batch.from_data_list([Data(x=torch.as_tensor(x), edge_index=torch.as_tensor(e)) for x, e in graphs])
    return batch.x.numpy(), batch.edge_index.numpy(), batch.batch.numpy()


@st.composite
def graph_lists(draw):
    graphs = []
    for _ in range(draw(st.integers(1, 5))):
        n = draw(st.integers(0, 6))
        e = draw(st.integers(0, 8)) if n else 0
        rows = draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=2 * e, max_size=2 * e))
        graphs.append((np.arange(3 * n, dtype=float).reshape(n, 3) + len(graphs),
                       np.array(rows, dtype=np.int64).reshape(2, e)))
    return graphs


@settings(max_examples=60, deadline=None)
@given(graph_lists())
def test_batch_graphs_equals_pyg(graphs):
    for ours, theirs in zip(batch_graphs(graphs), referee(graphs)):
        np.testing.assert_array_equal(ours, theirs)


def test_batch_graphs_of_molecules_equals_pyg():
    mols = molecules(7, rng=0)
    x, edge_index, batch = batch_graphs(mols)
    ref = referee([(m.x, m.edge_index) for m in mols])
    for ours, theirs in zip((x, edge_index, batch), ref):
        np.testing.assert_array_equal(ours, theirs)
    assert edge_index.dtype == batch.dtype == np.int64


@pytest.mark.parametrize("graphs, message", [
    ([], "at least one graph"),
    ([(np.zeros((3, 2)), np.zeros((3, 2), dtype=int))], r"shape \(2, E\)"),
    ([(np.zeros((3, 2)), np.array([[0], [3]]))], "refers to node 3 of a graph with 3 nodes"),
    ([(np.zeros((3, 2)), np.array([[0], [-1]]))], "refers to node -1"),
    ([(np.zeros((3, 2)), np.array([[0.0], [1.0]]))], "must hold integers"),
    ([(np.zeros((3, 2)), np.zeros((2, 0), dtype=int)), (np.zeros((2, 4)), np.zeros((2, 0), dtype=int))],
     "same number of features"),
])
def test_batch_graphs_bad_input(graphs, message):
    with pytest.raises(ValueError, match=message):
        batch_graphs(graphs)
