"""Transfer learning without downloads: pretrain on digits 0-4, then learn digits 5-9 from few labels.

The recipe (Yosinski et al. 2014 measured how features transfer between tasks; references.bib key
yosinski2014transferable):

1. :func:`digit_tasks` splits the shipped 8x8 digits into a source task (0-4, all images) and a target
   task (5-9, relabelled 0-4): a pool to draw k labelled images per class from, and a fixed test set.
2. :func:`pretrain` trains companion.torch's LeNet on the source task; :func:`save_pretrained` and
   :func:`load_pretrained` keep it in a companion.checkpoint file (loaded with ``weights_only=True``).
3. :func:`adapt` learns the target from k images per class in one of three ways (:data:`METHODS`):
   ``"probe"`` (a new linear head on the frozen pretrained features), ``"finetune"`` (every layer trains,
   the pretrained ones at ``backbone_lr_factor`` times the head's rate, through optimizer param groups:
   :func:`layerwise_param_groups`) and ``"scratch"`` (the same network from a fresh initialization).
4. :func:`transfer_curve` returns test accuracy against k for each method, the mean over a few seeds.

For readers with downloads (Colab), :func:`hub_example` runs the same recipe's first step with a real
pretrained network (torchvision's ResNet-18 on ImageNet) and :func:`replace_head` gives it a new head.
It downloads only where the reader asked for it (:func:`downloads_wanted`: in Google Colab, or with
COMPANION_DOWNLOADS=1), so that executing the book on a machine with internet access fetches nothing;
elsewhere, or where the download hosts cannot be reached within ``timeout`` seconds, it raises
:class:`DownloadsUnavailable` with a message that says so.
"""

import copy
import importlib.util
import os
import socket

import numpy as np
import torch

from companion import metrics
from companion.checkpoint import load_checkpoint, save_checkpoint
from companion.data.shipped import load_digits
from companion.linear_probe import few_shot_indices
from companion.torch.dense import Dense
from companion.torch.lenet import build_lenet

METHODS = ("probe", "finetune", "scratch")
SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
CHANNELS = (8, 16)


