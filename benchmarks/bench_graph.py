"""NumPy message passing (companion.np.graph.propagate_forward/backward, by hand) against the same step in
torch (gather with index_select, scatter with index_add_ or scatter_reduce, autograd for the backward) and
against PyTorch Geometric's MessagePassing, on the CPU, on a random graph of 10,000 nodes and 100,000
directed edges with 64 features, weighted edges, for the sum, mean and max aggregations; then the GCN
normalization (companion.np.graph.gcn_norm against PyG's gcn_norm).

    .venv/bin/python benchmarks/bench_graph.py               # both libraries with their default threads
    .venv/bin/python benchmarks/bench_graph.py --one-thread  # one thread each, timed in CPU seconds

Forward and backward: the gradient of L = Σ out ⊙ dout for x and the edge weights. Prints times and
ratios (the issue's goal for the GCN layer is NumPy at most 2x PyG; benchmarks/bench_gnn.py times the
layers). Asserts nothing: each time is the best of several repeats, the calls alternating.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_geometric.nn import MessagePassing  # noqa: E402
from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_gcn_norm  # noqa: E402

import companion.np.graph as G  # noqa: E402
import companion.torch.graph as T  # noqa: E402

limit_threads(torch)
N, E, F = 10_000, 100_000, 64


class Weighted(MessagePassing):
    """PyG's message passing with the message w_ji * x_j."""

    def forward(self, x, edge_index, edge_weight):
        return self.propagate(edge_index, x=x, edge_weight=edge_weight)

    def message(self, x_j, edge_weight):
        return x_j * edge_weight.view(-1, 1)


def main():
    rng = np.random.default_rng(0)
    edge_index = rng.integers(0, N, size=(2, E))
    x = rng.normal(size=(N, F)).astype(np.float32)
    weight = rng.uniform(0.5, 2, size=E).astype(np.float32)
    dout = rng.normal(size=(N, F)).astype(np.float32)
    t_edges, t_dout = torch.from_numpy(edge_index), torch.from_numpy(dout)
    t_x, t_w = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)

    print(f"{N} nodes, {E} edges, {F} features, float32, "
          f"{'one thread (CPU seconds)' if ONE_THREAD else f'{torch.get_num_threads()} torch threads'}")
    print(f"{'forward + backward':<24}{'NumPy':>10}{'torch':>10}{'PyG':>10}{'NumPy/torch':>13}{'NumPy/PyG':>11}")
    for aggr in ("sum", "mean", "max"):
        referee = Weighted(aggr="add" if aggr == "sum" else aggr)

        def numpy_step():
            G.propagate_backward(dout, G.propagate_forward(x, edge_index, weight, aggr)[1])

        def torch_step():
            t_x.grad = t_w.grad = None
            T.propagate(t_x, t_edges, t_w, aggr).backward(t_dout)

        def pyg_step():
            t_x.grad = t_w.grad = None
            referee(t_x, t_edges, t_w).backward(t_dout)

        a, b, c = best_times([numpy_step, torch_step, pyg_step])
        print(f"{'propagate ' + aggr:<24}{a * 1e3:>8.1f}ms{b * 1e3:>8.1f}ms{c * 1e3:>8.1f}ms{a / b:>13.2f}{a / c:>11.2f}")
    a, c = best_times([lambda: G.gcn_norm(edge_index, num_nodes=N, dtype=np.float32),
                       lambda: pyg_gcn_norm(t_edges, num_nodes=N)])
    print(f"{'gcn_norm (forward)':<24}{a * 1e3:>8.1f}ms{'':>10}{c * 1e3:>8.1f}ms{'':>13}{a / c:>11.2f}")


if __name__ == "__main__":
    main()
