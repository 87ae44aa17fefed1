"""Companion package of *Neural Networks, Executed*.

Every concept exists twice under the same name: ``companion.np`` spells the math out in NumPy,
forward and backward by hand; ``companion.torch`` is the PyTorch twin that runs on the best device
present and lets autograd do the backward pass. Importing ``companion`` is cheap: torch loads only
when ``companion.torch`` (or :func:`device`) is used.
"""

from companion._runtime import device, seed

__version__ = "0.1.0"
__all__ = ["device", "seed", "__version__"]
