"""The training loop, in both backends: it learns, it records, it stops cleanly on divergence."""

import warnings

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct
from companion.data.toy import make_dataset
from companion.train import DivergenceWarning, evaluate, fit, predict


def xor_data():
    return make_dataset("xor", n=200, noise=0.05, seed=0)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_an_mlp_learns_xor(backend):
    X, y = xor_data()
    build = cnp.build_mlp if backend == "numpy" else ct.build_mlp
    kwargs = {} if backend == "numpy" else {"dtype": torch.float64, "device": "cpu"}
    net = build([2, 8, 2], ["tanh", "linear"], rng=np.random.default_rng(0), **kwargs)
    history = fit(net, X, y, optimizer="adam", lr=0.05, epochs=60, batch_size=32, validation=(X, y))
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.val_accuracy[-1] > 0.9
    assert len(history.epoch) == 60 and history.updates == 60 * 7
    assert not history.diverged


def test_both_backends_follow_the_same_trajectory():
    """Same initial weights, same batches, same rule: NumPy's hand-written backward pass and
    torch's autograd give the same losses update after update."""
    X, y = xor_data()
    net_np = cnp.build_mlp([2, 5, 2], ["relu", "linear"], rng=np.random.default_rng(1))
    net_t = ct.build_mlp([2, 5, 2], ["relu", "linear"], rng=np.random.default_rng(1), dtype=torch.float64,
                         device="cpu")
    h_np = fit(net_np, X, y, optimizer="sgd", lr=0.1, momentum=0.9, epochs=5, batch_size=16, seed=3)
    h_t = fit(net_t, X, y, optimizer="sgd", lr=0.1, momentum=0.9, epochs=5, batch_size=16, seed=3)
    np.testing.assert_allclose(h_np.step_loss, h_t.step_loss, rtol=1e-9)
    np.testing.assert_allclose(predict(net_np, X), predict(net_t, X), rtol=1e-9)


@pytest.mark.parametrize("loss, sizes, acts", [("binary_cross_entropy", [2, 6, 1], ["tanh", "sigmoid"]),
                                               ("mse", [2, 6, 1], ["tanh", "linear"])])
def test_other_losses_train(loss, sizes, acts):
    X, y = make_dataset("gaussians" if loss != "mse" else "plane", n=120, noise=0.1, seed=0)
    net = cnp.build_mlp(sizes, acts, rng=np.random.default_rng(0))
    history = fit(net, X, y, loss=loss, optimizer="adam", lr=0.02, epochs=30, batch_size=20)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    value, accuracy = evaluate(net, X, y, loss)
    assert (accuracy is None) == (loss == "mse")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_divergence_stops_with_a_clear_message(backend):
    X, y = make_dataset("plane", n=100, seed=0)
    X = X * 100
    build = cnp.build_mlp if backend == "numpy" else ct.build_mlp
    kwargs = {} if backend == "numpy" else {"device": "cpu"}
    net = build([2, 8, 1], ["relu", "linear"], rng=np.random.default_rng(0), **kwargs)
    with pytest.warns(DivergenceWarning, match=r"diverged in epoch \d+ .* learning rate 10 is probably too large: try 1"):
        history = fit(net, X, y, loss="mse", optimizer="sgd", lr=10.0, epochs=50)
    assert history.diverged and len(history.epoch) < 50
    assert "Training stopped" in history.message


def test_callbacks_see_each_epoch():
    X, y = xor_data()
    seen = []
    net = cnp.build_mlp([2, 4, 2], ["relu", "linear"], rng=np.random.default_rng(0))
    fit(net, X, y, epochs=3, callbacks=[lambda h: seen.append(h.epoch[-1])])
    assert seen == [1, 2, 3]


def test_progress_bar_can_be_switched_on_and_off(capsys):
    X, y = xor_data()
    net = cnp.build_mlp([2, 4, 2], ["relu", "linear"], rng=np.random.default_rng(0))
    fit(net, X, y, epochs=2, progress=False)
    assert "epochs" not in capsys.readouterr().err
    fit(net, X, y, epochs=2, progress=True)
    assert "epochs" in capsys.readouterr().err