def digit_tasks(n_test_per_class=80, split_seed=0, n_source_test_per_class=0):
    """The source and target tasks from the shipped digits, as float32 tensors of shape (N, 1, 8, 8).

    Returns a dict: ``source`` (X, y) with every image of digits 0-4 (y in 0..4); ``pool`` (X, y) and
    ``test`` (X, y) with digits 5-9 relabelled 0..4 (digit d -> d - 5). ``test`` holds
    ``n_test_per_class`` images of each digit, drawn once with ``split_seed``; ``pool`` holds the rest
    (about 100 per digit), from which :func:`few_shot` draws the k labelled images. With
    ``n_source_test_per_class`` > 0, that many images of each source digit are held out of ``source`` as
    ``source_test`` (X, y), to score the pretrained network on images it never saw (the target split is the
    same either way).
    """
    X, y = load_digits()
    X = torch.tensor(X, dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.tensor(y)
    rng = np.random.default_rng(split_seed)
    test, pool = [], []
    for digit in TARGET:
        idx = rng.permutation(np.flatnonzero(y.numpy() == digit))
        if len(idx) <= n_test_per_class:
            raise ValueError(f"n_test_per_class={n_test_per_class} leaves no pool for digit {digit} "
                             f"({len(idx)} images)")
        test.extend(idx[:n_test_per_class])
        pool.extend(idx[n_test_per_class:])
    held_out = []
    for digit in SOURCE if n_source_test_per_class else ():
        idx = rng.permutation(np.flatnonzero(y.numpy() == digit))
        if len(idx) <= n_source_test_per_class:
            raise ValueError(f"n_source_test_per_class={n_source_test_per_class} leaves no training images "
                             f"of digit {digit} ({len(idx)} images)")
        held_out.extend(idx[:n_source_test_per_class])
    held_out = torch.tensor(np.sort(held_out), dtype=torch.long)
    source = torch.isin(y, torch.tensor(SOURCE))
    source[held_out] = False
    test, pool = torch.tensor(np.sort(test)), torch.tensor(np.sort(pool))
    tasks = {"source": (X[source], y[source]), "pool": (X[pool], y[pool] - 5), "test": (X[test], y[test] - 5)}
    if n_source_test_per_class:
        tasks["source_test"] = (X[held_out], y[held_out])
    return tasks


def few_shot(X, y, k, seed=0):
    """k images of each class of (X, y), drawn without replacement with ``seed``: (X_k, y_k), n = k * classes
    (the indices of companion.linear_probe.few_shot_indices, which the page's NumPy panel draws alike)."""
    picks = torch.from_numpy(few_shot_indices(y.numpy(), k, seed))
    return X[picks], y[picks]


def build_model(n_classes=5, seed=0, channels=CHANNELS):
    """companion.torch's LeNet (no batch norm) on the CPU in float32: (N, 1, 8, 8) -> logits (N, n_classes)."""
    return build_lenet(channels, n_classes, rng=np.random.default_rng(seed), dtype=torch.float32, device="cpu")


def body_and_head(model):
    """(body, head): the feature extractor (every layer before the last Dense) and that Dense layer."""
    return model[:-2], model[-2]


def _train(model, params, X, y, steps, batch_size, seed):
    """Adam on the cross-entropy of ``model(X)`` (a module or any function of X) over ``params`` (param-group
    dicts); minibatches of ``batch_size`` drawn with a torch.Generator seeded by ``seed``. Returns the model."""
    opt = torch.optim.Adam(params)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randperm(len(X), generator=gen)[:batch_size]
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def pretrain(X, y, epochs=6, batch_size=64, lr=1e-2, seed=0, channels=CHANNELS):
    """Train a fresh LeNet (:func:`build_model`, as many classes as ``y`` has) on X (N, 1, 8, 8), y (N,)
    with Adam, ``epochs`` passes of minibatches. Returns the model (in eval mode)."""
    torch.manual_seed(seed)
    model = build_model(int(y.max()) + 1, seed, channels)
    steps = epochs * -(-len(X) // batch_size)  # ceil(N / batch_size) minibatches per epoch
    return _train(model, [{"params": list(model.parameters()), "lr": lr}], X, y, steps, batch_size, seed).eval()


def save_pretrained(model, path):
    """Save ``model`` with companion.checkpoint (atomically; its channels kept in ``extra``). Returns the Path."""
    channels = (model[0].weight.shape[0], model[-2].weight.shape[1] // 4)
    return save_checkpoint(path, model, extra={"channels": list(channels),
                                               "n_classes": int(model[-2].weight.shape[0])})


def load_pretrained(path):
    """The model :func:`save_pretrained` wrote to ``path``, rebuilt and loaded with ``weights_only=True``."""
    state = torch.load(path, weights_only=True)
    extra = state.get("extra", {}) if isinstance(state, dict) else {}
    if "channels" not in extra:
        raise ValueError(f"{path} was not written by save_pretrained (no channels in its extra values)")
    model = build_model(extra["n_classes"], 0, tuple(extra["channels"]))
    load_checkpoint(path, model, restore_rng=False)
    return model.eval()


def layerwise_param_groups(model, lr, backbone_lr_factor=0.1):
    """Optimizer param groups: the head (last Dense) at ``lr``, every earlier layer at ``lr * backbone_lr_factor``.

    Pretrained layers already hold useful features, so they move more slowly than the new head (a smaller
    rate for lower layers, as in ULMFiT's discriminative fine-tuning,
    Howard & Ruder 2018, key howard2018universal).
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not backbone_lr_factor >= 0:
        raise ValueError(f"backbone_lr_factor must be >= 0, got {backbone_lr_factor!r}")
    body, head = body_and_head(model)
    return [{"params": list(body.parameters()), "lr": lr * backbone_lr_factor, "name": "backbone"},
            {"params": list(head.parameters()), "lr": lr, "name": "head"}]


def new_head(model, n_classes, seed=0):
    """A deep copy of ``model`` whose last Dense is replaced by a fresh one with ``n_classes`` outputs."""
    model = copy.deepcopy(model)
    old = model[-2]
    model[-2] = Dense(old.weight.shape[1], n_classes, rng=np.random.default_rng(seed),
                      dtype=old.weight.dtype, device=old.weight.device)
    return model


def adapt(pretrained, X, y, method, steps=25, lr=2e-2, backbone_lr_factor=0.1, batch_size=64, seed=0,
          probe_steps=100):
    """Learn (X (N, 1, 8, 8), y (N,)) from ``pretrained`` by ``method`` in :data:`METHODS`; returns a new model.

    probe: the body stays frozen (requires_grad False, bitwise unchanged), only a new head trains, on the
    body's features computed once: ``probe_steps`` Adam steps (a linear model on fixed features, so many
    cheap steps, trained close to convergence); the other methods take ``steps``. finetune: a new head, every layer trains with
    :func:`layerwise_param_groups`. scratch: a freshly initialized network of the same shape, one rate.
    ``pretrained`` is never modified.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    for name, n in (("steps", steps), ("probe_steps", probe_steps)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{name} must be an int >= 0, got {n!r}")
    n_classes = int(y.max()) + 1
    torch.manual_seed(seed)
    if method == "scratch":
        channels = (pretrained[0].weight.shape[0], pretrained[-2].weight.shape[1] // 4)
        model = build_model(n_classes, seed + 1000, channels)  # not the pretrained init's seed
        return _train(model, [{"params": list(model.parameters()), "lr": lr}], X, y, steps, batch_size, seed).eval()
    model = new_head(pretrained, n_classes, seed)
    if method == "finetune":
        return _train(model, layerwise_param_groups(model, lr, backbone_lr_factor), X, y, steps, batch_size,
                      seed).eval()
    body, head = body_and_head(model)
    body.requires_grad_(False)
    with torch.no_grad():  # the frozen body gives the same features every step: compute them once
        features = body.eval()(X)
    def linear(x):  # the head's own weights, without the layer's per-call checks (many cheap steps)
        return torch.nn.functional.linear(x, head.weight, head.bias)

    _train(linear, [{"params": list(head.parameters()), "lr": lr}], features, y, probe_steps, batch_size, seed)
    return model.eval()


def accuracy(model, X, y):
    """Fraction of X (N, 1, 8, 8) whose arg-max logit is y (N,)."""
    with torch.no_grad():
        return metrics.accuracy(y.cpu(), model(X).argmax(1).cpu())


def transfer_curve(pretrained, tasks=None, ks=(1, 2, 5, 10, 20, 50), methods=METHODS, seeds=(0, 1, 2),
                   **adapt_options):
    """Test accuracy on the target task against k labelled images per class, for each method.

    For every seed and k, the same k images per class (:func:`few_shot` from the pool) go to each
    method. Returns a dict: ``k`` (array (K,)), ``accuracy`` (method -> mean over seeds, (K,)) and
    ``per_seed`` (method -> (S, K)). ``adapt_options`` go to :func:`adapt`.
    """
    tasks = digit_tasks() if tasks is None else tasks
    ks = [int(k) if not isinstance(k, bool) and isinstance(k, (int, np.integer)) else k for k in ks]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method(s) {unknown or methods!r}; choose from {METHODS}")
    if not ks or not seeds:
        raise ValueError("ks and seeds must each name at least one value")
    X_pool, y_pool = tasks["pool"]
    for k in ks:
        few_shot(X_pool, y_pool, k)  # checks every k before any training
    X_test, y_test = tasks["test"]
    per_seed = {m: np.zeros((len(seeds), len(ks))) for m in methods}
    for i, seed in enumerate(seeds):
        for j, k in enumerate(ks):
            X, y = few_shot(X_pool, y_pool, k, seed)
            for m in methods:
                per_seed[m][i, j] = accuracy(adapt(pretrained, X, y, m, seed=seed, **adapt_options),
                                             X_test, y_test)
    return {"k": np.array(ks), "accuracy": {m: a.mean(0) for m, a in per_seed.items()}, "per_seed": per_seed}


# --- a real pretrained model, where downloads work -------------------------------------------------------

HUB_HOSTS = ("download.pytorch.org", "github.com")


class DownloadsUnavailable(RuntimeError):
    """Raised by :func:`hub_example` where a pretrained model cannot be downloaded."""


def downloads_wanted():
    """(yes, reason): whether :func:`hub_example` may download: in Google Colab, or where the environment
    variable COMPANION_DOWNLOADS=1 is set. Anywhere else (a book build, a test run) it does not try, so
    that no 45 MB file is fetched behind the reader's back and no page waits on the network."""
    if os.environ.get("COMPANION_DOWNLOADS", "") == "1":
        return True, "COMPANION_DOWNLOADS=1 is set"
    try:
        in_colab = importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):  # no "google" package at all
        in_colab = False
    if in_colab:
        return True, "running in Google Colab"
    return False, "not in Google Colab and COMPANION_DOWNLOADS=1 is not set"


def downloads_available(hosts=HUB_HOSTS, timeout=2.0):
    """(ok, reason): whether a TCP connection to port 443 of every host opens within ``timeout`` seconds.

    Set the environment variable COMPANION_OFFLINE=1 to answer no without trying (as the tests do).
    """
    if os.environ.get("COMPANION_OFFLINE", "") not in ("", "0"):
        return False, "COMPANION_OFFLINE is set"
    for host in hosts:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
        except OSError as err:
            return False, f"cannot reach {host}:443 within {timeout} s ({type(err).__name__}: {err})"
    return True, "ok"


def replace_head(model, n_classes, attr="fc", freeze=True, seed=0):
    """Replace ``model.<attr>`` (a torch.nn.Linear, as ResNet's ``fc``) by a fresh Linear with ``n_classes``
    outputs, in place; with ``freeze`` every other parameter gets requires_grad False. Returns the model."""
    old = getattr(model, attr, None)
    if not isinstance(old, torch.nn.Linear):
        raise ValueError(f"model.{attr} must be a torch.nn.Linear to replace, got {type(old).__name__}")
    if freeze:
        model.requires_grad_(False)
    torch.manual_seed(seed)
    setattr(model, attr, torch.nn.Linear(old.in_features, n_classes))
    return model


def hub_example(n_classes=5, freeze=True, timeout=2.0):
    """torchvision's ResNet-18 with ImageNet weights (He et al. 2016), its 1000-class head replaced by
    ``n_classes`` outputs (:func:`replace_head`): inputs (N, 3, 224, 224), normalized as ImageNet's.

    Downloads about 45 MB once (cached by torch.hub), and only where :func:`downloads_wanted` says so (Colab,
    or COMPANION_DOWNLOADS=1). Elsewhere, or where downloads do not work (no network, or COMPANION_OFFLINE=1),
    raises :class:`DownloadsUnavailable`: at once, or after at most ``timeout`` seconds per host.
    """
    wanted, reason = downloads_wanted()
    if not wanted:
        raise DownloadsUnavailable(f"hub_example downloads ResNet-18's weights (about 45 MB) only where asked to: "
                                   f"{reason}. Run it in Colab, or set COMPANION_DOWNLOADS=1 on a machine with "
                                   f"internet access.")
    ok, reason = downloads_available(timeout=timeout)
    if not ok:
        raise DownloadsUnavailable(f"hub_example needs to download ResNet-18's weights, and downloads do not "
                                   f"work here: {reason}. Run it in Colab or on a machine with internet access.")
    try:
        from torchvision.models import ResNet18_Weights, resnet18
        model = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    except ImportError:  # no torchvision installed: torch.hub fetches its code from GitHub
        model = torch.hub.load("pytorch/vision", "resnet18", weights="IMAGENET1K_V1", trust_repo=True)
    return replace_head(model, n_classes, freeze=freeze)
