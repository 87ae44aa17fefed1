"""Learning rules written once for NumPy arrays and torch tensors alike (the arithmetic is the same).

``companion.np`` and ``companion.torch`` re-export them under their own module names, and wrap the
parts that differ (copying, stacking) around them.
"""


def hebb_update(w, x, lr=0.01):
    """One step of Hebb's rule for a linear neuron y = w . x: w + lr * y * x."""
    y = w @ x
    return w + lr * y * x


def oja_update(w, x, lr=0.01):
    """One step of Oja's rule: w + lr * y * (x - y * w)."""
    y = w @ x
    return w + lr * y * (x - y * w)


RULES = {"hebb": hebb_update, "oja": oja_update}


def get_rule(name):
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; choose 'hebb' or 'oja'")
    return RULES[name]


def perceptron_epochs(X, t, w, b, epochs, lr, copy):
    """Rosenblatt's rule, one example at a time, for up to ``epochs`` passes; stops after a clean pass.

    ``copy`` snapshots a weight vector (ndarray.copy or Tensor.clone). Returns (w, b, record).
    """
    record = {"errors": [], "updates": 0, "converged": False, "boundaries": [(copy(w), float(b))]}
    for _ in range(epochs):
        mistakes = 0
        for x, target in zip(X, t):
            error = int(target) - int(x @ w + b > 0)
            if error:
                w, b = w + lr * error * x, b + lr * error
                mistakes += 1
                record["boundaries"].append((copy(w), float(b)))
        record["errors"].append(mistakes)
        record["updates"] += mistakes
        if mistakes == 0:
            record["converged"] = True
            break
    return w, b, record
