"""The NumPy GATConv (companion.np.GATConv, forward and backward by hand) against our PyTorch twin
(companion.torch.GATConv) and PyTorch Geometric's GATConv on the CPU, forward and backward, on the graphs of
benchmarks/bench_gnn.py: the karate club (34 nodes, 156 directed edges, 34 one-hot features -> 4 heads of 4)
and a random graph of 10,000 nodes and 100,000 edges (64 features -> 8 heads of 8), in one run.

    .venv/bin/python benchmarks/bench_gat.py               # every library with its default threads
    .venv/bin/python benchmarks/bench_gat.py --one-thread  # one thread each, timed in CPU seconds

Each step is the layer's forward pass (self-loops added, the default) and the gradients of L = Σ output ⊙ dout
with respect to x and every parameter, in eval mode (no dropout). Prints times and the ratios to PyG. Asserts
nothing: each time is the best of several repeats, the libraries' calls alternating under the same load.
"""

from _timing import ONE_THREAD, best_times  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_geometric.nn import GATConv as PygGAT  # noqa: E402

import companion.np as cnp  # noqa: E402
import companion.torch as ct  # noqa: E402
from bench_gnn import CPU, graphs, numpy_step, torch_step  # noqa: E402  (GCNConv's graphs and steps; one thread)


def main():
    rng = np.random.default_rng(0)
    dtypes = [("float32", np.float32, torch.float32), ("float64", np.float64, torch.float64)]
    print(f"threads: {'one' if ONE_THREAD else 'default'} (torch uses {torch.get_num_threads()})")
    print(f"{'graph':<7} {'N':>6} {'E':>7} {'heads':>5} {'dtype':<8} {'numpy ms':>9} {'ours ms':>8} {'PyG ms':>8} "
          f"{'numpy/PyG':>9} {'ours/PyG':>8}")
    for name, x, edge_index, width in graphs(rng):
        heads = int(np.sqrt(width))
        in_channels = x.shape[1]
        for dtype_name, np_dtype, torch_dtype in dtypes:
            layer = cnp.GATConv(in_channels, width // heads, heads=heads, rng=rng, dtype=np_dtype).eval()
            ours = ct.GATConv(in_channels, width // heads, heads=heads, dtype=torch_dtype, device=CPU).eval()
            pyg = PygGAT(in_channels, width // heads, heads=heads).to(torch_dtype).eval()
            state = {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
            ours.load_state_dict(state)
            pyg.load_state_dict(state)
            xs, dout = x.astype(np_dtype), rng.normal(size=(x.shape[0], width)).astype(np_dtype)
            x_t, ei_t, dout_t = torch.tensor(xs, requires_grad=True), torch.from_numpy(edge_index), torch.tensor(dout)
            t_np, t_ours, t_pyg = best_times([numpy_step(layer, xs, edge_index, dout),
                                              torch_step(ours, x_t, ei_t, dout_t),
                                              torch_step(pyg, x_t, ei_t, dout_t)])
            print(f"{name:<7} {x.shape[0]:>6} {edge_index.shape[1]:>7} {heads:>5} {dtype_name:<8} "
                  f"{1e3 * t_np:>9.2f} {1e3 * t_ours:>8.2f} {1e3 * t_pyg:>8.2f} {t_np / t_pyg:>9.2f} "
                  f"{t_ours / t_pyg:>8.2f}")


if __name__ == "__main__":
    main()
