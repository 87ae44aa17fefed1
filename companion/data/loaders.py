"""Feeding a plain PyTorch loop the mini-batches that ``companion.train.fit`` uses.

``torch.utils.data.DataLoader`` asks its sampler for an order of sample indices at the start of every
epoch; :class:`FitOrderSampler` answers with the order ``fit`` would use, so a loop written by hand
around a ``DataLoader`` and ``fit`` see the same batches in the same order.
"""

import numpy as np
import torch

from companion._validate import check_positive_int
from companion.data.splits import epoch_order


class FitOrderSampler(torch.utils.data.Sampler):
    """Sample indices in ``fit``'s order: epoch e visits the e-th permutation drawn from
    ``numpy.random.default_rng(seed)`` (:func:`companion.data.splits.epoch_order`).

    ``DataLoader(dataset, batch_size=b, sampler=FitOrderSampler(len(dataset), seed=s))`` yields the
    batches of ``fit(..., batch_size=b, seed=s)``, epoch after epoch. Each pass over the sampler draws
    the next permutation, so make a new sampler to start again from the first epoch.
    """

    def __init__(self, n, seed=0):
        check_positive_int(n, "n (the number of samples)")
        self.n, self.rng = int(n), np.random.default_rng(seed)

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(epoch_order(self.n, rng=self.rng).tolist())
