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
    ``conv1, bn1, conv2, bn2`` and ``shortcut`` (``nn.Identity`` or Sequential(conv1x1, BatchNorm2d))."""

    def __init__(self, in_channels, out_channels, stride=1, rng=None, dtype=None, device=None):
        super().__init__()
        _check_channels(in_channels=in_channels, out_channels=out_channels, stride=stride)
        kw = {"rng": rng, "dtype": dtype, "device": device}
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, **kw)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype, device=self.conv1.weight.device)
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, 1, bias=False, **kw)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype, device=self.conv1.weight.device)
        self.shortcut = torch.nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(Conv2d(in_channels, out_channels, 1, stride, bias=False, **kw),
                                       BatchNorm2d(out_channels, dtype=dtype, device=self.conv1.weight.device))
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"ResidualBlock expects x (N, {self.in_channels}, H, W), got shape {tuple(x.shape)}")
        main = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(main + self.shortcut(x))

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


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
