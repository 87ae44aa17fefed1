"""Molecule-like graphs for graph classification (chapter: Graph neural networks).

A molecule here is a graph of heavy atoms, hydrogens left implicit as in a skeletal formula: atoms of the
types in ``ATOM_TYPES``, each within its usual valence (``VALENCE``: C 4, N 3, O 2, F and Cl 1), joined by
single and double bonds; a skeleton of chains and zero to two rings of five or six atoms (a six-ring is
aromatic half of the time, written as benzene's Kekulé structure of alternating bonds; a ring may hold one
nitrogen, as pyridine or pyrrolidine do).

The label is a rule a chemist reads at a glance: 1 if the molecule is a **carboxylic acid**, that is some
carbon carries both a C=O and a C-OH (-COOH), 0 otherwise. Both classes are built from the same parts: every
molecule gets one carbonyl oxygen (C=O) and one hydroxyl oxygen (C-OH) on carbons, plus the same random
extras (another hydroxyl, halogens). In an acid the two oxygens sit on one carbon; otherwise the C=O ends an
aldehyde and the OH sits on a different carbon. So the two classes have the same atoms and the same bonded
pairs by construction: counts (``fingerprint``) carry no signal, and telling them apart takes looking at one
carbon's neighbours together, which one round of message passing does.

Graphs follow PyTorch Geometric's conventions: ``x`` one-hot atom types (N, len(ATOM_TYPES)); each bond
stored in both directions in ``edge_index`` (2, 2B); ``edge_attr`` one-hot bond orders (2B, 2).
``batch_graphs`` joins several graphs into one as ``torch_geometric.data.Batch.from_data_list`` does.
"""

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np

from companion._validate import check_positive_int

ATOM_TYPES = ("C", "N", "O", "F", "Cl")
VALENCE = {"C": 4, "N": 3, "O": 2, "F": 1, "Cl": 1}
BOND_ORDERS = (1, 2)                      # single, double
LABELS = ("no acid", "carboxylic acid")
_C, _O = ATOM_TYPES.index("C"), ATOM_TYPES.index("O")


@dataclass(frozen=True, eq=False)
class Molecule:
    """A molecule-like graph: ``atoms`` (N,) indices into ATOM_TYPES, ``bonds`` (B, 2) atom pairs (each bond
    once), ``orders`` (B,) 1 or 2, and the label ``y`` (1: carboxylic acid)."""

    atoms: np.ndarray
    bonds: np.ndarray
    orders: np.ndarray
    y: int

    @property
    def num_nodes(self):
        return len(self.atoms)

    @property
    def symbols(self):
        return [ATOM_TYPES[a] for a in self.atoms]

    @property
    def x(self):
        """One-hot atom types, (N, len(ATOM_TYPES)) float."""
        return np.eye(len(ATOM_TYPES))[self.atoms]

    @property
    def edge_index(self):
        """(2, 2B) int64: every bond i-j as the edge i -> j and, after all of those, j -> i."""
        return np.concatenate([self.bonds.T, self.bonds.T[::-1]], axis=1).astype(np.int64)

    @property
    def edge_attr(self):
        """One-hot bond orders (single, double) of the edges of ``edge_index``, (2B, 2) float."""
        one_hot = np.eye(len(BOND_ORDERS))[np.searchsorted(BOND_ORDERS, self.orders)]
        return np.concatenate([one_hot, one_hot])


class _Builder:
    """Atoms and bonds added one at a time, each atom's free valence (hydrogens it still carries) kept."""

    def __init__(self):
        self.atoms, self.bonds, self.orders, self.free, self.adjacent = [], [], [], [], []

    def add(self, symbol):
        self.atoms.append(ATOM_TYPES.index(symbol))
        self.free.append(VALENCE[symbol])
        self.adjacent.append([])
        return len(self.atoms) - 1

    def bond(self, i, j, order=1):
        assert self.free[i] >= order and self.free[j] >= order, "valence exceeded"
        self.bonds.append((i, j))
        self.orders.append(order)
        self.free[i] -= order
        self.free[j] -= order
        self.adjacent[i].append(j)
        self.adjacent[j].append(i)

    def attach(self, i, symbol, order=1):
        j = self.add(symbol)
        self.bond(i, j, order)
        return j

    def open_carbons(self, exclude=()):
        """Carbons with a hydrogen left and no oxygen bonded yet (where a C=O or an OH may go)."""
        return [i for i, (a, f) in enumerate(zip(self.atoms, self.free))
                if a == _C and f >= 1 and i not in exclude
                and all(self.atoms[j] != _O for j in self.adjacent[i])]

    def molecule(self, y):
        return Molecule(np.array(self.atoms, dtype=np.int64), np.array(self.bonds, dtype=np.int64).reshape(-1, 2),
                        np.array(self.orders, dtype=np.int64), int(y))


