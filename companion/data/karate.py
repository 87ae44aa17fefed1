"""Zachary's karate club (Zachary 1977) as arrays for node classification, in PyTorch Geometric's layout.

Thirty-four members of a university karate club; an edge joins two members who met outside the club. The
club split in two after a dispute between the instructor ("Mr. Hi", node 0) and the club's officer
(node 33), and the label of each member is the faction he or she joined (networkx's 'club' attribute,
from the "Club After Split From Data" column of Zachary's Table 3). networkx ships the graph: nothing is
downloaded.
"""

from dataclasses import dataclass

import numpy as np

FACTIONS = ("Mr. Hi", "Officer")
LEADERS = (0, 33)  # the instructor and the officer, one per faction, in the order of FACTIONS


@dataclass(frozen=True)
class NodeClassification:
    """One graph with a label per node and the nodes whose labels training may see.

    x (N, F) node features; edge_index (2, E) int64, row 0 the source j, row 1 the target i, every
    undirected edge stored in both directions; y (N,) int64 class per node; train_mask (N,) bool, True on
    the labelled nodes; classes the class names, in the order of y's values.
    """

    x: np.ndarray
    edge_index: np.ndarray
    y: np.ndarray
    train_mask: np.ndarray
    classes: tuple

    @property
    def num_nodes(self):
        return len(self.y)

    @property
    def test_mask(self):
        """The nodes whose labels training never sees."""
        return ~self.train_mask


def karate_club(labelled_per_class=1, rng=0):
    """Zachary's karate club: 34 nodes, 78 friendships (156 directed edges), two factions.

    Features are one-hot identities, x = I (34, 34): a node is known only by who it is, so whatever a
    model learns about an unlabelled node it learns through the edges. ``labelled_per_class`` nodes of each
    faction are labelled: its leader (node 0 for Mr. Hi, node 33 for the officer) first, then members
    drawn at random (``rng``: a seed or a Generator) from the rest of that faction.
    """
    import networkx as nx  # imported here: only this data set needs it

    graph = nx.karate_club_graph()
    y = np.array([FACTIONS.index(graph.nodes[i]["club"]) for i in range(graph.number_of_nodes())], dtype=np.int64)
    edges = np.array(sorted(graph.edges()), dtype=np.int64).T                      # (2, 78), i < j
    edge_index = np.concatenate([edges, edges[::-1]], axis=1)                      # both directions
    edge_index = edge_index[:, np.lexsort((edge_index[0], edge_index[1]))]         # sorted by target, then source
    return NodeClassification(x=np.eye(len(y)), edge_index=edge_index, y=y,
                              train_mask=labelled_mask(y, labelled_per_class, rng), classes=FACTIONS)


def labelled_mask(y, per_class, rng=0):
    """A boolean mask (N,) with ``per_class`` nodes of each class of the karate club: the class's leader
    (:data:`LEADERS`) first, then members drawn at random without replacement from the rest."""
    y = np.asarray(y)
    counts = np.bincount(y, minlength=len(LEADERS))
    if not 1 <= per_class <= counts.min():
        raise ValueError(f"labelled_per_class must be between 1 and {counts.min()} (the smaller faction's "
                         f"size), got {per_class}")
    rng = np.random.default_rng(rng)
    mask = np.zeros(len(y), dtype=bool)
    for label, leader in enumerate(LEADERS):
        others = np.flatnonzero((y == label) & (np.arange(len(y)) != leader))
        mask[leader] = True
        mask[rng.choice(others, size=per_class - 1, replace=False)] = True
    return mask