def test_bad_arguments():
    X, y = xor_data()
    net = cnp.build_mlp([2, 4, 2], ["relu", "linear"])
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fit(net, X, y, loss="hinge")
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(net, X, y, epochs=0)
    with pytest.raises(TypeError, match="fit trains a companion.np.Sequential or a torch.nn.Module"):
        fit(object(), X, y)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        fit(net, X, y, lr=0)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_shrinks_weights_in_both_backends_alike(kind):
    X, y = xor_data()
    norms = {}
    for backend in ("numpy", "torch"):
        build = cnp.build_mlp if backend == "numpy" else ct.build_mlp
        kwargs = {} if backend == "numpy" else {"dtype": torch.float64, "device": "cpu"}
        for rate in (0.0, 0.05):
            net = build([2, 8, 2], ["tanh", "linear"], rng=np.random.default_rng(0), **kwargs)
            h = fit(net, X, y, optimizer="sgd", lr=0.1, epochs=10, seed=1,
                    regularization=(kind, rate) if rate else None)
            state = {k: np.asarray(v.detach() if hasattr(v, "detach") else v) for k, v in net.state_dict().items()}
            norms[backend, rate] = (np.abs(state["0.weight"]).sum(), h.step_loss)
    assert norms["numpy", 0.05][0] < norms["numpy", 0.0][0]
    np.testing.assert_allclose(norms["numpy", 0.05][1], norms["torch", 0.05][1], rtol=1e-8)


def test_dropout_trains_and_evaluation_is_deterministic():
    X, y = xor_data()
    net = cnp.build_mlp([2, 16, 2], ["relu", "linear"], rng=np.random.default_rng(0), dropout=0.3)
    h = fit(net, X, y, optimizer="adam", lr=0.02, epochs=40, validation=(X, y))
    assert h.val_accuracy[-1] > 0.85
    np.testing.assert_array_equal(predict(net, X), predict(net, X))


def test_trainer_steps_one_epoch_at_a_time():
    from companion.train import Trainer

    X, y = xor_data()
    trainer = Trainer(cnp.build_mlp([2, 4, 2], ["relu", "linear"]), optimizer="adam", lr=0.01)
    assert trainer.run_epoch(X, y) and trainer.run_epoch(X, y, validation=(X, y))
    assert trainer.history.epoch == [1, 2] and len(trainer.history.val_loss) == 1


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_early_stopping_restores_the_best_weights(backend):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 10)), rng.integers(0, 2, size=40)  # pure noise: validation loss soon rises
    Xv, yv = rng.normal(size=(40, 10)), rng.integers(0, 2, size=40)
    build = cnp.build_mlp if backend == "numpy" else ct.build_mlp
    kwargs = {} if backend == "numpy" else {"dtype": torch.float64, "device": "cpu"}
    net = build([10, 64, 2], ["relu", "linear"], rng=np.random.default_rng(0), **kwargs)
    h = fit(net, X, y, optimizer="adam", lr=0.01, epochs=200, batch_size=8, validation=(Xv, yv), early_stopping=5)
    assert h.stopped_early and len(h.epoch) < 200
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1 and len(h.epoch) == h.best_epoch + 5
    assert evaluate(net, Xv, yv, "cross_entropy")[0] == pytest.approx(min(h.val_loss), rel=1e-6)