def _ring(b, rng, size):
    """A ring of ``size`` atoms (a six-ring aromatic half of the time, one nitrogen in it 30% of the time)."""
    aromatic = size == 6 and rng.random() < 0.5
    symbols = ["C"] * size
    if rng.random() < 0.3:
        symbols[rng.integers(size)] = "N"
    first = len(b.atoms)
    for s in symbols:
        b.add(s)
    for k in range(size):
        b.bond(first + k, first + (k + 1) % size, 2 if aromatic and k % 2 == 0 else 1)
    return first


def _skeleton(rng, size):
    """Rings (0-2) joined by single bonds, then chain atoms (C, or N 15% of the time) grown on random atoms
    with a free valence until ``size`` atoms; sometimes one chain C-C becomes C=C."""
    b = _Builder()
    for _ in range(rng.choice(3, p=[0.25, 0.5, 0.25])):
        ring_size = int(rng.choice([5, 6]))
        if len(b.atoms) + ring_size > size:
            break
        earlier = [i for i, f in enumerate(b.free) if f >= 1]
        first = _ring(b, rng, ring_size)
        if earlier:
            ring_open = [i for i in range(first, len(b.atoms)) if b.free[i] >= 1]
            b.bond(int(rng.choice(earlier)), int(rng.choice(ring_open)))
    if not b.atoms:
        b.add("C")
    while len(b.atoms) < size:
        open_atoms = [i for i, f in enumerate(b.free) if f >= 1]
        b.attach(int(rng.choice(open_atoms)), "N" if rng.random() < 0.15 else "C")
    if rng.random() < 0.3:
        singles = [k for k, ((i, j), o) in enumerate(zip(b.bonds, b.orders))
                   if o == 1 and b.atoms[i] == b.atoms[j] == _C and b.free[i] >= 1 and b.free[j] >= 1]
        if singles:
            k = int(rng.choice(singles))
            b.orders[k] = 2
            i, j = b.bonds[k]
            b.free[i] -= 1
            b.free[j] -= 1
    return b


def _molecule(rng, size, acid):
    """One molecule of ``size`` heavy atoms. The skeleton is redrawn until it has a carbon to spare for every
    group to place, a test that does not look at the label, so both classes share one skeleton distribution."""
    while True:
        extra_oh, halogens = int(rng.integers(2)), int(rng.integers(3))
        b = _skeleton(rng, size - 3 - extra_oh - halogens)    # the group adds 3 atoms: C, O, O
        if len(b.open_carbons()) >= 2 + extra_oh + halogens:
            break
    carbonyl = b.attach(int(rng.choice(b.open_carbons())), "C")     # the carbon that gets the C=O
    b.attach(carbonyl, "O", 2)
    b.attach(carbonyl if acid else int(rng.choice(b.open_carbons())), "O")   # the OH: same carbon, or another
    for symbol in ["O"] * extra_oh + [str(s) for s in rng.choice(["F", "Cl"], size=halogens)]:
        b.attach(int(rng.choice(b.open_carbons())), symbol)
    return b.molecule(acid)


def molecules(n, min_atoms=10, max_atoms=25, rng=None):
    """``n`` molecule-like graphs (a list of :class:`Molecule`), half of them carboxylic acids (label 1) in
    random order, each with a number of heavy atoms drawn uniformly from [min_atoms, max_atoms].
    ``rng``: a seed or numpy Generator; the same seed gives the same molecules."""
    check_positive_int(n, "n")
    check_positive_int(min_atoms, "min_atoms")
    check_positive_int(max_atoms, "max_atoms")
    if min_atoms < 6:
        raise ValueError(f"min_atoms must be at least 6 (the acid or aldehyde group and two extras), got {min_atoms}")
    if max_atoms < min_atoms:
        raise ValueError(f"max_atoms={max_atoms} must be at least min_atoms={min_atoms}")
    rng = np.random.default_rng(rng)
    labels = rng.permutation(np.arange(n) % 2)
    return [_molecule(rng, int(rng.integers(min_atoms, max_atoms + 1)), int(y)) for y in labels]


