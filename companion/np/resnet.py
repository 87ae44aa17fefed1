"""Residual blocks and a small ResNet for 8x8 images (chapter: Convolutional networks).

He, Zhang, Ren & Sun (2016), "Deep Residual Learning for Image Recognition", CVPR: a block learns a
residual F(x) added to its input, out = ReLU(F(x) + shortcut(x)). Names follow the PyTorch twin
(``conv1.weight``, ``bn1.running_mean``, ``shortcut.0.weight`` …) so state dicts copy across.
"""

import numpy as np

from companion.np._state import checked_state
from companion.np.activations import Activation
from companion.np.conv import Conv2d, Flatten
from companion.np.pool import AdaptiveAvgPool2d
from companion.np.dense import Dense
from companion.np.network import Sequential
from companion.np.normalization import BatchNorm2d


def _check_channels(**channels):
    for name, value in channels.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


class ResidualBlock:
    """out = ReLU(BN(conv3x3(ReLU(BN(conv3x3_stride(x))))) + shortcut(x)) (He et al. 2016, CVPR).

    ``batch_norm=False`` leaves out every BN and gives the convolutions biases instead.

    shortcut(x) = x when stride == 1 and in_channels == out_channels, else BN(conv1x1_stride(x)), a
    projection. The convolutions carry no bias (the batch norm that follows has its own). Backward: the
    gradient of the sum, masked by the output ReLU, flows into both branches, and their input gradients
    add back up at x.

    Shape: x (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    residual = True  # PlainBlock: the same block without the shortcut

    def __init__(self, in_channels, out_channels, stride=1, rng=None, dtype=np.float64, batch_norm=True):
        _check_channels(in_channels=in_channels, out_channels=out_channels, stride=stride)
        bias = not batch_norm  # without batch norm the convolutions keep their biases
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, 1, bias=bias, rng=rng, dtype=dtype)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype) if batch_norm else None
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, 1, bias=bias, rng=rng, dtype=dtype)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype) if batch_norm else None
        self.shortcut = None
        if self.residual and (stride != 1 or in_channels != out_channels):
            projection = Conv2d(in_channels, out_channels, 1, stride, bias=bias, rng=rng, dtype=dtype)
            self.shortcut = Sequential(projection, *([BatchNorm2d(out_channels, dtype=dtype)] if batch_norm else []))
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.batch_norm = batch_norm
        self._relu1, self._relu_out = Activation("relu"), Activation("relu")
        self._training = True

    def _children(self):
        kids = {name: layer for name, layer in
                (("conv1", self.conv1), ("bn1", self.bn1), ("conv2", self.conv2), ("bn2", self.bn2))
                if layer is not None}
        if self.shortcut is not None:
            kids.update({f"shortcut.{i}": layer for i, layer in enumerate(self.shortcut.layers)})
        return kids

    @property
    def training(self):
        return self._training

    @training.setter
    def training(self, mode):
        self._training = bool(mode)
        for layer in (self.bn1, self.bn2, *(self.shortcut.layers if self.shortcut else ())):
            if layer is not None and hasattr(layer, "training"):
                layer.training = self._training

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expects x (N, {self.in_channels}, H, W), got shape {x.shape}")
        main = _norm(self.bn2, self.conv2.forward(self._relu1.forward(_norm(self.bn1, self.conv1.forward(x)))))
        if not self.residual:
            return self._relu_out.forward(main)
        skip = x if self.shortcut is None else self.shortcut.forward(x)
        return self._relu_out.forward(main + skip)  # (N, out_channels, OH, OW)

    __call__ = forward

    def backward(self, dout):
        """dL/dx from dL/dout; leaves every parameter's gradient in :attr:`grads`."""
        dsum = self._relu_out.backward(dout)  # the same gradient reaches both branches
        dmain = self.conv1.backward(_norm_backward(self.bn1, self._relu1.backward(
            self.conv2.backward(_norm_backward(self.bn2, dsum)))))
        if not self.residual:
            return dmain
        dskip = dsum if self.shortcut is None else self.shortcut.backward(dsum)
        return dmain + dskip  # the two paths add back up at x

    def parameters(self):
        return {f"{k}.{n}": v for k, layer in self._children().items() for n, v in layer.parameters().items()}

    def buffers(self):
        return {f"{k}.{n}": v for k, layer in self._children().items()
                for n, v in getattr(layer, "buffers", dict)().items()}

    @property
    def grads(self):
        return {f"{k}.{n}": g for k, layer in self._children().items() for n, g in layer.grads.items()}

    def gradients(self):
        return self.grads

    def state_dict(self):
        """Parameters and batch-norm buffers by the torch twin's names (``conv1.weight``, ``shortcut.1.bias``…)."""
        return {**self.parameters(), **self.buffers()}

    def load_state_dict(self, state, strict=True):
        kids = self._children()
        for key, value in checked_state(state, self.state_dict(), strict).items():
            child, name = key.rsplit(".", 1)
            setattr(kids[child], name, value)

    def __repr__(self):
        norm = "" if self.batch_norm else ", batch_norm=False"
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, stride={self.stride}{norm})"


