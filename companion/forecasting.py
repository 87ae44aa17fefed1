"""A recurrent forecaster: read a window of past values, predict the next one.

Trained with :func:`companion.train.fit` (loss="mse"), like any other PyTorch network of the book.
"""

import numpy as np
import torch

from companion.torch.dense import Dense
from companion.torch.recurrent import layer_class


class LastStepRegressor(torch.nn.Module):
    """A recurrent layer over the window, then a linear layer on its last output.

    Shapes: x (N, T) or (N, T, input_size) -> (N, 1). ``fused`` runs torch's kernel on the same
    parameters (the step-by-step code gives the same numbers, slower). ``rng`` (a seed or a Generator)
    draws every initial weight, so the same seed gives the same network.
    """

    def __init__(self, cell="lstm", input_size=1, hidden_size=32, num_layers=1, *, fused=True, rng=None,
                 dtype=None, device=None):
        super().__init__()
        rng = np.random.default_rng(rng)                 # one generator for both layers: a seed fixes the net
        self.rnn = layer_class(cell)(input_size, hidden_size, num_layers, batch_first=True, fused=fused, rng=rng,
                                dtype=dtype, device=device)
        first = self.rnn.weight_ih_l0
        self.head = Dense(hidden_size, 1, rng=rng, dtype=first.dtype, device=first.device)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(-1)                                     # (N, T) -> (N, T, 1)
        output, _ = self.rnn(x)                                     # (N, T, H)
        return self.head(output[:, -1])                             # (N, 1)
