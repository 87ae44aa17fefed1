"""Rosenblatt's perceptron (chapter: History), learning rule written out.

Prediction: y = 1 if w . x + b > 0 else 0. Learning rule, for each example in turn
(``perceptron_update``): w <- w + lr (t - y) x and b <- b + lr (t - y), which changes nothing when the
prediction is right. The step and the loop live in ``companion/_rules.py``, written once for arrays
and tensors and shared with the PyTorch twin.
"""

import numpy as np

from companion._rules import perceptron_epochs, perceptron_error, perceptron_update  # noqa: F401  (public here)


def perceptron_predict(X, w, b):
    """0/1 predictions for X (N, d) with weights w (d,) and bias b."""
    return (np.asarray(X) @ w + b > 0).astype(int)


def perceptron_train(X, t, epochs=20, lr=1.0, w=None, b=0.0):
    """Run the perceptron rule over (X (N, d), t (N,) in {0, 1}) for up to ``epochs`` passes, in order.

    Stops after the first epoch without a mistake. Returns (w, b, record) where record holds
    "errors" (mistakes per epoch), "updates" (total weight changes), "converged" and "boundaries"
    (w, b after every update, for plotting the boundary as it moves).
    """
    X, t = np.asarray(X, dtype=float), np.asarray(t)
    if X.ndim != 2 or len(X) != len(t):
        raise ValueError(f"X must be (N, d) with one label per row; got X {X.shape} and t {t.shape}")
    if not set(np.unique(t)) <= {0, 1}:
        raise ValueError(f"perceptron labels must be 0 or 1, got {sorted(set(np.unique(t).tolist()))}")
    w = np.zeros(X.shape[1]) if w is None else np.array(w, dtype=float)
    return perceptron_epochs(X, t, w, float(b), epochs, lr, copy=np.copy)
