"""A small reverse-mode automatic differentiation engine on NumPy arrays (chapter: Backpropagation).

A :class:`Tensor` remembers the operation that made it and its inputs. ``loss.backward()`` visits
the graph in reverse topological order and applies each operation's local chain rule, accumulating
d loss / d tensor into ``.grad``. Broadcasting is handled: a gradient flowing into an input that was
broadcast is summed back down to the input's shape.
"""

import numpy as np


def _unbroadcast(grad, shape):
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
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

    def __repr__(self):
        return f"Tensor({self.value!r}, op={self.op!r})" if self.op else f"Tensor({self.value!r})"

    # --- operations: each builds the output and the rule that sends its gradient back ---

    def __add__(self, other):
        other = as_tensor(other)
        out = Tensor(self.value + other.value, (self, other), "+")

        def backward():
            self.grad = self.grad + _unbroadcast(out.grad, self.shape)
            other.grad = other.grad + _unbroadcast(out.grad, other.shape)
        out._backward = backward
        return out

    def __mul__(self, other):
        other = as_tensor(other)
        out = Tensor(self.value * other.value, (self, other), "*")

        def backward():
            self.grad = self.grad + _unbroadcast(out.grad * other.value, self.shape)
            other.grad = other.grad + _unbroadcast(out.grad * self.value, other.shape)
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
            self.grad = self.grad + out.grad @ other.value.T
            other.grad = other.grad + self.value.T @ out.grad
        out._backward = backward
        return out

    def sum(self, axis=None, keepdims=False):
        out = Tensor(self.value.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad = self.grad + np.broadcast_to(g, self.shape)
        out._backward = backward
        return out

    def mean(self, axis=None, keepdims=False):
        count = self.value.size if axis is None else self.value.shape[axis]
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    def _unary(self, value, local_grad, op):
        """An element-wise op with d out / d self = ``local_grad`` (an array of self's shape)."""
        out = Tensor(value, (self,), op)

        def backward():
            self.grad = self.grad + out.grad * local_grad
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

    def backward(self):
        """Fill ``.grad`` of every tensor this one depends on with d self / d tensor (self a scalar)."""
        if self.value.size != 1:
            raise ValueError(f"backward starts from a scalar, got shape {self.shape}; call .sum() first")
        order, seen = [], set()

        def visit(t):  # depth-first: a tensor is placed after everything it depends on
            if id(t) not in seen:
                seen.add(id(t))
                for parent in t._parents:
                    visit(parent)
                order.append(t)
        visit(self)
        for t in order:
            t.grad = np.zeros_like(t.value)
        self.grad = np.ones_like(self.value)
        for t in reversed(order):
            t._backward()


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)
