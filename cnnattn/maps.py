"""Grid geometry shared by every layer: which cell a query falls in, and maps between grid and pixels.

One implementation each, so the renderer, the lesson and the evaluation can never disagree.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CENTRE = (0.5, 0.5)


def grid_cell(query: tuple[float, float], grid: tuple[int, int]) -> int:
    """Flat index of the grid cell under (x, y) fractions of the photo; grid is (h, w)."""
    x, y = query
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError(f"Query {query} must be fractions of width and height in [0, 1].")
    h, w = grid
    return min(int(y * h), h - 1) * w + min(int(x * w), w - 1)


def upsample(weights: np.ndarray | torch.Tensor, height: int, width: int) -> np.ndarray:
    """(h, w) grid -> (height, width) float32 by bilinear interpolation with half-pixel centres
    (align_corners=False, no antialiasing): grid cells tile the image, edges are clamped.
    The renderer, the lesson and the evaluation all upsample here."""
    grid = weights if torch.is_tensor(weights) else torch.from_numpy(np.asarray(weights, dtype=np.float32))
    grid = grid.detach().float().cpu()[None, None]  # (1, 1, h, w)
    return F.interpolate(grid, size=(height, width), mode="bilinear", align_corners=False)[0, 0].numpy()


def to_grid(saliency: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Average a (H, W) pixel map over the grid's cells, clip at 0 and normalise it to sum to 1."""
    pooled = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(saliency, dtype=np.float32))[None], grid)[0]
    pooled = pooled.clamp_min(0).numpy()
    total = float(pooled.sum())
    h, w = grid
    return pooled / total if total > 0 else np.full((h, w), 1.0 / (h * w), dtype=np.float32)
