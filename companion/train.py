"""Training loops for both backends (chapter: Training and evaluation).

``fit`` runs the loop every chapter uses (forward, loss, backward, update, for every mini-batch of
every epoch) on a NumPy-reference network or a PyTorch one, and returns a :class:`History`. A loss
that turns NaN or infinite stops training with a message naming the epoch and suggesting a smaller
learning rate, rather than a traceback. A learning-rate schedule (``companion.np.schedules`` or
``companion.torch.schedules``, stepped once per epoch) and gradient clipping by norm work in both.
"""

import dataclasses
import inspect
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from companion import metrics
from companion._validate import NonFiniteError, check_choice, check_clip_args
from companion.data.splits import batches
from companion.np import losses as np_losses
from companion.np import schedules as np_schedules
from companion.np.clip import clip_grad_norm as np_clip_grad_norm
from companion.np.network import Sequential as NumpySequential
from companion.np.optim import RULES as NUMPY_RULES
from companion.np.optim import Optimizer as NumpyOptimizer
from companion.np.regularization import penalty_grad, soft_threshold

LOSSES = ("cross_entropy", "binary_cross_entropy", "mse")


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss stopped being a finite number."""


@dataclass
class History:
    """What happened during training, epoch by epoch and update by update."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)  # mean of the epoch's mini-batch losses
    val_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)  # classifiers only (see _classifies)
    val_accuracy: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)  # every update's mini-batch loss
    step_time: list = field(default_factory=list)  # seconds since the start, at every update
    epoch_time: list = field(default_factory=list)  # seconds since the start, at every epoch's end
    lr: list = field(default_factory=list)  # the learning rate used in every epoch
    grad_norm: list = field(default_factory=list)  # with clip_grad_norm: every update's norm before clipping
    diverged: bool = False
    message: str = ""
    best_epoch: int = 0  # with early stopping: the epoch whose weights the network ends with
    stopped_early: bool = False

    @property
    def updates(self):
        return len(self.step_loss)


def _predictions(output):
    """Class labels from network outputs: the argmax of C > 1 columns, else a probability > 0.5."""
    if output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1)
    return (output.reshape(-1) > 0.5).astype(int)