def test_early_stopping_needs_validation_data():
    X, y = xor_data()
    with pytest.raises(ValueError, match="early stopping watches the validation loss"):
        fit(cnp.build_mlp([2, 4, 2], ["relu", "linear"]), X, y, early_stopping=3)
    with pytest.raises(ValueError, match="early_stopping is a patience"):
        fit(cnp.build_mlp([2, 4, 2], ["relu", "linear"]), X, y, validation=(X, y), early_stopping=0)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_accuracy_is_recorded_for_a_sigmoid_output_under_any_loss(backend):
    """A sigmoid neuron trained with MSE is still a classifier: every epoch gets an accuracy."""
    X, y = make_dataset("gaussians", n=80, noise=0.1, seed=0)
    build = cnp.from_weights if backend == "numpy" else ct.from_weights
    kwargs = {} if backend == "numpy" else {"device": "cpu"}
    for loss in ("mse", "binary_cross_entropy"):
        net = build([(np.array([[0.5, -0.5]]), np.array([0.1]))], ["sigmoid"], **kwargs)
        h = fit(net, X, y, loss=loss, optimizer="sgd", lr=0.5, epochs=7, validation=(X, y))
        assert len(h.train_accuracy) == len(h.val_accuracy) == 7
        out = predict(net, X).reshape(-1)
        assert h.train_accuracy[-1] == pytest.approx(np.mean((out > 0.5) == y))
        assert evaluate(net, X, y, loss)[1] == pytest.approx(h.train_accuracy[-1])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_train_accuracy_false_skips_only_the_training_sets_accuracy(backend):
    X, y = make_dataset("gaussians", n=80, noise=0.1, seed=0)
    build = cnp.from_weights if backend == "numpy" else ct.from_weights
    kwargs = {} if backend == "numpy" else {"device": "cpu"}
    runs = []
    for train_accuracy in (True, False):
        net = build([(np.array([[0.5, -0.5]]), np.array([0.1]))], ["sigmoid"], **kwargs)
        runs.append(fit(net, X, y, loss="binary_cross_entropy", optimizer="sgd", lr=0.5, epochs=3,
                        validation=(X, y), train_accuracy=train_accuracy))
    full, lean = runs
    assert len(full.train_accuracy) == 3 and lean.train_accuracy == []
    assert lean.val_accuracy == full.val_accuracy and lean.train_loss == pytest.approx(full.train_loss)


def test_accuracy_for_a_softmax_output_trained_with_mse_on_one_hot_targets():
    X, y = xor_data()
    net = cnp.build_mlp([2, 8, 2], ["tanh", "softmax"], rng=np.random.default_rng(0))
    h = fit(net, X, np.eye(2)[y], loss="mse", optimizer="adam", lr=0.05, epochs=30)
    assert len(h.train_accuracy) == 30 and h.train_accuracy[-1] > 0.9
    assert h.train_accuracy[-1] == pytest.approx(np.mean(predict(net, X).argmax(axis=1) == y))
    linear = cnp.build_mlp([2, 4, 2], ["tanh", "linear"])
    assert fit(linear, X, np.eye(2)[y], loss="mse", epochs=2).train_accuracy == []


def test_no_accuracy_for_sigmoid_outputs_fitted_to_values_that_are_not_labels():
    """An autoencoder's sigmoid outputs reconstruct pixel intensities: no classes, so no accuracy."""
    X = np.random.default_rng(0).uniform(size=(40, 6))
    autoencoder = cnp.build_mlp([6, 3, 6], ["relu", "sigmoid"], rng=np.random.default_rng(0))
    h = fit(autoencoder, X, X, loss="mse", epochs=2, validation=(X, X))
    assert h.train_accuracy == [] and h.val_accuracy == []
    assert evaluate(autoencoder, X, X, "mse")[1] is None
    multi_hot = (X > 0.5).astype(float)  # several 1s per row: not one class per example
    assert fit(autoencoder, X, multi_hot, loss="mse", epochs=1).train_accuracy == []


def _twin_nets():
    net_np = cnp.build_mlp([2, 6, 2], ["tanh", "linear"], rng=np.random.default_rng(2))
    net_t = ct.build_mlp([2, 6, 2], ["tanh", "linear"], rng=np.random.default_rng(2), dtype=torch.float64,
                         device="cpu")
    return net_np, net_t


