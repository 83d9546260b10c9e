"""Rendering is a pure function; its pixels can be pinned."""

import numpy as np
import pytest
from PIL import Image

from cnnattn.maps import upsample
from cnnattn.render import heatmap, mark_query, overlay


def test_upsample_keeps_grid_layout():
    weights = np.zeros((2, 2), np.float32)
    weights[0, 1] = 1.0  # top-right cell
    big = upsample(weights, 20, 40)
    assert big.shape == (20, 40)
    assert big[:5, -5:].min() > 0.9 and big[-5:, :5].max() < 0.1


def test_upsample_is_bilinear_with_half_pixel_centres():
    """The one definition every view uses (the browser view repeats it): output pixel x samples
    the grid at (x + 0.5) * w / W - 0.5, clamped at the edges, linearly between cell centres."""
    grid = np.arange(6, dtype=np.float32).reshape(2, 3) ** 2
    H, W = 5, 7
    ys = np.clip((np.arange(H) + 0.5) * 2 / H - 0.5, 0, 1)
    xs = np.clip((np.arange(W) + 0.5) * 3 / W - 0.5, 0, 2)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, 1), np.minimum(x0 + 1, 2)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x1] * fx
    bottom = grid[y1][:, x0] * (1 - fx) + grid[y1][:, x1] * fx
    np.testing.assert_allclose(upsample(grid, H, W), top * (1 - fy) + bottom * fy, rtol=1e-6, atol=1e-5)


def test_heatmap_uses_the_colormap_ends():
    import matplotlib

    weights = np.array([[0.0, 1.0]], np.float32)
    colours = heatmap(weights, (2, 1), "viridis")
    lut = matplotlib.colormaps["viridis"]
    np.testing.assert_allclose(colours[0, 0], np.array(lut(0.0)[:3]) * 255, atol=1)
    np.testing.assert_allclose(colours[0, 1], np.array(lut(1.0)[:3]) * 255, atol=1)


def test_shared_scale_dims_weaker_maps():
    weak = np.full((2, 2), 0.25, np.float32)
    own = heatmap(weak, (2, 2), "gray")
    shared = heatmap(weak, (2, 2), "gray", vmax=1.0)
    assert own.mean() > 250 and 60 < shared.mean() < 70


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_overlay_alpha_ends(alpha):
    photo = Image.new("RGB", (8, 6), (10, 200, 30))
    weights = np.full((2, 2), 0.25, np.float32)
    out = np.asarray(overlay(photo, weights, "gray", alpha))
    expected = (10, 200, 30) if alpha == 0 else (255, 255, 255)
    assert out.shape == (6, 8, 3) and (out == expected).all()


def test_overlay_rejects_bad_opacity():
    with pytest.raises(ValueError, match="Opacity"):
        overlay(Image.new("RGB", (4, 4)), np.ones((1, 1)), alpha=2)


def test_mark_query_draws_at_the_point():
    marked = np.asarray(mark_query(Image.new("RGB", (100, 100)), (0.25, 0.75), radius=8))
    ys, xs = np.nonzero(marked.sum(axis=2))
    assert abs(xs.mean() - 25) < 2 and abs(ys.mean() - 75) < 2
