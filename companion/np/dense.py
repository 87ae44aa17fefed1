"""The dense (fully connected) layer, y = x W^T + b (chapter: Neurons, layers and forward propagation).

``linear`` is the same function under torch's name; both take any leading dimensions (..., in).

Parameters use PyTorch's layout, weight (out_features, in_features) and bias (out_features,), so the
same arrays load into :class:`companion.torch.Dense`.
"""

import numpy as np

from companion._init import dense_init
from companion._validate import check_dense_shapes, check_finite, check_rank


def _validate(x, weight, bias):
    check_dense_shapes(x, weight, bias)
    for name, a in (("x", x), ("weight", weight), ("bias", bias)):
        if a is not None:
            check_finite(a, name)


def dense(x, weight, bias=None):
    """y = x W^T + b, over any leading dimensions (torch's ``F.linear``; :func:`linear` is this function).

    Shapes: x (..., in), e.g. (N, in), (in,) or (T, N, in) for a sequence; weight (out, in);
    bias (out,) or None; y (..., out).
    """
    x, weight = np.asarray(x), np.asarray(weight)
    bias = None if bias is None else np.asarray(bias)
    _validate(x, weight, bias)
    y = x @ weight.T
    return y if bias is None else y + bias


def dense_forward(x, weight, bias=None):
    """Forward pass; returns (y, cache) with the cache holding what backward needs: x and W."""
    y = dense(x, weight, bias)
    return y, (np.asarray(x), np.asarray(weight), bias is not None)


def dense_backward(dout, cache):
    """Backward pass of y = x W^T + b (derived in the chapter *Backpropagation*, "in matrix form").

    From dL/dy (N, out): dL/dx = dy W (N, in), dL/dW = dy^T x (out, in), dL/db = sum_n dy (out,).
    Leading dimensions (..., in) are flattened into the N rows, so each sums over every position.
    Returns (dx, dweight, dbias); dbias is None without a bias.
    """
    x, weight, has_bias = cache
    dout = np.asarray(dout)
    want = x.shape[:-1] + (weight.shape[0],)
    if dout.shape != want:
        raise ValueError(f"dout must have shape {want}, got {dout.shape}")
    x2, d2 = x.reshape(-1, x.shape[-1]), dout.reshape(-1, weight.shape[0])  # (rows, in), (rows, out)
    dx = (d2 @ weight).reshape(x.shape)
    dweight = d2.T @ x2
    dbias = d2.sum(axis=0) if has_bias else None
    return dx, dweight, dbias


# torch's name for the same function (torch.nn.functional.linear), used by the sequence chapters
linear, linear_forward, linear_backward = dense, dense_forward, dense_backward


class Dense:
    """A dense layer holding its parameters, for use inside :class:`companion.np.Sequential`.

    Build it from given arrays (``weight=``, ``bias=``) or draw PyTorch's default initialization
    from ``rng`` (a ``numpy.random.Generator``; None uses NumPy's global generator).
    After :meth:`backward`, ``grads`` holds dL/dweight and dL/dbias under the parameters' names.
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, weight=None, bias_value=None,
                 dtype=np.float64):
        if weight is None:
            weight, drawn_bias = dense_init(in_features, out_features, rng, dtype)
            bias_value = drawn_bias if bias_value is None else bias_value
        self.weight = np.array(weight, dtype=dtype)
        if self.weight.shape != (out_features, in_features):
            raise ValueError(f"weight must have shape ({out_features}, {in_features}), got {self.weight.shape}")
        self.bias = np.array(bias_value, dtype=dtype) if bias else None
        check_dense_shapes(np.zeros((1, in_features)), self.weight, self.bias)
        self.grads = {}
        self._cache = None

    @classmethod
    def from_arrays(cls, weight, bias=None):
        """A layer with exactly these parameters (weight (out, in), bias (out,) or None)."""
        weight = np.asarray(weight)
        check_rank(weight, "weight", (2,))
        out_features, in_features = weight.shape
        return cls(in_features, out_features, bias is not None, weight=weight, bias_value=bias,
                   dtype=np.result_type(weight, np.float32))

    @property
    def in_features(self):
        return self.weight.shape[1]

    @property
    def out_features(self):
        return self.weight.shape[0]

    def forward(self, x):
        out, self._cache = dense_forward(x, self.weight, self.bias)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dweight, dbias = dense_backward(dout, self._cache)
        self.grads = {"weight": dweight} if dbias is None else {"weight": dweight, "bias": dbias}
        return dx

    def parameters(self):
        return {"weight": self.weight} if self.bias is None else {"weight": self.weight, "bias": self.bias}

    def __repr__(self):
        return f"Dense(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"
