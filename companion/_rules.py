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


def perceptron_error(w, b, x, t):
    """t - y for one example, with y = 1 if w . x + b > 0 else 0: +1 (a missed positive), -1 (a false
    alarm) or 0 (right)."""
    return int(t) - int(x @ w + b > 0)


def perceptron_update(w, b, x, t, lr=1.0):
    """One step of Rosenblatt's rule on one example x (d,) with label t in {0, 1}:

        w <- w + lr (t - y) x,   b <- b + lr (t - y)

    Returns the new (w, b); they equal the old ones when the prediction y is right.
    """
    error = perceptron_error(w, b, x, t)
    return w + lr * error * x, b + lr * error


def perceptron_epochs(X, t, w, b, epochs, lr, copy):
    """Rosenblatt's rule, one example at a time, for up to ``epochs`` passes; stops after a clean pass.

    ``copy`` snapshots a weight vector (ndarray.copy or Tensor.clone). Returns (w, b, record).
    """
    record = {"errors": [], "updates": 0, "converged": False, "boundaries": [(copy(w), float(b))]}
    for _ in range(epochs):
        mistakes = 0
        for x, target in zip(X, t):
            if perceptron_error(w, b, x, target):
                w, b = perceptron_update(w, b, x, target, lr)
                mistakes += 1
                record["boundaries"].append((copy(w), float(b)))
        record["errors"].append(mistakes)
        record["updates"] += mistakes
        if mistakes == 0:
            record["converged"] = True
            break
    return w, b, record