def _norm(bn, x):
    return x if bn is None else bn.forward(x)


def _norm_backward(bn, dout):
    return dout if bn is None else bn.backward(dout)


class PlainBlock(ResidualBlock):
    """The residual block without its shortcut, He et al.'s (2016) "plain" baseline:
    out = ReLU(BN(conv3x3(ReLU(BN(conv3x3_stride(x)))))), the same layers and names (``conv1, bn1, conv2,
    bn2``) and the same draws from ``rng`` as a :class:`ResidualBlock` whose shortcut is the identity."""

    residual = False


def build_resnet(in_channels, num_classes, widths=(8, 16), blocks_per_stage=1, rng=None, dtype=np.float64):
    """A small ResNet: conv3x3 -> BN -> ReLU stem (in_channels -> widths[0]); per width a stage of
    ``blocks_per_stage`` residual blocks, the first block of every later stage with stride 2 and a
    projection shortcut; global average pool, flatten, dense -> num_classes logits.
    Input (N, in_channels, H, W); output (N, num_classes)."""
    _check_channels(in_channels=in_channels, num_classes=num_classes, blocks_per_stage=blocks_per_stage)
    widths = tuple(widths)
    if not widths:
        raise ValueError("widths must name at least one stage")
    _check_channels(**{f"widths[{i}]": w for i, w in enumerate(widths)})
    layers = [Conv2d(in_channels, widths[0], 3, padding=1, bias=False, rng=rng, dtype=dtype),
              BatchNorm2d(widths[0], dtype=dtype), Activation("relu")]
    previous = widths[0]
    for stage, width in enumerate(widths):
        for b in range(blocks_per_stage):
            stride = 2 if stage > 0 and b == 0 else 1
            layers.append(ResidualBlock(previous, width, stride, rng=rng, dtype=dtype))
            previous = width
    layers += [AdaptiveAvgPool2d(1), Flatten(), Dense(previous, num_classes, rng=rng, dtype=dtype),
               Activation("linear")]
    return Sequential(*layers)


def build_deep_cnn(in_channels, num_classes, width=16, blocks=4, residual=True, batch_norm=True, rng=None,
                   dtype=np.float64):
    """A stack of ``blocks`` equal blocks at one width, residual or plain, for the depth experiment.

    conv3x3 (in_channels -> width) [-> BN] -> ReLU, then ``blocks`` :class:`ResidualBlock` (``residual``)
    or :class:`PlainBlock` (width -> width, stride 1), global average pool, flatten, dense -> num_classes
    logits: 2 * blocks + 2 weight layers. The plain and the residual network built from the same seed
    start from the same weights. Input (N, in_channels, H, W); output (N, num_classes).
    """
    _check_channels(in_channels=in_channels, num_classes=num_classes, width=width, blocks=blocks)
    block = ResidualBlock if residual else PlainBlock
    layers = [Conv2d(in_channels, width, 3, padding=1, bias=not batch_norm, rng=rng, dtype=dtype),
              *([BatchNorm2d(width, dtype=dtype)] if batch_norm else []), Activation("relu")]
    layers += [block(width, width, rng=rng, dtype=dtype, batch_norm=batch_norm) for _ in range(blocks)]
    layers += [AdaptiveAvgPool2d(1), Flatten(), Dense(width, num_classes, rng=rng, dtype=dtype), Activation("linear")]
    return Sequential(*layers)
