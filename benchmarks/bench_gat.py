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

import _timing  # noqa: F401  (first: sets the thread variables)

import numpy as np  # noqa: E402
from torch_geometric.nn import GATConv as PygGAT  # noqa: E402

import companion.np as cnp  # noqa: E402
import companion.torch as ct  # noqa: E402
from bench_gnn import CPU, graph_layer_table  # noqa: E402  (GCNConv's graphs and table; one thread)


def gat_layers(in_channels, width, np_dtype, torch_dtype, rng):
    """width = heads * out_channels with heads = √width (karate: 4 heads of 4; random: 8 heads of 8), eval mode."""
    heads = int(np.sqrt(width))
    return (heads, cnp.GATConv(in_channels, width // heads, heads=heads, rng=rng, dtype=np_dtype).eval(),
            ct.GATConv(in_channels, width // heads, heads=heads, dtype=torch_dtype, device=CPU).eval(),
            PygGAT(in_channels, width // heads, heads=heads).to(torch_dtype).eval())


def main():
    graph_layer_table("heads", gat_layers)


if __name__ == "__main__":
    main()
