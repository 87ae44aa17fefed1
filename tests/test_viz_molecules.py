"""The molecule figures draw every atom and bond they are given, halo exactly the carboxyl groups, and lay
atoms out at bond-path distances."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from scipy.sparse.csgraph import shortest_path  # noqa: E402

from companion.data.molecules import LABELS, molecules  # noqa: E402
from companion.viz.molecules import ELEMENT_COLOURS, HALO, draw_molecule, draw_molecules, molecule_layout  # noqa: E402


@pytest.fixture(scope="module")
def mols():
    return molecules(6, rng=0)


def _halo_and_atoms(ax):
    halos = [c for c in ax.collections if np.allclose(c.get_facecolor()[0], to_rgba(HALO))]
    atoms = [c for c in ax.collections if c not in halos]
    return halos, atoms


def test_every_atom_and_bond_drawn_with_its_colour_and_symbol(mols):
    for mol in mols:
        ax = draw_molecule(mol)
        halos, (atoms,) = _halo_and_atoms(ax)
        assert len(atoms.get_offsets()) == mol.num_nodes
        np.testing.assert_allclose(atoms.get_facecolor(), [to_rgba(ELEMENT_COLOURS[s]) for s in mol.symbols])
        assert [t.get_text() for t in ax.texts] == mol.symbols
        assert len(ax.lines) == len(mol.bonds) + int((mol.orders == 2).sum())     # a double bond is two lines
        assert ax.get_title() == LABELS[mol.y]
        # the halo marks the acid's C, =O and OH, and nothing in a non-acid
        assert len(halos) == mol.y and (not halos or len(halos[0].get_offsets()) == 3)
        plt.close(ax.figure)


def test_highlight_off_and_own_titles(mols):
    fig = draw_molecules(mols, ncols=4, highlight=False, titles=[f"m{i}" for i in range(6)])
    assert len(fig.axes) == 8                                             # two rows of four, two left empty
    assert [ax.get_title() for ax in fig.axes[:6]] == [f"m{i}" for i in range(6)]
    assert all(not _halo_and_atoms(ax)[0] for ax in fig.axes[:6])
    assert not fig.axes[7].axison and not fig.axes[7].collections
    plt.close(fig)


def test_layout_keeps_bonds_about_one_unit_long_and_is_deterministic(mols):
    for mol in mols:
        pos = molecule_layout(mol)
        np.testing.assert_array_equal(pos, molecule_layout(mol))
        lengths = np.linalg.norm(pos[mol.bonds[:, 0]] - pos[mol.bonds[:, 1]], axis=1)
        assert 0.7 < np.median(lengths) < 1.3
        n = mol.num_nodes
        d = shortest_path(csr_matrix((np.ones(len(mol.bonds)), tuple(mol.bonds.T)), shape=(n, n)), directed=False)
        on_page = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
        upper = np.triu_indices(n, 1)
        assert np.corrcoef(d[upper], on_page[upper])[0, 1] > 0.9             # far in the graph, far on the page
        assert np.ptp(pos[:, 0]) >= np.ptp(pos[:, 1])                         # the long axis lies along x


def test_bad_input(mols):
    with pytest.raises(ValueError, match="needs at least one molecule"):
        draw_molecules([])
    with pytest.raises(ValueError, match="one title per molecule: 1 titles for 6 molecules"):
        draw_molecules(mols, titles=["a"])
    with pytest.raises(ValueError, match="takes a companion.data.molecules.Molecule"):
        draw_molecule((mols[0].x, mols[0].edge_index))
