"""A small reverse-mode automatic differentiation engine on NumPy arrays (chapter: Backpropagation).

A :class:`Tensor` remembers the operation that made it and its inputs. ``loss.backward()`` visits
the graph in reverse topological order and applies each operation's local chain rule, accumulating
d loss / d tensor into ``.grad``. Broadcasting is handled: a gradient flowing into an input that was
broadcast is summed back down to the input's shape.
"""

import numpy as np


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast; returns ``shape``.

    A broadcast value is reused by every position it was copied to, so its gradient is the sum of
    theirs (the fan-out rule); ``torch.Tensor.sum_to_size`` does the same.
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array with a gradient. ``value`` is the data; ``grad`` is d(output of backward)/d(value)."""

    def __init__(self, value, parents=(), op=""):
        self.value = np.asarray(value, dtype=float)
        self.grad = np.zeros_like(self.value)
        self._parents = parents
        self._backward = lambda: None
        self.op = op

    @property
    def shape(self):
        return self.value.shape

    @property
    def parents(self):
        """The tensors this one was computed from (empty for a leaf)."""
        return self._parents

    def __repr__(self):
        return f"Tensor({self.value!r}, op={self.op!r})" if self.op else f"Tensor({self.value!r})"

    # --- operations: each builds the output and the rule that sends its gradient back ---

    def __add__(self, other):
        other = as_tensor(other)
        out = Tensor(self.value + other.value, (self, other), "+")

        def backward():  # d(a + b)/da = d(a + b)/db = 1
            self._accumulate(unbroadcast(out.grad, self.shape))
            other._accumulate(unbroadcast(out.grad, other.shape))
        out._backward = backward
        return out

    def __mul__(self, other):
        other = as_tensor(other)
        out = Tensor(self.value * other.value, (self, other), "*")

        def backward():  # d(a b)/da = b,  d(a b)/db = a
            self._accumulate(unbroadcast(out.grad * other.value, self.shape))
            other._accumulate(unbroadcast(out.grad * self.value, other.shape))
        out._backward = backward
        return out

    def __matmul__(self, other):
        other = as_tensor(other)
        if self.value.ndim != 2 or other.value.ndim != 2:
            raise ValueError(f"matmul takes 2-D tensors, got shapes {self.shape} and {other.shape}")
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"matmul shapes do not fit: {self.shape} @ {other.shape}")
        out = Tensor(self.value @ other.value, (self, other), "@")

        def backward():  # C = A B:  dA = dC B^T,  dB = A^T dC
            self._accumulate(out.grad @ other.value.T)
            other._accumulate(self.value.T @ out.grad)
        out._backward = backward
        return out

    def sum(self, axis=None, keepdims=False):
        out = Tensor(self.value.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self._accumulate(np.broadcast_to(g, self.shape))
        out._backward = backward
        return out

    def mean(self, axis=None, keepdims=False):
        count = self.value.size if axis is None else self.value.shape[axis]
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    def _unary(self, value, local_grad, op):
        """An element-wise op with d out / d self = ``local_grad`` (an array of self's shape)."""
        out = Tensor(value, (self,), op)

        def backward():
            self._accumulate(out.grad * local_grad)
        out._backward = backward
        return out

    def exp(self):
        e = np.exp(self.value)
        return self._unary(e, e, "exp")

    def log(self):
        if (self.value <= 0).any():
            raise ValueError(f"log of a non-positive value ({self.value.min()})")
        return self._unary(np.log(self.value), 1 / self.value, "log")

    def relu(self):
        return self._unary(np.maximum(self.value, 0), (self.value > 0).astype(float), "relu")

    def sigmoid(self):
        e = np.exp(-np.abs(self.value))
        s = np.where(self.value >= 0, 1 / (1 + e), e / (1 + e))
        return self._unary(s, s * (1 - s), "sigmoid")

    def tanh(self):
        t = np.tanh(self.value)
        return self._unary(t, 1 - t * t, "tanh")

    # --- conveniences composed from the operations above ---

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-as_tensor(other))

    def __rsub__(self, other):
        return as_tensor(other) + (-self)

    def __truediv__(self, other):
        other = as_tensor(other)
        return self * other._unary(1 / other.value, -1 / other.value ** 2, "reciprocal")

    __radd__ = __add__
    __rmul__ = __mul__

    # --- the backward pass ---

    def _accumulate(self, grad):
        """Add one path's contribution to ``.grad``: a tensor used twice gets the sum of both paths."""
        self.grad = self.grad + grad

    def backward(self):
        """Fill ``.grad`` of every tensor this one depends on with d self / d tensor (self a scalar)."""
        if self.value.size != 1:
            raise ValueError(f"backward starts from a scalar, got shape {self.shape}; call .sum() first")
        order = topological_order(self)
        for t in order:
            t.grad = np.zeros_like(t.value)
        self.grad = np.ones_like(self.value)
        for t in reversed(order):  # each tensor's gradient is complete before it is passed on
            t._backward()


def topological_order(root):
    """Every tensor ``root`` depends on, each placed after all the tensors it was computed from."""
    order, seen = [], set()

    def visit(t):  # depth-first: place the parents first, then the tensor itself
        if id(t) not in seen:
            seen.add(id(t))
            for parent in t._parents:
                visit(parent)
            order.append(t)
    visit(root)
    return order


def edge_gradients(root):
    """After ``root.backward()``: {(parent, child): the gradient ``child`` sends back to ``parent``}.

    Each child's rule is run again on its own, so every edge's share is seen apart. A parent used
    twice by one child (``x * x``) has one entry, the sum of both uses. A tensor's ``.grad`` is the
    sum of the entries on the edges leaving it (the fan-out rule); the root's is 1.
    """
    edges = {}
    for child in topological_order(root):
        parents = list({id(p): p for p in child._parents}.values())
        totals = [p.grad for p in parents]
        for p in parents:
            p.grad = np.zeros_like(p.value)
        child._backward()
        for p, total in zip(parents, totals):
            edges[p, child] = p.grad
            p.grad = total  # leave every .grad as backward() left it
    return edges


def as_tensor(x):
    """``x`` itself if it is a Tensor, else a new leaf Tensor holding it (a constant of the graph)."""
    return x if isinstance(x, Tensor) else Tensor(x)