def _labels(y):
    """Class labels from targets: the argmax of one-hot rows, else the targets themselves."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)


def _classifies(net, loss, y):
    """Whether accuracy means something: a classification loss, or, under MSE, a sigmoid or softmax
    output layer fitted to class labels (0/1 targets, or one-hot rows). A classifier trained with MSE,
    as in the chapter "Losses and optimizers", is still a classifier; an autoencoder whose sigmoid
    outputs reconstruct pixel values is not."""
    if loss != "mse":
        return True
    layers = net.layers if hasattr(net, "layers") else list(net.children())
    last = layers[-1] if layers else None
    if str(getattr(last, "name", type(last).__name__)).lower() not in ("sigmoid", "softmax"):
        return False
    y = np.asarray(y)
    labels = y.size > 0 and bool(np.isin(y, (0, 1)).all())
    return labels and (y.ndim == 1 or y.shape[1] == 1 or bool((y.sum(axis=1) == 1).all()))


def _as_schedule(schedule, module):
    """The same schedule described by ``module`` (NumPy's or torch's twin), whichever backend described it."""
    cls = getattr(module, type(schedule).__name__, None) if dataclasses.is_dataclass(schedule) else None
    if cls is None:
        raise TypeError(f"schedule must be one of {[c.__name__ for c in module.SCHEDULES]} from "
                        f"companion.np.schedules or companion.torch.schedules, got {schedule!r}")
    fields = {f.name: getattr(schedule, f.name) for f in dataclasses.fields(schedule)}
    if "schedules" in fields:  # SequentialLR: convert the parts too
        fields["schedules"] = tuple(_as_schedule(part, module) for part in fields["schedules"])
    return cls(**fields)


class _NumpyBackend:
    def __init__(self, net, optimizer, hyper, regularization, schedule=None, clip=None):
        self.net, self.optimizer, self.regularization = net, NumpyOptimizer(optimizer, **hyper), regularization
        self.clip, self.grad_norm = clip, None
        self.schedule = None if schedule is None else _as_schedule(schedule, np_schedules)
        default_lr = inspect.signature(NUMPY_RULES[optimizer]).parameters["lr"].default
        self.base_lr, self.epochs_done = hyper.get("lr", default_lr), 0
        self._apply_schedule()

    def forward(self, X):
        return predict(self.net, X)

    def lr(self):
        """The learning rate of the current epoch."""
        return self.optimizer.hyper.get("lr", self.base_lr)

    def end_epoch(self):
        self.epochs_done += 1
        self._apply_schedule()

    def _apply_schedule(self):
        """Set the optimizer's rate to the schedule's after ``epochs_done`` steps, as torch's scheduler
        does when built and on every ``step()``."""
        if self.schedule is not None:
            self.optimizer.hyper["lr"] = self.schedule.lr(self.base_lr, self.epochs_done)

    def step(self, X, y, loss):
        self.net.train()
        self.grad_norm = None  # set again only if this update reaches clipping
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned about
                out = self.net.forward(X)
                value, grad = _np_loss(loss, out, y)
        except NonFiniteError:  # weights or outputs already blew up
            return float("nan")
        self.net.backward(grad)
        grads, state = self.net.gradients(), self.net.state_dict()
        params = {k: state[k] for k in grads}  # learnable parameters only, not batch-norm statistics
        if self.regularization and self.regularization[0] != "l1_proximal":  # that one acts after the step
            kind, rate = self.regularization
            grads = {k: g + penalty_grad(params[k], kind, rate) if _is_penalised(self.net, k) else g
                     for k, g in grads.items()}
        if self.clip is not None:
            grads, self.grad_norm = np_clip_grad_norm(grads, self.clip)
        self.net.load_state_dict({**state, **self._proximal(self.optimizer.step(params, grads))})
        return value

    def _proximal(self, params):
        """With ("l1_proximal", rate): w <- soft_threshold(w, lr * rate) on the penalised weights (ISTA)."""
        if not self.regularization or self.regularization[0] != "l1_proximal":
            return params
        threshold = self.lr() * self.regularization[1]
        return {k: soft_threshold(v, threshold) if _is_penalised(self.net, k) else v for k, v in params.items()}


def _np_loss(loss, out, y):
    if loss == "cross_entropy":
        return np_losses.softmax_cross_entropy(out, y), np_losses.softmax_cross_entropy_grad(out, y)
    target = np.asarray(y, dtype=float).reshape(out.shape)
    if loss == "mse":
        return np_losses.mse(out, target), np_losses.mse_grad(out, target)
    with np.errstate(divide="ignore", invalid="ignore"):  # a saturated output is caught as divergence
        return np_losses.binary_cross_entropy(out, target), np_losses.binary_cross_entropy_grad(out, target)


def _is_penalised(net, name):
    """Weight decay applies to the weights of dense layers, not to biases or batch-norm scales."""
    index, kind = name.split(".", 1)  # a block's names ("3.conv1.weight") are not a Dense weight
    layers = net.layers if hasattr(net, "layers") else list(net)
    return kind == "weight" and type(layers[int(index)]).__name__ == "Dense"


class _TorchBackend:
    def __init__(self, net, optimizer, hyper, regularization, schedule=None, clip=None):
        import torch

        from companion.torch import schedules
        from companion.torch.optim import Optimizer

        self.torch, self.net, self.regularization = torch, net, regularization
        self.optimizer = Optimizer(optimizer, net.parameters(), **hyper)
        self.scheduler = None if schedule is None else _as_schedule(schedule, schedules).scheduler(self.optimizer)
        self.clip, self.grad_norm = clip, None
        first = next(net.parameters())
        self.device, self.dtype = first.device, first.dtype

    def lr(self):
        return self.optimizer.param_groups[0]["lr"]

    def end_epoch(self):
        if self.scheduler is not None:
            self.scheduler.step()

    def _tensor(self, a, labels=False):
        return self.torch.as_tensor(a, device=self.device, dtype=self.torch.long if labels else self.dtype)

    def forward(self, X):
        return predict(self.net, X)

    def step(self, X, y, loss):
        from companion.torch.regularization import penalty

        F = self.torch.nn.functional
        self.net.train()
        self.grad_norm = None  # set again only if this update reaches clipping
        out = self.net(self._tensor(X))
        if not _all_finite(self.torch, out):  # weights already blew up
            return float("nan")
        if loss == "cross_entropy":
            value = F.cross_entropy(out, self._tensor(y, labels=True))
        else:
            target = self._tensor(y).reshape(out.shape)
            value = F.mse_loss(out, target) if loss == "mse" else F.binary_cross_entropy(out, target)
        objective = value
        if self.regularization and self.regularization[0] != "l1_proximal":  # that one acts after the step
            weights = [p for name, p in self.net.named_parameters() if _is_penalised(self.net, name)]
            objective = value + penalty(weights, *self.regularization)
        self.optimizer.zero_grad()
        objective.backward()
        if self.clip is not None:
            self._clip()
        self.optimizer.step()
        if self.regularization and self.regularization[0] == "l1_proximal":
            self._proximal()
        return value.item()

    def _proximal(self):
        """w <- soft_threshold(w, lr * rate) on the penalised weights, after the optimizer's step (ISTA)."""
        from companion.torch.regularization import soft_threshold as torch_soft_threshold

        threshold = self.lr() * self.regularization[1]
        with self.torch.no_grad():
            for name, p in self.net.named_parameters():
                if _is_penalised(self.net, name):
                    p.copy_(torch_soft_threshold(p, threshold))

    def _clip(self):
        from companion.torch.clip import clip_grad_norm_

        self.grad_norm = clip_grad_norm_(self.net.parameters(), self.clip).item()


