"""Chapter "Overfitting and regularization": dropout, weight decay and training-set size, live."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data import shipped
from companion.data.splits import Standardizer, train_val_test_split
from companion.np.network import build_mlp
from companion.train import fit

WEIGHT_DECAYS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)


def digits_run(dropout=0.0, weight_decay=0.0, n_train=200, epochs=60, seed=0):
    """Train a 64-128-10 MLP on ``n_train`` digit images; returns its History (validation = 600 others)."""
    X, y = shipped.load_digits()
    split = train_val_test_split(X, y, val=600 / len(y), test=0.0, stratify=True, seed=seed)
    X_train, y_train = split.train[0][:n_train], split.train[1][:n_train]
    scaler = Standardizer().fit(X_train)
    net = build_mlp([64, 128, 10], ["relu", "linear"], rng=np.random.default_rng(seed), dropout=dropout)
    return fit(net, scaler.transform(X_train), y_train, optimizer="adamw", lr=0.003, weight_decay=weight_decay,
               epochs=epochs, batch_size=32, validation=(scaler.transform(split.val[0]), split.val[1]), seed=seed)


class RegularizationExplorer(widgets.VBox):
    """Sliders for dropout, weight decay and training-set size; each change retrains and redraws.

    ``history`` is the latest run; ``summary`` shows its final training and validation accuracy.
    """

    def __init__(self, draw=True, epochs=60):
        self.dropout = widgets.FloatSlider(value=0.0, min=0.0, max=0.6, step=0.1, description="dropout",
                                           continuous_update=False)
        self.weight_decay = widgets.SelectionSlider(options=list(WEIGHT_DECAYS), value=0.0, description="weight decay",
                                                    continuous_update=False)
        self.n_train = widgets.IntSlider(value=200, min=50, max=1000, step=50, description="training images",
                                         continuous_update=False)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw, self.epochs = draw, epochs
        for control in (self.dropout, self.weight_decay, self.n_train):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.dropout, self.weight_decay, self.n_train]), self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        self.history = digits_run(self.dropout.value, self.weight_decay.value, self.n_train.value, self.epochs)
        h = self.history
        gap = h.train_accuracy[-1] - h.val_accuracy[-1]
        self.summary.value = (f"training accuracy <b>{h.train_accuracy[-1]:.3f}</b>, validation accuracy "
                              f"<b class='nnx-val'>{h.val_accuracy[-1]:.3f}</b>, gap {gap:+.3f}")
        if self._draw:
            self._redraw()

    def _redraw(self):
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3))
        h = self.history
        ax0.plot(h.epoch, h.train_loss, label="training")
        ax0.plot(h.epoch, h.val_loss, "--", label="validation")
        ax0.set_ylabel("loss")
        ax1.plot(h.epoch, h.train_accuracy, label="training")
        ax1.plot(h.epoch, h.val_accuracy, "--", label="validation")
        ax1.set_ylabel("accuracy")
        for ax in (ax0, ax1):
            ax.set_xlabel("epoch")
            ax.legend(fontsize=8)
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
