"""The vision transformer: patches as tokens, the model's shapes and blocks, and a test against a reference
assembled from torch.nn layers with the same weights."""

import numpy as np
import pytest
import torch

from companion.counting import count_parameters
from companion.vit import ViT, ViTConfig, patch_grid, patchify


def test_patchify_orders_tokens_row_by_row_and_inverts():
    images = np.arange(2 * 3 * 4 * 6, dtype=float).reshape(2, 3, 4, 6)     # N=2, C=3, 4 x 6 pixels
    tokens = patchify(images, 2)
    assert tokens.shape == (2, 6, 12)
    # token 4 is patch (row 1, column 1): rows 2-3, columns 2-3, channel first
    np.testing.assert_array_equal(tokens[1, 4], images[1, :, 2:4, 2:4].ravel())
    np.testing.assert_array_equal(patchify(torch.as_tensor(images), 2).numpy(), tokens)   # torch: the same
    square = np.random.default_rng(0).normal(size=(3, 2, 8, 8))
    np.testing.assert_array_equal(patch_grid(patchify(square, 4), 4, 8, channels=2), square)


def test_patchify_refuses_what_does_not_tile():
    with pytest.raises(ValueError, match="patch=3 must divide"):
        patchify(np.zeros((1, 1, 8, 8)), 3)
    with pytest.raises(ValueError, match="4-D"):
        patchify(np.zeros((8, 8)), 2)


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_vit_equals_a_reference_built_from_torch_nn(pooling):
    torch.manual_seed(0)
    config = ViTConfig(patch=4, d_model=16, n_layers=2, n_heads=2, d_ff=24, pooling=pooling)
    model = ViT(config, dtype=torch.float64, device="cpu").eval()
    blocks = [torch.nn.TransformerEncoderLayer(16, 2, 24, 0.0, activation="gelu", batch_first=True,
                                               norm_first=True, dtype=torch.float64) for _ in range(2)]
    for ref, ours in zip(blocks, model.blocks):
        ref.load_state_dict(ours.state_dict())
    images = torch.randn(5, 64, dtype=torch.float64)                     # flat pixels, as the digits come
    h = model.embed(images.reshape(5, 1, 2, 4, 2, 4).permute(0, 2, 4, 1, 3, 5).reshape(5, 4, 16))
    if pooling == "cls":
        h = torch.cat([model.cls.expand(5, 1, 16), h], dim=1)
    h = h + model.pos
    for ref in blocks:
        h = ref(h)
    pooled = h[:, 0] if pooling == "cls" else h.mean(dim=1)
    expected = model.head(model.norm(pooled))
    got = model(images)
    assert got.shape == (5, 10)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model(images.reshape(5, 1, 8, 8)), got)   # (N, C, H, W) input too
    got.sum().backward()
    assert all(p.grad is not None for p in model.parameters())            # every parameter gets a gradient


def test_parameter_count_and_tokens():
    config = ViTConfig(patch=2, d_model=8, n_layers=1, n_heads=2, d_ff=16, pooling="cls")
    model = ViT(config, device="cpu")
    assert config.num_patches == 16 and model.pos.shape == (17, 8)        # 16 patches and the class token
    block = 4 * 8 * 8 + 4 * 8 + 2 * 8 * 16 + 16 + 8 + 4 * 8
    expected = (4 * 8 + 8) + 17 * 8 + 8 + block + 2 * 8 + (8 * 10 + 10)
    assert count_parameters(model) == expected
    assert ViT(ViTConfig(patch=2, d_model=8, n_layers=1, n_heads=2, d_ff=16, pooling="mean"),
               device="cpu").cls is None


def test_bad_configurations_and_inputs_are_refused():
    with pytest.raises(ValueError, match="patch=3 must divide image_size=8"):
        ViTConfig(patch=3)
    with pytest.raises(ValueError, match="divisible by n_heads"):
        ViTConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="unknown pooling"):
        ViTConfig(pooling="max")
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 1, 8, 8\)"):
        ViT(ViTConfig(), device="cpu")(torch.zeros(2, 1, 6, 6))


def test_a_vit_learns_a_separable_task():
    """Two classes of 8x8 images, bright top half or bright bottom half: a few steps of Adam separate them."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=64)
    X = rng.normal(0, 0.3, size=(64, 1, 8, 8))
    X[y == 0, :, :4] += 1.0
    X[y == 1, :, 4:] += 1.0
    model = ViT(ViTConfig(patch=4, d_model=16, n_layers=1, n_heads=2, d_ff=16, num_classes=2), device="cpu")
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(25):
        loss = torch.nn.functional.cross_entropy(model(X), torch.as_tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = (model(X).argmax(1).numpy() == y).mean()
    assert accuracy == 1.0
