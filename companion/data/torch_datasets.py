"""A ``torch.utils.data.Dataset`` over the NumPy arrays of :mod:`companion.data.public` (kept apart so the
NumPy loaders never import torch; :func:`companion.data.public.as_dataset` imports this on demand)."""

import numpy as np
import torch


def image_to_tensor(image):
    """uint8 image (H, W) or (H, W, C) -> float32 tensor (1, H, W) or (C, H, W) in [0, 1], as
    torchvision's ``ToTensor``; a float image is taken as already in [0, 1] and only moved to (C, H, W)."""
    x = torch.from_numpy(np.ascontiguousarray(image))
    x = x.to(torch.float32) / 255.0 if x.dtype == torch.uint8 else x.to(torch.float32)
    return x.unsqueeze(0) if x.ndim == 2 else x.permute(2, 0, 1)  # (C, H, W)


class ArrayDataset(torch.utils.data.Dataset):
    """(x[i], y[i]) pairs from arrays of equal length, for a ``DataLoader``.

    Items: ``transform(x[i])`` if a transform is given, else an image (N, H, W[, C]) becomes
    :func:`image_to_tensor`'s (C, H, W) float32 tensor and a text (object array) stays a str; the label
    is a 0-d int64 tensor.
    """

    def __init__(self, x, y, transform=None):
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} and {len(y)}")
        self.x, self.y = x, np.asarray(y, dtype=np.int64)
        self.transform = transform or (lambda v: v if isinstance(v, str) else image_to_tensor(v))

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.x[i]), torch.tensor(self.y[i])
