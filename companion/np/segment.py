"""Segment reductions in NumPy, forward and backward by hand: scatter (sum, mean, max, min, mul) and the
softmax over the entries that share an index, as ``torch_geometric.utils.scatter`` and ``softmax``. They
are the primitives of message passing (:mod:`companion.np.graph`, which re-exports them): each node
reduces the messages on its incoming edges.

Speed: no Python loop over entries. The entries are sorted by their index once (a counting sort; argsort
for a few entries) and the sort is kept in the cache for the backward pass (:class:`Groups`); sums are one
sparse matrix product (scipy's CSR matrix built straight from the sort), max, min and product reduce each
sorted run with ``np.maximum.reduceat`` and friends.
"""

import numpy as np

from companion._graph import check_index, check_reduce

REDUCE_UFUNCS = {"max": np.maximum, "min": np.minimum, "mul": np.multiply}
# Below this size scipy's per-call overhead (about 0.1 ms a sparse matrix) outweighs its speed: fewer
# entries are sorted by argsort and summed by reduceat.
SORT_ENTRIES = 2048


def _sparse():
    """scipy.sparse, imported on first use: it takes about a second to import, and every chapter imports
    companion.np while only large graphs need it."""
    import scipy.sparse

    return scipy.sparse


class Groups:
    """Entries grouped by ``index`` (E,) into ``size`` groups: sorted once, reused forward and backward.

    ``order`` lists the entries group by group (stable); ``counts[g]`` is the size of group g;
    ``indptr`` (size + 1,) marks where each group starts in ``order``, as a CSR row pointer.
    """

    def __init__(self, index, size):
        self.index = np.asarray(index, dtype=np.int64)
        self.size = size
        self.counts = np.bincount(self.index, minlength=size)
        # a stable sort by index in O(E + size): scipy's COO -> CSR conversion is a counting sort, and with
        # the entry numbers as the data its data array comes out as the order (argsort is O(E log E))
        entries = np.arange(len(self.index))
        if len(entries) < SORT_ENTRIES:
            self.order = np.argsort(self.index, kind="stable")
        else:
            self.order = _sparse().coo_matrix((entries, (self.index, entries)), shape=(size, len(entries))).tocsr().data
        self.indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(self.counts, out=self.indptr[1:])
        self.nonempty = np.flatnonzero(self.counts)

    def divisor(self, dtype):
        """(size, 1) group sizes (1 for an empty group) in ``dtype``, to divide sums into means in that precision."""
        return np.maximum(self.counts, 1).astype(dtype)[:, None]

    def matrix(self, data=None, columns=None, n_columns=None, dtype=np.float64):
        """The CSR matrix M (size, n_columns) with M[index[e], columns[e]] += data[e].

        Defaults: ``columns`` = the entries themselves (so M @ src sums each group), data = ones.
        """
        if columns is None:
            columns, n_columns = self.order, len(self.index)
        else:
            columns = columns[self.order]
        data = np.ones(len(self.index), dtype=dtype) if data is None else data[self.order]
        return _sparse().csr_matrix((data, columns, self.indptr), shape=(self.size, n_columns))

    def reduce(self, values, ufunc, empty):
        """ufunc over each group's rows of ``values`` (E, K) -> (size, K); ``empty`` where a group is empty."""
        return self.reduce_sorted(np.take(values.T, self.order, axis=1), ufunc, empty)

    def reduce_sorted(self, columns, ufunc, empty):
        """:meth:`reduce` for values already laid out as ``columns`` (K, E), the entries in group order.

        Transposed because ``ufunc.reduceat`` along the last axis reduces contiguous runs, several times
        faster than along the first axis of (E, K).
        """
        out = np.full((self.size, columns.shape[0]), empty, dtype=columns.dtype)
        if len(self.nonempty):
            out[self.nonempty] = ufunc.reduceat(columns, self.indptr[self.nonempty], axis=1).T
        return out

    def sum(self, values):
        """Sum of each group's rows of ``values`` (E, K) -> (size, K)."""
        if values.dtype.kind not in "fc" or len(self.index) < SORT_ENTRIES:
            return self.reduce(values, np.add, 0)
        return np.asarray(self.matrix(dtype=values.dtype) @ values)


def flat_rows(values):
    """(E, ...) -> (E, K) so every op works on one 2-D layout; the caller reshapes back."""
    return values.reshape(values.shape[0], int(np.prod(values.shape[1:], dtype=np.int64)))


# ---------------------------------------------------------------------------------------------- scatter

