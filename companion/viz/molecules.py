"""Figures of the graph-classification section of "Graph neural networks": molecule-like graphs laid out so
that distances on the page follow bond-path distances (as in Kamada-Kawai's layout), atoms coloured by
element, double bonds drawn double, and the carboxyl group (-COOH) that makes a molecule an acid haloed."""

import matplotlib.pyplot as plt
import numpy as np

from companion.data.molecules import ATOM_TYPES, LABELS, Molecule, carboxyl_carbons

# the usual CPK-style colours: carbon grey, nitrogen blue, oxygen red, the halogens green
ELEMENT_COLOURS = {"C": "#606060", "N": "#3050f8", "O": "#e8202a", "F": "#5fbf2f", "Cl": "#1e9e1e"}
HALO = "#ffd92f"


def molecule_layout(mol, iterations=60):
    """Atom positions (N, 2) whose distances follow the bond-path distances d_ij (stress majorization,
    Gansner et al. 2004: minimize sum_ij (|p_i - p_j| - d_ij)^2 / d_ij^2, the energy of Kamada-Kawai's layout,
    started from classical multidimensional scaling). Deterministic, and milliseconds for a molecule, where
    networkx's Kamada-Kawai takes a good part of a second."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    n = mol.num_nodes
    if n < 3:
        return np.c_[np.arange(n, dtype=float), np.zeros(n)]
    d = shortest_path(csr_matrix((np.ones(len(mol.bonds)), tuple(mol.bonds.T)), shape=(n, n)), directed=False)
    d[np.isinf(d)] = d[np.isfinite(d)].max() + 1                  # separate pieces: a little further apart
    centre = np.eye(n) - 1.0 / n
    values, vectors = np.linalg.eigh(-0.5 * centre @ (d ** 2) @ centre)
    pos = vectors[:, -2:] * np.sqrt(np.maximum(values[-2:], 1e-9))   # classical scaling: the start
    w = np.where(d > 0, 1.0 / np.maximum(d, 1e-12) ** 2, 0.0)
    lap_pinv = np.linalg.pinv(np.diag(w.sum(axis=1)) - w)
    for _ in range(iterations):
        dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
        b = -np.where(dist > 0, w * d / np.maximum(dist, 1e-12), 0.0)
        b[np.diag_indices(n)] = -b.sum(axis=1)
        pos = lap_pinv @ b @ pos
    pos = pos - pos.mean(axis=0)
    return pos @ np.linalg.eigh(pos.T @ pos)[1][:, ::-1]            # the longer axis along x


def _carboxyl_atoms(mol):
    """The atoms of every carboxyl group: each such carbon and the oxygens bonded to it."""
    atoms = set()
    for c in carboxyl_carbons(mol):
        for i, j in mol.bonds:
            if c in (i, j):
                other = j if i == c else i
                if ATOM_TYPES[mol.atoms[other]] == "O":
                    atoms.update((c, int(other)))
    return sorted(atoms)


def _draw_bond(ax, p, q, order, offset):
    """A line from p to q; a double bond as two lines ``offset`` apart, side by side."""
    normal = np.array([q[1] - p[1], p[0] - q[0]])
    normal = normal / max(np.linalg.norm(normal), 1e-12) * offset
    shifts = [0.0] if order == 1 else [-0.5, 0.5]
    for s in shifts:
        ax.plot([p[0] + s * normal[0], q[0] + s * normal[0]], [p[1] + s * normal[1], q[1] + s * normal[1]],
                color="#444444", linewidth=1.4, zorder=1, solid_capstyle="round")


def _disc_size(ax, pos):
    """A disc diameter (points) a little over half a bond long on ``ax`` (bonds are about 1 unit long), at most
    14 points."""
    fig, box = ax.figure, ax.get_position()
    width, height = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    span = np.maximum(np.ptp(pos, axis=0), 1.0) * 1.2                 # the margins included
    return min(14.0, 0.6 * 72 * min(width / span[0], height / span[1]))


def draw_molecule(mol, ax=None, title=None, highlight=True):
    """One :class:`~companion.data.molecules.Molecule`: atoms as discs coloured by element with their symbol,
    bonds as lines (double bonds doubled), the carboxyl group's atoms haloed when ``highlight``. Discs scale
    with the molecule's size so that they do not overlap. The title defaults to the molecule's label
    ("carboxylic acid" or "no acid"). Returns the Axes."""
    if not isinstance(mol, Molecule):
        raise ValueError(f"draw_molecule takes a companion.data.molecules.Molecule, got {type(mol).__name__}")
    ax = plt.subplots(figsize=(3, 3))[1] if ax is None else ax
    pos = molecule_layout(mol)
    disc = _disc_size(ax, pos)
    for (i, j), order in zip(mol.bonds, mol.orders):
        _draw_bond(ax, pos[i], pos[j], order, offset=0.16)             # bonds are about 1 unit long
    if highlight:
        group = _carboxyl_atoms(mol)
        if group:
            ax.scatter(pos[group, 0], pos[group, 1], s=(1.8 * disc) ** 2, color=HALO, zorder=0, linewidths=0)
    symbols = mol.symbols
    ax.scatter(pos[:, 0], pos[:, 1], s=disc ** 2, c=[ELEMENT_COLOURS[s] for s in symbols], zorder=2,
               edgecolors="white", linewidths=0.6)
    for (x, y), symbol in zip(pos, symbols):
        ax.text(x, y, symbol, ha="center", va="center", fontsize=disc * (0.42 if len(symbol) > 1 else 0.55),
                color="white", fontweight="bold", zorder=3)
    ax.set_title(LABELS[mol.y] if title is None else title, fontsize=9)
    ax.set_aspect("equal")
    ax.margins(0.08)
    ax.axis("off")
    return ax


def draw_molecules(mols, ncols=4, highlight=True, titles=None, size=(2.9, 2.2)):
    """A grid of :func:`draw_molecule` panels, ``ncols`` per row, each ``size`` (width, height) inches; ``titles``
    (one per molecule) replace the labels as titles. Returns the Figure."""
    mols = list(mols)
    if not mols:
        raise ValueError("draw_molecules needs at least one molecule")
    if titles is not None and len(titles) != len(mols):
        raise ValueError(f"titles must give one title per molecule: {len(titles)} titles for {len(mols)} molecules")
    ncols = min(ncols, len(mols))
    nrows = -(-len(mols) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k < len(mols):
            draw_molecule(mols[k], ax=ax, highlight=highlight, title=None if titles is None else titles[k])
        else:
            ax.axis("off")
    height = size[1] * nrows
    # room for each panel's title (about a quarter inch); tight_layout would measure every bond to find it
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.25 / height, wspace=0.05,
                        hspace=0.25 / (size[1] - 0.25))
    return fig
