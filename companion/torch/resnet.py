"""Residual blocks and a small ResNet in PyTorch, built module for module (and draw for draw) as the NumPy
twin (He et al. 2016, "Deep Residual Learning for Image Recognition", CVPR)."""

import torch

from companion.np.resnet import _check_channels
from companion.torch.activations import Activation
from companion.torch.conv import Conv2d, Flatten
from companion.torch.pool import AdaptiveAvgPool2d
from companion.torch.dense import Dense
from companion.torch.network import Sequential
from companion.torch.normalization import BatchNorm2d


class ResidualBlock(torch.nn.Module):
    """See :class:`companion.np.resnet.ResidualBlock`: out = ReLU(main(x) + shortcut(x)), with submodules
    ``conv1, bn1, conv2, bn2`` and ``shortcut`` (``nn.Identity`` or Sequential(conv1x1, BatchNorm2d)).
    ``batch_norm=False``: ``bn1``, ``bn2`` are ``nn.Identity`` and the convolutions have biases."""

    residual = True  # PlainBlock: the same block without the shortcut

    def __init__(self, in_channels, out_channels, stride=1, rng=None, dtype=None, device=None, batch_norm=True):
        super().__init__()
        _check_channels(in_channels=in_channels, out_channels=out_channels, stride=stride)
        kw = {"rng": rng, "dtype": dtype, "device": device, "bias": not batch_norm}
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, 1, **kw)
        self.bn1 = self._norm(out_channels, batch_norm, dtype)
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, 1, **kw)
        self.bn2 = self._norm(out_channels, batch_norm, dtype)
        if self.residual:
            self.shortcut = torch.nn.Identity()
            if stride != 1 or in_channels != out_channels:
                projection = Conv2d(in_channels, out_channels, 1, stride, **kw)
                self.shortcut = Sequential(projection, *([self._norm(out_channels, True, dtype)] if batch_norm else []))
        self.in_channels, self.out_channels, self.stride, self.batch_norm = in_channels, out_channels, stride, batch_norm

    def _norm(self, channels, batch_norm, dtype):
        if not batch_norm:
            return torch.nn.Identity()
        return BatchNorm2d(channels, dtype=dtype, device=self.conv1.weight.device)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expects x (N, {self.in_channels}, H, W), "
                             f"got shape {tuple(x.shape)}")
        main = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(main + self.shortcut(x) if self.residual else main)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}" + (
            "" if self.batch_norm else ", batch_norm=False")


class PlainBlock(ResidualBlock):
    """See :class:`companion.np.resnet.PlainBlock`: the residual block without its shortcut."""

    residual = False


def build_resnet(in_channels, num_classes, widths=(8, 16), blocks_per_stage=1, rng=None, dtype=None,
                 device=None):
    """See :func:`companion.np.resnet.build_resnet`; parameters on ``device`` (default companion.device())."""
    _check_channels(in_channels=in_channels, num_classes=num_classes, blocks_per_stage=blocks_per_stage)
    widths = tuple(widths)
    if not widths:
        raise ValueError("widths must name at least one stage")
    _check_channels(**{f"widths[{i}]": w for i, w in enumerate(widths)})
    kw = {"rng": rng, "dtype": dtype, "device": device}
    stem = Conv2d(in_channels, widths[0], 3, padding=1, bias=False, **kw)
    layers = [stem, BatchNorm2d(widths[0], dtype=dtype, device=stem.weight.device), Activation("relu")]
    previous = widths[0]
    for stage, width in enumerate(widths):
        for b in range(blocks_per_stage):
            layers.append(ResidualBlock(previous, width, 2 if stage > 0 and b == 0 else 1, **kw))
            previous = width
    layers += [AdaptiveAvgPool2d(1), Flatten(), Dense(previous, num_classes, **kw), Activation("linear")]
    return Sequential(*layers)


def build_deep_cnn(in_channels, num_classes, width=16, blocks=4, residual=True, batch_norm=True, rng=None,
                   dtype=None, device=None):
    """See :func:`companion.np.resnet.build_deep_cnn`; parameters on ``device`` (default companion.device())."""
    _check_channels(in_channels=in_channels, num_classes=num_classes, width=width, blocks=blocks)
    block = ResidualBlock if residual else PlainBlock
    kw = {"rng": rng, "dtype": dtype, "device": device}
    stem = Conv2d(in_channels, width, 3, padding=1, bias=not batch_norm, **kw)
    norm = [BatchNorm2d(width, dtype=dtype, device=stem.weight.device)] if batch_norm else []
    layers = [stem, *norm, Activation("relu")]
    layers += [block(width, width, batch_norm=batch_norm, **kw) for _ in range(blocks)]
    layers += [AdaptiveAvgPool2d(1), Flatten(), Dense(width, num_classes, **kw), Activation("linear")]
    return Sequential(*layers)
