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

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_geometric.nn import GCNConv as PygGCN  # noqa: E402

import companion.np as cnp  # noqa: E402
import companion.torch as ct  # noqa: E402
from companion.data.karate import karate_club  # noqa: E402

limit_threads(torch)
CPU = torch.device("cpu")


def graphs(rng):
    """(name, x, edge_index, out_channels): the karate club, then a random directed graph."""
    club = karate_club()
    n, e = 10_000, 100_000
    yield "karate", club.x, club.edge_index, 16
    yield "random", rng.normal(size=(n, 64)), rng.integers(0, n, size=(2, e)), 64


def numpy_step(layer, x, edge_index, dout):
    def step():
        layer.forward(x, edge_index)
        layer.backward(dout)
    return step


def torch_step(net, x, edge_index, dout):
    """Forward and backward with autograd (x's gradient too, as the NumPy backward computes it)."""
    def step():
        net.zero_grad()
        x.grad = None
        (net(x, edge_index) * dout).sum().backward()
    return step


def main():
    rng = np.random.default_rng(0)
    dtypes = [("float32", np.float32, torch.float32), ("float64", np.float64, torch.float64)]
    print(f"threads: {'one' if ONE_THREAD else 'default'} (torch uses {torch.get_num_threads()})")
    print(f"{'graph':<7} {'N':>6} {'E':>7} {'F':>5} {'dtype':<8} {'numpy ms':>9} {'ours ms':>8} {'PyG ms':>8} "
          f"{'numpy/PyG':>9} {'ours/PyG':>8}")
    for name, x, edge_index, out_channels in graphs(rng):
        in_channels = x.shape[1]
        for dtype_name, np_dtype, torch_dtype in dtypes:
            layer = cnp.GCNConv(in_channels, out_channels, rng=rng, dtype=np_dtype)
            ours = ct.GCNConv(in_channels, out_channels, dtype=torch_dtype, device=CPU)
            pyg = PygGCN(in_channels, out_channels).to(torch_dtype)
            state = {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
            ours.load_state_dict(state)
            pyg.load_state_dict(state)
            xs, dout = x.astype(np_dtype), rng.normal(size=(x.shape[0], out_channels)).astype(np_dtype)
            x_t, ei_t, dout_t = torch.tensor(xs, requires_grad=True), torch.from_numpy(edge_index), torch.tensor(dout)
            t_np, t_ours, t_pyg = best_times([numpy_step(layer, xs, edge_index, dout),
                                              torch_step(ours, x_t, ei_t, dout_t),
                                              torch_step(pyg, x_t, ei_t, dout_t)])
            print(f"{name:<7} {x.shape[0]:>6} {edge_index.shape[1]:>7} {f'{in_channels}>{out_channels}':>5} "
                  f"{dtype_name:<8} {1e3 * t_np:>9.2f} {1e3 * t_ours:>8.2f} {1e3 * t_pyg:>8.2f} "
                  f"{t_np / t_pyg:>9.2f} {t_ours / t_pyg:>8.2f}")


if __name__ == "__main__":
    main()
