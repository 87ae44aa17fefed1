"""Update rules for gradient descent (chapter: Losses and optimizers).

Every rule has one signature, ``rule(param, grad, state, **hyper) -> (new_param, new_state)``: the
state (momentum buffers, running averages, step count) goes in and comes out explicitly, starting
from ``None``. Each follows ``torch.optim``'s algorithm of the same name step for step, including
the order of operations, so the two agree to rounding error.
"""

import numpy as np

from companion._validate import check_same_shape


def _check(param, grad, lr):
    check_same_shape(param, grad, "param", "grad")
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")


def sgd(param, grad, state=None, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
    """Gradient descent, with optional momentum (heavy ball or Nesterov) and L2 weight decay.

        g = grad + weight_decay * param
        b = g at the first step, else momentum * b + (1 - dampening) * g
        g = g + momentum * b (Nesterov) or b (plain momentum)
        param = param - lr * g
    """
    _check(param, grad, lr)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
    state = dict(state or {})
    g = grad + weight_decay * param if weight_decay else grad
    if momentum:
        buf = state.get("momentum_buffer")
        buf = np.array(g, copy=True) if buf is None else momentum * buf + (1 - dampening) * g
        state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, state


def rmsprop(param, grad, state=None, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
    """RMSprop: divide the step by a running root-mean-square of recent gradients.

        s = alpha * s + (1 - alpha) * g^2
        step = g / (sqrt(s) + eps)          (with momentum: b = momentum * b + step; step = b)
        param = param - lr * step
    """
    _check(param, grad, lr)
    state = dict(state or {})
    g = grad + weight_decay * param if weight_decay else grad
    square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * g * g
    state["square_avg"] = square_avg
    step = g / (np.sqrt(square_avg) + eps)
    if momentum:
        step = momentum * state.get("momentum_buffer", np.zeros_like(param)) + step
        state["momentum_buffer"] = step
    return param - lr * step, state


def _adam_step(param, g, state, lr, betas, eps):
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * g * g
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    # bias correction: m and v start at zero, so early averages are too small by 1 - beta^t
    step_size = lr / (1 - beta1 ** t)
    denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
    return param - step_size * (m / denom), state


def adam(param, grad, state=None, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Adam: momentum on the gradient (m) and RMSprop-style scaling (v), both bias-corrected.

        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
        param = param - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    ``weight_decay`` adds L2 to the gradient, as torch.optim.Adam does (AdamW decouples it).
    """
    _check(param, grad, lr)
    g = grad + weight_decay * param if weight_decay else grad
    return _adam_step(param, g, dict(state or {}), lr, betas, eps)


def adamw(param, grad, state=None, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    """AdamW: Adam with decoupled weight decay, param = param * (1 - lr * weight_decay) before the step."""
    _check(param, grad, lr)
    return _adam_step(param * (1 - lr * weight_decay), grad, dict(state or {}), lr, betas, eps)


RULES = {"sgd": sgd, "rmsprop": rmsprop, "adam": adam, "adamw": adamw}


class Optimizer:
    """Applies one rule to a dict of named parameters, keeping a state per parameter.

    ``step(params, grads)`` returns the new parameters; inputs are never modified.
    """

    def __init__(self, rule, **hyper):
        if rule not in RULES:
            raise ValueError(f"unknown optimizer {rule!r}; choose one of {sorted(RULES)}")
        self.rule, self.hyper, self.state = rule, hyper, {}

    def step(self, params, grads):
        missing = set(params) - set(grads)
        if missing:
            raise ValueError(f"no gradient for parameter(s) {sorted(missing)}")
        new = {}
        for name, value in params.items():
            new[name], self.state[name] = RULES[self.rule](value, grads[name], self.state.get(name), **self.hyper)
        return new


def trajectory(rule, grad_fn, start, steps, **hyper):
    """The points visited by ``rule`` minimising a function whose gradient is ``grad_fn``.

    start: (d,) starting point. Returns an array (steps + 1, d). Stops early, keeping the points
    so far, if a point stops being finite (the learning rate made it diverge).
    """
    if rule not in RULES:
        raise ValueError(f"unknown optimizer {rule!r}; choose one of {sorted(RULES)}")
    point, state, points = np.asarray(start, dtype=float), None, [np.asarray(start, dtype=float)]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence ends the path; no warning needed
        for _ in range(steps):
            point, state = RULES[rule](point, grad_fn(point), state, **hyper)
            if not np.all(np.isfinite(point)):
                break
            points.append(point)
    return np.array(points)