def scatter_forward(src, index, dim_size=None, reduce="sum", groups=None):
    """out[g] = REDUCE over the rows e of ``src`` with index[e] = g, along dim 0, as
    ``torch_geometric.utils.scatter(src, index, 0, dim_size, reduce)``.

    src (E, ...), index (E,) ints in [0, dim_size) -> out (dim_size, ...); dim_size None: index.max() + 1.
    reduce: "sum" (= "add"), "mean", "max", "min", "mul". Empty groups give 0 (1 for "mul").
    Returns (out, cache) for :func:`scatter_backward`. ``groups``: a :class:`Groups` of this index and
    dim_size, to reuse its sort.
    """
    src = np.asarray(src)
    if src.ndim < 1:
        raise ValueError(f"src must have at least one dimension (one row per entry), got shape {src.shape}")
    reduce = check_reduce(reduce)
    dim_size = check_index(index, "index", dim_size, length=src.shape[0])
    groups = Groups(index, dim_size) if groups is None else groups
    flat = flat_rows(src)
    if reduce in ("sum", "mean"):
        out = groups.sum(flat)
        if reduce == "mean":
            out = out / groups.divisor(out.dtype)
    else:
        out = groups.reduce(flat, REDUCE_UFUNCS[reduce], 1 if reduce == "mul" else 0)
    cache = (flat, src.shape, reduce, groups, out)
    return out.reshape((dim_size,) + src.shape[1:]), cache


def scatter_backward(dout, cache):
    """d src from d out (dim_size, ...), as torch's autograd through PyG's scatter.

    sum: each entry gets its group's gradient; mean: divided by the group's size; max/min: shared equally
    among the entries tied at the extreme (torch's scatter_reduce amax/amin rule, except that torch also
    counts the 0 its output starts from as a tie, halving the gradient of a group whose extreme is exactly
    0; here such a group's extreme gets all of it, the derivative of max); mul: the product of the
    group's other entries (zeros handled as torch's scatter_reduce "prod" backward does).
    """
    flat, shape, reduce, groups, out = cache
    dout = np.asarray(dout).reshape(out.shape)
    index = groups.index
    if reduce == "sum":
        dsrc = np.take(dout, index, axis=0)
    elif reduce == "mean":
        dsrc = np.take(dout / groups.divisor(dout.dtype), index, axis=0)
    elif reduce in ("max", "min"):
        winner = flat == np.take(out, index, axis=0)
        ties = groups.sum(winner.astype(dout.dtype))
        dsrc = np.where(winner, np.take(dout / np.maximum(ties, 1), index, axis=0), 0.0)
    else:  # mul
        dsrc = _product_backward(flat, dout, groups, out)
    return dsrc.reshape(shape)


def _product_backward(flat, dout, groups, out):
    """d/d src_e of prod(group) = the product of the group's other entries, without dividing by zero."""
    index = groups.index
    zero = flat == 0
    n_zeros = groups.sum(zero.astype(np.int64))[index]
    product_of_nonzeros = groups.reduce(np.where(zero, 1, flat), np.multiply, 1)[index]
    safe = np.where(zero, 1, flat)
    return np.where(zero & (n_zeros == 1), dout[index] * product_of_nonzeros, dout[index] * out[index] / safe)


def scatter(src, index, dim_size=None, reduce="sum"):
    """The forward of :func:`scatter_forward` alone."""
    return scatter_forward(src, index, dim_size, reduce)[0]


# ------------------------------------------------------------------------------------------ the softmax

def scatter_softmax_forward(src, index, num_nodes=None):
    """softmax over the entries that share an index, as ``torch_geometric.utils.softmax(src, index)``.

    src (E,) or (E, H) (one column per attention head), index (E,) -> out like src, each group's entries
    summing to 1 per column: out_e = exp(src_e - max_g) / (sum over the group of exp(. - max_g) + 1e-16),
    where max_g is the group's maximum (subtracted for stability; PyG's 1e-16 kept).
    """
    src = np.asarray(src)
    if src.ndim < 1:
        raise ValueError(f"src must have at least one dimension (one row per entry), got shape {src.shape}")
    num_nodes = check_index(index, "index", num_nodes, length=src.shape[0])
    groups = Groups(index, num_nodes)
    flat = flat_rows(src)
    index = groups.index
    exp = np.exp(flat - groups.reduce(flat, np.maximum, 0)[index])
    out = exp / (groups.sum(exp) + 1e-16)[index]
    return out.reshape(src.shape), (out, groups, src.shape)


def scatter_softmax_backward(dout, cache):
    """d src = out * (d out - sum over the group of d out * out), the softmax Jacobian within each group."""
    out, groups, shape = cache
    dout = flat_rows(np.asarray(dout))
    return (out * (dout - groups.sum(dout * out)[groups.index])).reshape(shape)


def scatter_softmax(src, index, num_nodes=None):
    """The forward of :func:`scatter_softmax_forward` alone."""
    return scatter_softmax_forward(src, index, num_nodes)[0]