def _all_finite(torch, t):
    """Whether every entry of the tensor t is finite. A finite sum proves it with one reduction (torch's
    isfinite takes about a millisecond on CPU, every update); a sum that is not finite, from a bad entry
    or from finite entries that overflow, is settled entry by entry."""
    t = t.detach()
    return bool(torch.isfinite(t.sum())) or bool(torch.isfinite(t).all())


def _backend(net, optimizer, hyper, regularization=None, schedule=None, clip=None):
    if isinstance(net, NumpySequential):
        return _NumpyBackend(net, optimizer, hyper, regularization, schedule, clip)
    try:
        import torch
    except ImportError:  # pragma: no cover - the NumPy path needs no torch
        torch = None
    if torch is not None and isinstance(net, torch.nn.Module):
        return _TorchBackend(net, optimizer, hyper, regularization, schedule, clip)
    raise TypeError(f"fit trains a companion.np.Sequential or a torch.nn.Module, got {type(net).__name__}")


def predict(net, X):
    """The network's outputs for X as a NumPy array, for either backend, in evaluation mode."""
    X = np.asarray(X)
    if isinstance(net, NumpySequential):
        return net.eval().forward(X)
    import torch

    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"predict takes a companion.np.Sequential or a torch.nn.Module, got {type(net).__name__}")
    first = next(net.parameters())
    net.eval()
    with torch.no_grad():
        return net(torch.as_tensor(X, dtype=first.dtype, device=first.device)).cpu().numpy()


def evaluate(net, X, y, loss):
    """(loss, accuracy or None) of ``net`` on (X, y)."""
    out = predict(net, X)
    value = _np_loss(loss, out, y)[0]
    accuracy = metrics.accuracy(_labels(y), _predictions(out)) if _classifies(net, loss, y) else None
    return value, accuracy


def _diverged(history, epoch, value, hyper, warn=True):
    lr = hyper.get("lr")
    hint = f" The learning rate {lr:g} is probably too large: try {lr / 10:g}." if lr else ""
    history.diverged = True
    history.message = (f"Training diverged in epoch {epoch} (update {history.updates}): the loss became "
                       f"{value}.{hint} Training stopped; the network keeps its last weights.")
    if warn:
        warnings.warn(history.message, DivergenceWarning, stacklevel=4)
    return history


class Trainer:
    """Runs training one epoch at a time (the Playground steps it), keeping a :class:`History`.

    Arguments as for :func:`fit`; ``regularization`` is None or ("l1" | "l2" | "l1_proximal", rate),
    applied to the weights (not the biases). ``warn=False`` records a divergence without issuing a
    warning (for a caller that shows ``history.message`` itself).
    """

    def __init__(self, net, loss="cross_entropy", optimizer="sgd", batch_size=32, seed=0, regularization=None,
                 warn=True, schedule=None, clip_grad_norm=None, train_accuracy=True, **hyper):
        check_choice(loss, "loss", LOSSES)
        if regularization is not None:
            check_choice(regularization[0], "regularization", ("l1", "l2", "l1_proximal"))
        if clip_grad_norm is not None:
            check_clip_args(clip_grad_norm, 2.0)
        self.net, self.loss, self.batch_size, self.hyper, self.warn = net, loss, batch_size, hyper, warn
        self.train_accuracy = train_accuracy
        self.backend = _backend(net, optimizer, hyper, regularization, schedule, clip_grad_norm)
        self.rng, self.history, self.start = np.random.default_rng(seed), History(), time.perf_counter()

    def run_epoch(self, X, y, validation=None):
        """One pass over (X, y); records it and returns True, or stops on divergence and returns False."""
        if self.history.diverged:
            return False
        epoch, batch_losses = len(self.history.epoch) + 1, []
        self.history.lr.append(self.backend.lr())
        for Xb, yb in batches(X, y, self.batch_size, rng=self.rng):
            value = self.backend.step(Xb, yb, self.loss)
            self.history.step_loss.append(value)
            if self.backend.grad_norm is not None:
                self.history.grad_norm.append(self.backend.grad_norm)
            self.history.step_time.append(time.perf_counter() - self.start)
            if not np.isfinite(value):
                _diverged(self.history, epoch, value, self.hyper, self.warn)
                return False
            batch_losses.append(value)
        self.history.epoch_time.append(time.perf_counter() - self.start)
        self.backend.end_epoch()
        _record(self.history, self.backend, epoch, batch_losses, X, y, validation, self.loss,
                _classifies(self.net, self.loss, y), self.train_accuracy)
        return True


