"""The Playground: a TensorFlow-Playground-style trainer in a notebook. ``Playground()`` shows it.

Every control maps to a field of :class:`companion.playground.PlaygroundConfig`; changing one
rebuilds the data and the network (as the original does). Play trains in a background thread and
redraws a few times a second; Step trains one epoch. The "share" box holds the whole set-up, seed
included, as a short string.
"""

import threading
import time

import ipywidgets as widgets

from companion.data.features import FEATURES
from companion.data.toy import CLASSIFICATION, REGRESSION
from companion.playground import ACTIVATIONS, OPTIMIZERS, PlaygroundConfig, PlaygroundModel
from companion.viz.playground import PlaygroundFigure

RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REDRAW_EVERY = 0.15  # seconds between redraws while playing


class Playground(widgets.VBox):
    def __init__(self, config=None, draw=True):
        config = (config or PlaygroundConfig()).validate()
        self._draw, self._thread, self._stop = draw, None, threading.Event()
        self._lock = threading.RLock()
        self.controls = self._make_controls(config)
        self.feature_boxes = {name: widgets.Checkbox(value=name in config.features, description=name, indent=False,
                                                     layout=widgets.Layout(width="80px")) for name in FEATURES}
        self.play = widgets.ToggleButton(value=False, description="Play", icon="play")
        self.step_button = widgets.Button(description="Step", icon="step-forward")
        self.reset_button = widgets.Button(description="Reset", icon="refresh")
        self.regenerate_button = widgets.Button(description="New data", icon="random")
        self.show_test = widgets.Checkbox(value=True, description="show test data", indent=False)
        self.discretize = widgets.Checkbox(value=False, description="discretize output", indent=False)
        self.epoch_label = widgets.HTML()
        self.status = widgets.HTML()
        self.share = widgets.Text(description="share", layout=widgets.Layout(width="520px"))
        self.load_button = widgets.Button(description="Load")
        self.image = widgets.Image(format="png")
        self._wire()
        super().__init__(self._layout())
        self._rebuild(config)

    # --- construction ---

    @staticmethod
    def _make_controls(c):
        w = widgets
        return {
            "dataset": w.Dropdown(options=list(CLASSIFICATION) + list(REGRESSION), value=c.dataset, description="data"),
            "noise": w.FloatSlider(value=c.noise, min=0, max=0.5, step=0.05, description="noise", continuous_update=False),
            "train_percent": w.IntSlider(value=c.train_percent, min=10, max=90, step=10, description="train %",
                                         continuous_update=False),
            "hidden": w.Text(value=", ".join(map(str, c.hidden)), description="hidden", placeholder="e.g. 4, 2",
                             continuous_update=False),
            "activation": w.Dropdown(options=list(ACTIVATIONS), value=c.activation, description="activation"),
            "dropout": w.FloatSlider(value=c.dropout, min=0, max=0.5, step=0.05, description="dropout",
                                     continuous_update=False),
            "lr": w.Dropdown(options=list(RATES), value=c.lr, description="learning rate"),
            "regularization": w.Dropdown(options=["none", "l1", "l2"], value=c.regularization, description="regularization"),
            "reg_rate": w.Dropdown(options=list(REG_RATES), value=c.reg_rate, description="reg. rate"),
            "batch_size": w.IntSlider(value=c.batch_size, min=1, max=30, description="batch size", continuous_update=False),
            "optimizer": w.Dropdown(options=list(OPTIMIZERS), value=c.optimizer, description="optimizer"),
            "backend": w.Dropdown(options=["numpy", "torch"], value=c.backend, description="backend"),
            "seed": w.IntText(value=c.seed, description="seed"),
        }

    def _wire(self):
        for control in list(self.controls.values()) + list(self.feature_boxes.values()):
            control.observe(self._on_setting, names="value")
        self.play.observe(self._on_play, names="value")
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.regenerate_button.on_click(lambda _: self.regenerate())
        self.show_test.observe(lambda _: self.redraw(), names="value")
        self.discretize.observe(lambda _: self.redraw(), names="value")
        self.load_button.on_click(lambda _: self.load(self.share.value))

    def _layout(self):
        c, H, V = self.controls, widgets.HBox, widgets.VBox
        return [
            H([V([c["dataset"], c["noise"], c["train_percent"], self.regenerate_button]),
               V([c["hidden"], c["activation"], c["dropout"], c["backend"]]),
               V([c["lr"], c["optimizer"], c["batch_size"], c["seed"]]),
               V([c["regularization"], c["reg_rate"], self.show_test, self.discretize])]),
            H([widgets.Label("features:")] + list(self.feature_boxes.values())),
            H([self.play, self.step_button, self.reset_button, self.epoch_label]),
            self.status, self.image, H([self.share, self.load_button]),
        ]

    # --- state ---

    def config(self):
        """The configuration the controls describe (ValueError if a control holds something invalid)."""
        values = {name: control.value for name, control in self.controls.items()}
        text = values.pop("hidden").strip()
        try:
            values["hidden"] = tuple(int(part) for part in text.replace(",", " ").split()) if text else ()
        except ValueError:
            raise ValueError(f"hidden layers must be numbers separated by commas, got {text!r}") from None
        values["features"] = tuple(name for name, box in self.feature_boxes.items() if box.value)
        return PlaygroundConfig(**values).validate()

    def _rebuild(self, config):
        self.stop()
        with self._lock:
            self.model = PlaygroundModel(config)
            self.figure = PlaygroundFigure(self.model) if self._draw else None
            self.share.value = config.to_string()
            self.status.value = ""
        self.redraw()

    def _on_setting(self, change):
        try:
            config = self.config()
        except ValueError as error:  # keep the last good network; say what is wrong
            self.stop()
            self.status.value = f"<b style='color:#b02a37'>{error}</b>"
            return
        self._rebuild(config)

    def reset(self):
        """A fresh network on the same data (same seed, same settings)."""
        self._rebuild(self.model.config)

    def regenerate(self):
        """New data: the seed moves on by one."""
        self.controls["seed"].value = self.model.config.seed + 1

    def load(self, text):
        """Restore a shared state string into every control."""
        try:
            config = PlaygroundConfig.from_string(text)
        except ValueError as error:
            self.status.value = f"<b style='color:#b02a37'>{error}</b>"
            return False
        self.stop()
        with self.hold_sync():
            for name, control in self.controls.items():
                control.unobserve(self._on_setting, names="value")
                control.value = ", ".join(map(str, config.hidden)) if name == "hidden" else getattr(config, name)
                control.observe(self._on_setting, names="value")
            for name, box in self.feature_boxes.items():
                box.unobserve(self._on_setting, names="value")
                box.value = name in config.features
                box.observe(self._on_setting, names="value")
        self._rebuild(config)
        return True

    # --- training ---

    def step(self, epochs=1):
        """Train ``epochs`` epochs now, then redraw. Returns False if training has diverged."""
        with self._lock:
            ok = self.model.step(epochs)
        self._after_training(ok)
        return ok

    def _after_training(self, ok):
        if not ok:
            self.status.value = f"<b style='color:#b02a37'>{self.model.history.message}</b> Press Reset or change a setting."
            self.play.value = False
        self.redraw()

    def _on_play(self, change):
        if change["new"]:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
            self.play.description, self.play.icon = "Pause", "pause"
        else:
            self._stop.set()
            self.play.description, self.play.icon = "Play", "play"

    def _run(self):
        last = 0.0
        while not self._stop.is_set():
            with self._lock:
                ok = self.model.step(1)
            if not ok:
                self._after_training(False)
                return
            if time.perf_counter() - last > REDRAW_EVERY:
                self.redraw()
                last = time.perf_counter()
        self.redraw()

    def stop(self):
        """Pause, and wait for the training thread to finish its epoch."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
        if self.play.value:
            self.play.value = False

    def redraw(self):
        self.epoch_label.value = f"epoch <b class='nnx-epoch'>{self.model.epoch}</b>"
        if self.figure is None:
            return
        with self._lock:
            self.figure.update(self.show_test.value, self.discretize.value)
            self.image.value = self.figure.png()
