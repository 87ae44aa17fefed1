"""The NumPy GCNConv (companion.np.GCNConv, forward and backward by hand) against our PyTorch twin
(companion.torch.GCNConv) and PyTorch Geometric's GCNConv on the CPU, forward and backward, at the chapter's
size (Zachary's karate club: 34 nodes, 156 directed edges, 34 one-hot features -> 16) and on a random graph
of 10,000 nodes and 100,000 edges (64 -> 64 features), in one run.

    .venv/bin/python benchmarks/bench_gnn.py               # every library with its default threads
    .venv/bin/python benchmarks/bench_gnn.py --one-thread  # one thread each, timed in CPU seconds

Each step is the layer's forward pass (normalization included: no ``cached``) and the gradients of
L = Σ output ⊙ dout with respect to x and every parameter. Prints a table of times and the ratios to PyG
(issue [9/11]'s goal: NumPy at most 2x PyG). Asserts nothing: timings on a shared machine are noisy, so each
time is the best of several repeats, the libraries' calls alternating so that all meet the same load.
"""

from _timing import best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_geometric.nn import GCNConv as PygGCN  # noqa: E402

import companion.np as cnp  # noqa: E402
import companion.torch as ct  # noqa: E402
from companion.data.karate import karate_club  # noqa: E402
from _layers import DTYPES, numpy_step, print_threads, torch_step  # noqa: E402

limit_threads(torch)
CPU = torch.device("cpu")


def graphs(rng):
    """(name, x, edge_index, out_channels): the karate club, then a random directed graph."""
    club = karate_club()
    n, e = 10_000, 100_000
    yield "karate", club.x, club.edge_index, 16
    yield "random", rng.normal(size=(n, 64)), rng.integers(0, n, size=(2, e)), 64


def graph_layer_table(column, make):
    """Times and prints, for each graph and dtype, the NumPy layer, our torch twin and PyG's layer, built by
    ``make(in_channels, width, np_dtype, torch_dtype, rng)`` -> (label, numpy layer, ours, PyG's) with ours
    and PyG's given the NumPy layer's weights; ``label`` fills the column named ``column`` (5 wide)."""
    rng = np.random.default_rng(0)
    print_threads()
    print(f"{'graph':<7} {'N':>6} {'E':>7} {column:>5} {'dtype':<8} {'numpy ms':>9} {'ours ms':>8} {'PyG ms':>8} "
          f"{'numpy/PyG':>9} {'ours/PyG':>8}")
    for name, x, edge_index, width in graphs(rng):
        for dtype_name, np_dtype, torch_dtype in DTYPES:
            label, layer, ours, pyg = make(x.shape[1], width, np_dtype, torch_dtype, rng)
            state = {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
            ours.load_state_dict(state)
            pyg.load_state_dict(state)
            xs, dout = x.astype(np_dtype), rng.normal(size=(x.shape[0], width)).astype(np_dtype)
            x_t, ei_t, dout_t = torch.tensor(xs, requires_grad=True), torch.from_numpy(edge_index), torch.tensor(dout)
            t_np, t_ours, t_pyg = best_times([numpy_step(layer, (xs, edge_index), dout),
                                              torch_step(ours, (x_t, ei_t), dout_t),
                                              torch_step(pyg, (x_t, ei_t), dout_t)])
            print(f"{name:<7} {x.shape[0]:>6} {edge_index.shape[1]:>7} {label:>5} {dtype_name:<8} "
                  f"{1e3 * t_np:>9.2f} {1e3 * t_ours:>8.2f} {1e3 * t_pyg:>8.2f} {t_np / t_pyg:>9.2f} "
                  f"{t_ours / t_pyg:>8.2f}")


def gcn_layers(in_channels, out_channels, np_dtype, torch_dtype, rng):
    return (f"{in_channels}>{out_channels}", cnp.GCNConv(in_channels, out_channels, rng=rng, dtype=np_dtype),
            ct.GCNConv(in_channels, out_channels, dtype=torch_dtype, device=CPU),
            PygGCN(in_channels, out_channels).to(torch_dtype))


def main():
    graph_layer_table("F", gcn_layers)


if __name__ == "__main__":
    main()
