"""A plain PyTorch loop over a DataLoader with FitOrderSampler reproduces fit, epoch after epoch."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from companion import torch as ct
from companion.data.loaders import FitOrderSampler
from companion.data.splits import batches
from companion.data.toy import make_dataset
from companion.train import fit


def test_the_sampler_yields_fits_batches_epoch_after_epoch():
    X, y = np.arange(23.0)[:, None], np.arange(23)
    loader = DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(y)), batch_size=5,
                        sampler=FitOrderSampler(23, seed=4))
    rng = np.random.default_rng(4)  # what fit's Trainer keeps for its shuffles
    for _ in range(3):
        ours = [yb.numpy() for _, yb in loader]
        theirs = [yb for _, yb in batches(X, y, 5, rng=rng)]
        assert [len(b) for b in ours] == [5, 5, 5, 5, 3]
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))
    assert len(FitOrderSampler(23)) == 23


def plain_loop(model, X, y, X_val, y_val, epochs, batch_size, seed, lr, momentum):
    """The loop the chapter writes out: Dataset, DataLoader, train/eval modes, zero_grad/backward/step."""
    loader = DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(y)), batch_size=batch_size,
                        sampler=FitOrderSampler(len(y), seed=seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = torch.nn.CrossEntropyLoss()
    train_loss, val_loss = [], []
    for _ in range(epochs):
        model.train()
        losses = []
        for X_batch, y_batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(X_batch), y_batch)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        train_loss.append(np.mean(losses))
        model.eval()
        with torch.no_grad():
            val_loss.append(loss_fn(model(torch.as_tensor(X_val)), torch.as_tensor(y_val)).item())
    return train_loss, val_loss


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_a_plain_pytorch_loop_gives_fits_losses(dtype, tolerance):
    X, y = make_dataset("spiral", n=150, noise=0.1, seed=0)
    X_val, y_val = make_dataset("spiral", n=60, noise=0.1, seed=1)
    build = dict(sizes=[2, 16, 2], activations=["tanh", "linear"], dtype=dtype, device="cpu")
    settings = dict(epochs=6, batch_size=16, seed=2, lr=0.1, momentum=0.9)
    model = ct.build_mlp(rng=np.random.default_rng(0), **build)
    as_dtype = {torch.float64: np.float64, torch.float32: np.float32}[dtype]
    train_loss, val_loss = plain_loop(model, X.astype(as_dtype), y, X_val.astype(as_dtype), y_val, **settings)
    net = ct.build_mlp(rng=np.random.default_rng(0), **build)
    history = fit(net, X, y, optimizer="sgd", validation=(X_val, y_val), **settings)
    np.testing.assert_allclose(train_loss, history.train_loss, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(val_loss, history.val_loss, rtol=tolerance, atol=tolerance)
    assert history.train_loss[-1] < 0.95 * history.train_loss[0]  # it trained: the agreement is not trivial
    for (name, p), q in zip(model.named_parameters(), net.parameters()):
        torch.testing.assert_close(p, q, rtol=tolerance, atol=tolerance, msg=name)


def test_bad_sample_count():
    with pytest.raises(ValueError, match="n \\(the number of samples\\) must be a positive integer, got 0"):
        FitOrderSampler(0)
