"""Batch and layer normalization (chapter: Overfitting and regularization).

In training mode each feature is normalized with the batch's own mean and variance, then scaled and
shifted by learned gamma and beta; running averages of the mean and variance are kept for
evaluation mode, which uses them instead. Follows ``torch.nn.BatchNorm1d``: the running variance is
updated with the unbiased batch variance, the normalization uses the biased one.
"""

import numpy as np

from companion._validate import (check_batchnorm2d_input, check_eps, check_normalized_shape, check_rank,
                                 check_values_per_channel, normalized_shape_tuple)


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
        if running_mean is not None:  # None: statistics not tracked (track_running_stats=False)
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


def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
    """Batch norm per channel over (N, H, W): y = gamma_c * (x - mu_c) / sqrt(var_c + eps) + beta_c.

    Shape: x (N, C, H, W); gamma, beta (C,) or None (no affine); running_mean, running_var (C,) or None
    (not tracked: batch statistics in both modes, as torch). Returns (y, cache, new_running_mean,
    new_running_var) like :func:`batchnorm_forward`, which does the math on x as (N*H*W, C) rows.
    """
    check_rank(x, "x", (4,))
    # the channel count comes from whichever per-channel array there is (neither: no constraint)
    known = next((len(a) for a in (gamma, running_mean) if a is not None), x.shape[1])
    check_batchnorm2d_input(x, known)
    check_eps(eps)
    training = training or running_mean is None
    check_values_per_channel(x, training)
    n, c, h, w = x.shape
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    beta = np.zeros(c, x.dtype) if beta is None else beta
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)  # (N*H*W, C): each pixel of each sample is one row
    out, cache, running_mean, running_var = batchnorm_forward(rows, gamma, beta, running_mean, running_var,
                                                              training, momentum, eps)
    out = out.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # (N, C, H, W)
    return out, cache, running_mean, running_var


def batchnorm2d_backward(dout, cache):
    """(dx (N, C, H, W), dgamma (C,), dbeta (C,)) from dL/dy (N, C, H, W), via :func:`batchnorm_backward`."""
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)  # (N*H*W, C)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


class BatchNorm2d:
    """Batch normalization of images (N, C, H, W) per channel, named and laid out as ``torch.nn.BatchNorm2d``.

    Parameters ``weight`` (gamma, (C,)) and ``bias`` (beta, (C,)) when ``affine``; buffers ``running_mean``,
    ``running_var`` (C,) and ``num_batches_tracked`` when ``track_running_stats``. ``momentum=None`` keeps
    a cumulative average, as torch does.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float64):
        check_eps(eps)
        self.weight, self.bias = ((np.ones(num_features, dtype), np.zeros(num_features, dtype)) if affine
                                  else (None, None))
        self.running_mean, self.running_var, self.num_batches_tracked = (
            (np.zeros(num_features, dtype), np.ones(num_features, dtype), np.array(0)) if track_running_stats
            else (None, None, None))
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.training, self.grads, self._cache = True, {}, None

    def forward(self, x):
        check_batchnorm2d_input(x, self.num_features)
        momentum = self.momentum
        if self.training and self.running_mean is not None:
            self.num_batches_tracked = self.num_batches_tracked + 1
            if momentum is None:  # cumulative average of all batches so far
                momentum = 1 / float(self.num_batches_tracked)
        out, self._cache, self.running_mean, self.running_var = batchnorm2d_forward(
            x, self.weight, self.bias, self.running_mean, self.running_var, self.training, momentum, self.eps)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dgamma, dbeta = batchnorm2d_backward(dout, self._cache)
        self.grads = {"weight": dgamma, "bias": dbeta} if self.weight is not None else {}
        return dx

    def parameters(self):
        return {"weight": self.weight, "bias": self.bias} if self.weight is not None else {}

    def buffers(self):
        if self.running_mean is None:
            return {}
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": self.num_batches_tracked}

    def __repr__(self):
        return f"BatchNorm2d({self.num_features})"


def layer_norm_forward(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """y = (x - mu) / sqrt(var + eps) * weight + bias, mu and var over the trailing normalized_shape dims.

    Shape: x (*, *normalized_shape); weight, bias normalized_shape or None. Each sample's statistics are
    its own (no batch, no running averages), so training and evaluation are the same. Returns (y, cache).
    """
    normalized_shape = normalized_shape_tuple(normalized_shape)
    check_normalized_shape(x, normalized_shape)
    check_eps(eps)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and np.shape(p) != normalized_shape:
            raise ValueError(f"{name} must have shape normalized_shape {normalized_shape}, got {np.shape(p)}")
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)  # (*, 1, ..., 1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = x_hat if weight is None else x_hat * weight
    return (out if bias is None else out + bias), (x_hat, inv_std, weight, bias is not None, axes)


def layer_norm_backward(dout, cache):
    """(dx, dweight, dbias) from dL/dy (*, *normalized_shape); dweight / dbias None where absent.

    Over the M normalized entries of each sample, with dx_hat = dout * weight:
    dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), the batch-norm formula
    with the roles of the axes swapped.
    """
    x_hat, inv_std, weight, has_bias, axes = cache
    lead = tuple(range(dout.ndim - len(axes)))  # the sample axes, summed over for the parameters
    dweight = None if weight is None else (dout * x_hat).sum(axis=lead)
    dbias = dout.sum(axis=lead) if has_bias else None
    dx_hat = dout if weight is None else dout * weight
    dx = inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True))
    return dx, dweight, dbias


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization's output alone, as ``torch.nn.functional.layer_norm``."""
    return layer_norm_forward(x, normalized_shape, weight, bias, eps)[0]


class LayerNorm:
    """Layer normalization over the trailing ``normalized_shape`` dims, named as ``torch.nn.LayerNorm``.

    Parameters ``weight`` (ones) and ``bias`` (zeros), each of shape normalized_shape, when
    ``elementwise_affine`` (``bias=False`` drops the bias alone, as torch >= 2.1).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float64):
        self.normalized_shape = normalized_shape_tuple(normalized_shape)
        check_eps(eps)
        self.weight = np.ones(self.normalized_shape, dtype) if elementwise_affine else None
        self.bias = np.zeros(self.normalized_shape, dtype) if elementwise_affine and bias else None
        self.eps, self.training, self.grads, self._cache = eps, True, {}, None

    def forward(self, x):
        out, self._cache = layer_norm_forward(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dweight, dbias = layer_norm_backward(dout, self._cache)
        self.grads = {name: g for name, g in (("weight", dweight), ("bias", dbias)) if g is not None}
        return dx

    def parameters(self):
        return {name: p for name, p in (("weight", self.weight), ("bias", self.bias)) if p is not None}

    def __repr__(self):
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
