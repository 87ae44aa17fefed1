"""Argument checks shared by the graph operations of both backends (:mod:`companion.np.graph`,
:mod:`companion.torch.graph`), so that a bad ``edge_index`` or ``index`` fails with the same clear message.

Conventions are PyTorch Geometric's: ``edge_index`` is an integer array (2, E), row 0 the source j and row 1
the target i of each edge j -> i; ``num_nodes=None`` means ``edge_index.max() + 1`` (0 for no edges).
The checks look at shapes and values only and work on NumPy arrays and torch tensors alike.
"""

import numpy as np

from companion._validate import check_choice, shape_of

REDUCES = ("sum", "add", "mean", "max", "min", "mul")
AGGRS = ("sum", "add", "mean", "max", "min")
FLOWS = ("source_to_target", "target_to_source")


def _is_integer(x):
    if hasattr(x, "is_floating_point"):  # a torch tensor
        return not (x.is_floating_point() or x.is_complex()) and str(x.dtype) != "torch.bool"
    return np.issubdtype(np.asarray(x).dtype, np.integer)


def _min_max(x):
    """(min, max) of a non-empty integer array or tensor, as Python ints."""
    return int(x.min()), int(x.max())


def check_count(value, name):
    """A non-negative integer (a number of nodes, of graphs, an output size)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_index(index, name="index", size=None, length=None):
    """A 1-D integer index with entries in [0, size) and ``length`` entries; returns ``size`` or max + 1.

    ``size=None`` infers it as ``index.max() + 1`` (0 for an empty index), as PyG does.
    """
    if len(shape_of(index)) != 1:
        raise ValueError(f"{name} must be 1-D, got shape {shape_of(index)}")
    if not _is_integer(index):
        raise ValueError(f"{name} must hold integers (node or graph ids), got dtype {index.dtype}")
    if length is not None and shape_of(index)[0] != length:
        raise ValueError(f"{name} has {shape_of(index)[0]} entries but the values have {length} rows")
    return _check_ids(index, size, "dim_size" if name == "index" else "size", name)


def check_edge_index(edge_index, num_nodes=None):
    """An integer (2, E) edge list with node ids in [0, num_nodes); returns num_nodes (inferred if None)."""
    if len(shape_of(edge_index)) != 2 or shape_of(edge_index)[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E): row 0 the sources, row 1 the targets; "
                         f"got shape {shape_of(edge_index)}")
    if not _is_integer(edge_index):
        raise ValueError(f"edge_index must hold integer node ids, got dtype {edge_index.dtype}")
    return _check_ids(edge_index, num_nodes, "num_nodes", "edge_index", "node ")


def _check_ids(ids, count, count_name, name, noun=""):
    """The range check of :func:`check_index` and :func:`check_edge_index`: every id in [0, count).

    Returns ``count`` (checked as ``count_name``), or ``ids.max() + 1`` where it is None (0 for no ids).
    """
    if count is not None:
        count = check_count(count, count_name)
    if shape_of(ids)[-1] == 0:
        return 0 if count is None else count
    low, high = _min_max(ids)
    if low < 0:
        raise ValueError(f"{name} must not hold negative {noun}ids, got {low}")
    if count is None:
        return high + 1
    if high >= count:
        raise ValueError(f"{name} holds {noun}{high}, out of range for {count_name}={count} "
                         f"(ids must lie in [0, {count}))")
    return count


def check_edge_values(values, edge_index, name="edge_weight", ranks=(1,)):
    """Per-edge values: one row per edge (E,) (or (E, ...) where ``ranks`` allows more dimensions)."""
    if values is None:
        return
    if len(shape_of(values)) not in ranks:
        raise ValueError(f"{name} must be {' or '.join(f'{r}-D' for r in ranks)}, got shape {shape_of(values)}")
    if shape_of(values)[0] != shape_of(edge_index)[1]:
        raise ValueError(f"{name} has {shape_of(values)[0]} entries but edge_index has {shape_of(edge_index)[1]} "
                         f"edges")


def check_nodes(x, num_nodes, name="x"):
    """Node features (N, ...) with one row per node."""
    if len(shape_of(x)) < 1:
        raise ValueError(f"{name} must have one row per node, got shape {shape_of(x)}")
    if num_nodes is not None and shape_of(x)[0] != num_nodes:
        raise ValueError(f"{name} has {shape_of(x)[0]} rows but the graph has {num_nodes} nodes")


def graph_size(x, edge_index, num_nodes):
    """Checks for (x, edge_index): num_nodes defaults to x's length (the nodes need not all have edges)."""
    if len(shape_of(x)) < 1:
        raise ValueError(f"x must have one row per node, (N, F), got shape {shape_of(x)}")
    num_nodes = shape_of(x)[0] if num_nodes is None else num_nodes
    num_nodes = check_edge_index(edge_index, num_nodes)
    check_nodes(x, num_nodes)
    return num_nodes


def check_reduce(reduce, choices=REDUCES, name="reduce"):
    check_choice(reduce, name, choices)
    return "sum" if reduce == "add" else reduce


def check_fill_value(fill_value):
    """None (1), a real number, an array/tensor, or the name of a reduce ("sum", "add", "mean", ...)."""
    if isinstance(fill_value, str):
        check_reduce(fill_value, name="fill_value")
    elif fill_value is not None and isinstance(fill_value, bool):
        raise ValueError(f"fill_value must be None, a number, an array or a reduce name, got {fill_value!r}")


def check_square(A, name="A"):
    if len(shape_of(A)) != 2 or shape_of(A)[0] != shape_of(A)[1]:
        raise ValueError(f"{name} must be a square (N, N) matrix, got shape {shape_of(A)}")