def test_schedule_and_clipping_follow_the_same_trajectory_in_both_backends():
    from companion.np import schedules as S
    from companion.torch import schedules as T

    X, y = xor_data()
    warm_cosine = S.SequentialLR((S.LinearLR(0.2, total_iters=3), S.CosineAnnealingLR(9, eta_min=0.01)), (3,))
    histories = []
    for net, schedule in zip(_twin_nets(), (warm_cosine, T.SequentialLR((T.LinearLR(0.2, total_iters=3),
                                                                          T.CosineAnnealingLR(9, 0.01)), (3,)))):
        histories.append(fit(net, X, y, optimizer="sgd", lr=0.5, momentum=0.9, epochs=12, batch_size=16, seed=4,
                             schedule=schedule, clip_grad_norm=0.3))
    h_np, h_t = histories
    np.testing.assert_allclose(h_np.lr, cnp.lr_curve(warm_cosine, 0.5, 12), rtol=1e-12)
    np.testing.assert_allclose(h_t.lr, h_np.lr, rtol=1e-12)
    np.testing.assert_allclose(h_np.step_loss, h_t.step_loss, rtol=1e-9)
    np.testing.assert_allclose(h_np.grad_norm, h_t.grad_norm, rtol=1e-9)
    assert len(h_np.grad_norm) == h_np.updates and max(h_np.grad_norm) > 0.3  # clipping was at work


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_a_schedule_from_either_backend_drives_either_backend(backend):
    from companion.np import schedules as S
    from companion.torch import schedules as T

    X, y = xor_data()
    net = _twin_nets()[backend == "torch"]
    lrs = {}
    for module in (S, T):
        h = fit(net, X, y, optimizer="adam", lr=0.1, epochs=5, schedule=module.StepLR(2, gamma=0.5))
        lrs[module.__name__] = h.lr
    assert lrs[S.__name__] == lrs[T.__name__] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    with pytest.raises(TypeError, match="schedule must be one of"):
        fit(net, X, y, schedule=lambda epoch: 0.1)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_clipping_caps_every_update_and_changes_nothing_when_the_cap_is_loose(backend):
    X, y = xor_data()
    runs = {}
    for clip in (None, 1e9, 0.05):
        net = _twin_nets()[backend == "torch"]
        runs[clip] = fit(net, X, y, optimizer="sgd", lr=0.5, epochs=3, seed=1, clip_grad_norm=clip)
    assert runs[None].grad_norm == [] and len(runs[0.05].grad_norm) == runs[0.05].updates
    np.testing.assert_allclose(runs[1e9].step_loss, runs[None].step_loss, rtol=1e-6)
    assert not np.allclose(runs[0.05].step_loss, runs[None].step_loss, rtol=1e-3)
    with pytest.raises(ValueError, match="max_norm must be a non-negative number"):
        fit(_twin_nets()[0], X, y, clip_grad_norm=-1)


def test_the_default_learning_rate_is_the_schedules_base():
    from companion.np.schedules import ExponentialLR

    X, y = xor_data()
    h = fit(_twin_nets()[0], X, y, optimizer="adam", epochs=3, schedule=ExponentialLR(0.5))
    assert h.lr == pytest.approx([0.001, 0.0005, 0.00025])  # torch.optim.Adam's default lr, halved


@pytest.mark.parametrize("backend, lr", [("numpy", 1e300), ("torch", 1e30)])
def test_grad_norm_has_one_entry_per_update_that_reached_clipping(backend, lr):
    """A clipped step this large makes the next forward pass overflow: that step records no norm."""
    X, y = make_dataset("plane", n=200, seed=0)
    lib = cnp if backend == "numpy" else ct
    net = lib.build_mlp([2, 16, 1], ["relu", "linear"], rng=np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = fit(net, 1e3 * X, y, loss="mse", optimizer="sgd", lr=lr, epochs=5, clip_grad_norm=1.0)
    assert history.diverged
    assert len(history.grad_norm) == int(np.isfinite(history.step_loss).sum()) == history.updates - 1


def test_all_finite_settles_an_overflowing_sum_entry_by_entry():
    """The torch backend's divergence check: a sum of finite outputs that overflows is still finite."""
    from companion.train import _all_finite

    big = torch.finfo(torch.float32).max
    assert _all_finite(torch, torch.tensor([big, big, 1.0]))
    assert not _all_finite(torch, torch.tensor([1.0, float("nan")]))
    assert not _all_finite(torch, torch.tensor([float("inf"), -float("inf")]))
    assert _all_finite(torch, torch.zeros(0))