def _snapshot(net):
    """A copy of every parameter and buffer (NumPy arrays or tensors)."""
    return {k: (v.detach().clone() if hasattr(v, "detach") else np.array(v, copy=True))
            for k, v in net.state_dict().items()}


class _EarlyStopping:
    """Watches the validation loss; remembers the best weights; says when patience has run out."""

    def __init__(self, net, patience):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"early_stopping is a patience in epochs (a positive integer), got {patience!r}")
        self.net, self.patience, self.best, self.state, self.waited = net, patience, np.inf, None, 0

    def should_stop(self, history):
        if history.val_loss[-1] < self.best:
            self.best, self.state, self.waited = history.val_loss[-1], _snapshot(self.net), 0
            history.best_epoch = history.epoch[-1]
            return False
        self.waited += 1
        return self.waited >= self.patience

    def restore(self):
        if self.state is not None:
            self.net.load_state_dict(self.state)


def fit(net, X, y, loss="cross_entropy", optimizer="sgd", epochs=10, batch_size=32, validation=None,
        callbacks=(), progress=False, seed=0, regularization=None, early_stopping=None, schedule=None,
        clip_grad_norm=None, train_accuracy=True, **hyper):
    """Train ``net`` (NumPy reference or PyTorch) on (X, y) and return its :class:`History`.

    loss: "cross_entropy" (net outputs logits (N, C), y class indices), "binary_cross_entropy" (net
    outputs probabilities (N, 1), y in {0, 1}) or "mse". optimizer: "sgd", "rmsprop", "adam" or
    "adamw", with its hyperparameters as keywords (lr=0.1, momentum=0.9, …). validation: (X_val,
    y_val) evaluated after every epoch. callbacks: functions called as ``f(history)`` after every epoch
    (live plots). progress: a tqdm bar over epochs. seed: the mini-batch shuffle. regularization:
    None or ("l1" | "l2" | "l1_proximal", rate) on the weights ("l1_proximal": no L1 gradient; after
    each update the weights are soft-thresholded by lr * rate, which gives exact zeros). early_stopping:
    a patience in epochs; training stops when the validation loss has not improved for that many
    epochs, and the network gets back the weights of its best epoch (``history.best_epoch``). schedule:
    a learning-rate schedule from ``companion.np.schedules`` or ``companion.torch.schedules`` (either
    works for either backend), stepped after every epoch from the base rate ``lr``; ``history.lr``
    keeps each epoch's rate.
    clip_grad_norm: a max_norm; every update's gradients are rescaled to a total 2-norm of at most
    that (``history.grad_norm`` keeps the norms before clipping). Accuracy is recorded for a
    classification loss or a sigmoid or softmax output under any loss; ``train_accuracy=False`` skips
    the training set's (an extra forward pass over it after every epoch), leaving
    ``history.train_accuracy`` empty.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if early_stopping is not None and validation is None:
        raise ValueError("early stopping watches the validation loss: pass validation=(X_val, y_val)")
    trainer = Trainer(net, loss, optimizer, batch_size, seed, regularization, schedule=schedule,
                      clip_grad_norm=clip_grad_norm, train_accuracy=train_accuracy, **hyper)
    stopper = None if early_stopping is None else _EarlyStopping(net, early_stopping)
    X, y = np.asarray(X), np.asarray(y)
    from tqdm.auto import tqdm

    for _ in tqdm(range(epochs), disable=not progress, desc="epochs"):
        if not trainer.run_epoch(X, y, validation):
            break
        for callback in callbacks:
            callback(trainer.history)
        if stopper is not None and stopper.should_stop(trainer.history):
            trainer.history.stopped_early = True
            break
    if stopper is not None:
        stopper.restore()
    return trainer.history


def _record(history, backend, epoch, batch_losses, X, y, validation, loss, classifies, train_accuracy=True):
    history.epoch.append(epoch)
    history.train_loss.append(float(np.mean(batch_losses)))
    if classifies and train_accuracy:  # one more pass over the training set
        history.train_accuracy.append(metrics.accuracy(_labels(y), _predictions(backend.forward(X))))
    if validation is not None:
        Xv, yv = (np.asarray(a) for a in validation)
        out = backend.forward(Xv)
        history.val_loss.append(_np_loss(loss, out, yv)[0])
        if classifies:
            history.val_accuracy.append(metrics.accuracy(_labels(yv), _predictions(out)))
