"""Batch normalization (chapter: Overfitting and regularization).

In training mode each feature is normalized with the batch's own mean and variance, then scaled and
shifted by learned gamma and beta; running averages of the mean and variance are kept for
evaluation mode, which uses them instead. Follows ``torch.nn.BatchNorm1d``: the running variance is
updated with the unbiased batch variance, the normalization uses the biased one.
"""

import numpy as np

from companion._validate import check_rank


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta for x (N, D).

    Returns (y, cache, new_running_mean, new_running_var); the running statistics come back new
    rather than being modified. In training mode mu and var are the batch's (N >= 2 needed); in
    evaluation mode they are the running ones and the cache is for evaluation-mode backward.
    """
    check_rank(x, "x", (2,))
    if training:
        if x.shape[0] < 2:
            raise ValueError(f"batch normalization in training mode needs at least 2 samples, got {x.shape[0]}")
        mu, var = x.mean(axis=0), x.var(axis=0)
        n = x.shape[0]
        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mu, var = running_mean, running_var
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, training), running_mean, running_var


def batchnorm_backward(dout, cache):
    """(dx, dgamma, dbeta) from dL/dy (N, D).

    Training mode: mu and var depend on every x in the batch, which gives
    dx = inv_std / N * (N dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), dx_hat = dout * gamma.
    Evaluation mode: the statistics are constants, so dx = dout * gamma * inv_std.
    """
    x_hat, gamma, inv_std, training = cache
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    dx_hat = dout * gamma
    if not training:
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


class BatchNorm1d:
    """A batch-normalization layer for :class:`companion.np.Sequential`, named as PyTorch's.

    Parameters ``weight`` (gamma) and ``bias`` (beta); buffers ``running_mean`` and ``running_var``.
    """

    def __init__(self, num_features, momentum=0.1, eps=1e-5, dtype=np.float64):
        self.weight, self.bias = np.ones(num_features, dtype), np.zeros(num_features, dtype)
        self.running_mean, self.running_var = np.zeros(num_features, dtype), np.ones(num_features, dtype)
        self.num_batches_tracked = np.array(0)
        self.momentum, self.eps, self.training, self.grads, self._cache = momentum, eps, True, {}, None

    def forward(self, x):
        if self.training:
            self.num_batches_tracked = self.num_batches_tracked + 1
        out, self._cache, self.running_mean, self.running_var = batchnorm_forward(
            x, self.weight, self.bias, self.running_mean, self.running_var, self.training, self.momentum, self.eps)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dgamma, dbeta = batchnorm_backward(dout, self._cache)
        self.grads = {"weight": dgamma, "bias": dbeta}
        return dx

    def parameters(self):
        return {"weight": self.weight, "bias": self.bias}

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": self.num_batches_tracked}

    def __repr__(self):
        return f"BatchNorm1d({len(self.weight)})"