def carboxyl_carbons(mol):
    """The carbons of ``mol`` that carry both a double-bonded oxygen and a hydroxyl (an O with no other heavy
    neighbour, single-bonded): the rule that labels the molecules, checked on the graph itself."""
    atoms, bonds, orders = mol.atoms, mol.bonds, mol.orders
    heavy_degree = np.bincount(bonds.ravel(), minlength=len(atoms))
    found = []
    for c in np.flatnonzero(atoms == _C):
        partners = [(j if i == c else i, o) for (i, j), o in zip(bonds, orders) if c in (i, j)]
        oxygens = [(j, o) for j, o in partners if atoms[j] == _O]
        if any(o == 2 for _, o in oxygens) and any(o == 1 and heavy_degree[j] == 1 for j, o in oxygens):
            found.append(int(c))
    return found


def _pair_names():
    pairs = list(combinations_with_replacement(range(len(ATOM_TYPES)), 2))
    return pairs, [f"{ATOM_TYPES[i]}{'-=' [o - 1]}{ATOM_TYPES[j]}" for o in BOND_ORDERS for i, j in pairs]


FINGERPRINT_NAMES = list(ATOM_TYPES) + _pair_names()[1]


def fingerprint(mols):
    """Count features, (G, len(FINGERPRINT_NAMES)) float: per molecule the number of atoms of each type,
    then the number of bonds between each unordered pair of atom types, single ("C-O") and double ("C=O").

    What a radius-1 circular fingerprint (Rogers & Hahn 2010) records, split into separate counts: each atom
    and each bond to a neighbour, but not which neighbours one atom has together."""
    pairs, _ = _pair_names()
    k = len(ATOM_TYPES)
    slot = np.full((k, k), -1)
    for p, (i, j) in enumerate(pairs):
        slot[i, j] = slot[j, i] = p
    out = np.zeros((len(mols), len(FINGERPRINT_NAMES)))
    for g, mol in enumerate(mols):
        out[g, :k] = np.bincount(mol.atoms, minlength=k)
        a, b = mol.atoms[mol.bonds[:, 0]], mol.atoms[mol.bonds[:, 1]]
        columns = k + slot[a, b] + len(pairs) * (np.asarray(mol.orders) - 1)
        out[g] += np.bincount(columns, minlength=out.shape[1])
    return out


def _parts(graph):
    if isinstance(graph, tuple):
        x, edge_index = graph[:2]
    else:
        x, edge_index = graph.x, graph.edge_index
    x, edge_index = np.asarray(x), np.asarray(edge_index)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"each graph's edge_index must have shape (2, E), got {edge_index.shape}")
    if edge_index.size and not np.issubdtype(edge_index.dtype, np.integer):
        raise ValueError(f"each graph's edge_index must hold integers, got dtype {edge_index.dtype}")
    if edge_index.size and (edge_index.min() < 0 or edge_index.max() >= len(x)):
        raise ValueError(f"edge_index refers to node {edge_index.max() if edge_index.min() >= 0 else edge_index.min()}"
                         f" of a graph with {len(x)} nodes")
    return x, edge_index.astype(np.int64)


def batch_graphs(graphs):
    """Several graphs as one disconnected graph, as ``torch_geometric.data.Batch.from_data_list`` makes it.

    graphs: a non-empty sequence of objects with ``x`` (N_g, F) and ``edge_index`` (2, E_g) (a
    :class:`Molecule`, a PyG ``Data``) or (x, edge_index) pairs. Returns (x, edge_index, batch): x (sum N_g, F)
    stacked; edge_index (2, sum E_g) with each graph's node numbers shifted by the nodes before it; batch
    (sum N_g,) int64, the graph each node belongs to.
    """
    parts = [_parts(g) for g in graphs]
    if not parts:
        raise ValueError("batch_graphs needs at least one graph")
    widths = {x.shape[1:] for x, _ in parts}
    if len(widths) > 1:
        raise ValueError(f"every graph's x must have the same number of features, got {sorted(widths)}")
    sizes = np.array([len(x) for x, _ in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    x = np.concatenate([x for x, _ in parts])
    edge_index = np.concatenate([e + off for (_, e), off in zip(parts, offsets)], axis=1)
    return x, edge_index, np.repeat(np.arange(len(parts)), sizes)
