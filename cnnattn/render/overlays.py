"""Pure rendering: (photo, weight grid, colormap, opacity) -> overlay image. No model imports."""

from __future__ import annotations

from functools import lru_cache

import matplotlib
import numpy as np
from PIL import Image, ImageDraw

from cnnattn.maps import upsample

DEFAULT_COLORMAP = "inferno"  # perceptually uniform and readable with colour-vision deficiency
# The colormaps offered everywhere (Explore, the Lesson, downloads, the browser's tables), in order. One list,
# read where it is used, so `register_colormap` before building the app adds a choice to every view.
COLORMAPS: list[str] = ["inferno", "viridis", "cividis", "magma", "plasma", "turbo", "gray"]


def register_colormap(name: str, colors: list) -> None:
    """Offer a colormap running through `colors` (matplotlib colour specs, first = weight 0) everywhere."""
    from matplotlib.colors import LinearSegmentedColormap

    if name not in matplotlib.colormaps:
        matplotlib.colormaps.register(LinearSegmentedColormap.from_list(name, colors))
    if name not in COLORMAPS:
        COLORMAPS.append(name)


@lru_cache(maxsize=16)
def lookup_table(colormap: str) -> np.ndarray:
    """The colormap's 256 RGB entries (uint8, (256, 3)); the browser draws with the same table."""
    if colormap not in matplotlib.colormaps:
        raise ValueError(f"Unknown colormap {colormap!r}; try one of {', '.join(COLORMAPS)}.")
    return (matplotlib.colormaps[colormap](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)


def heatmap(weights: np.ndarray, size: tuple[int, int], colormap: str = DEFAULT_COLORMAP, vmax: float | None = None):
    """Colour an (h, w) weight grid at `size` = (width, height); 0 maps to the colormap's start.

    `vmax=None` scales each map to its own maximum; a shared `vmax` puts maps on one absolute
    scale so they can be compared honestly.
    """
    top = float(weights.max()) if vmax is None else vmax
    width, height = size
    scaled = upsample(weights, height, width) / max(top, 1e-12)
    indices = np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.take(lookup_table(colormap), indices, axis=0)  # (H, W, 3) uint8; take is ~5x faster than [indices]


def overlay(
    image: Image.Image,
    weights: np.ndarray,
    colormap: str = DEFAULT_COLORMAP,
    alpha: float = 0.5,
    vmax: float | None = None,
) -> Image.Image:
    """Blend the coloured weight map over the photo: alpha=0 is the photo, 1 the heatmap alone."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("Opacity must be between 0 and 1.")
    photo = np.asarray(image.convert("RGB"), dtype=np.float32)
    blended = heatmap(weights, image.size, colormap, vmax).astype(np.float32)
    # photo * (1 - alpha) + colours * alpha + 0.5, in place: half the time, bit-identical pixels.
    blended *= alpha
    photo *= 1.0 - alpha
    blended += photo
    blended += 0.5
    return Image.fromarray(blended.astype(np.uint8))


def mark_query(image: Image.Image, query: tuple[float, float], radius: int | None = None) -> Image.Image:
    """Draw a ring where the SelfAttention query sits, so the row shown is unambiguous."""
    marked = image.copy()
    width, height = image.size
    radius = radius or max(4, min(width, height) // 40)
    x, y = query[0] * width, query[1] * height
    draw = ImageDraw.Draw(marked)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=(0, 255, 255), width=max(2, radius // 3))
    return marked


def fit_within(image: Image.Image, max_side: int = 1024) -> Image.Image:
    """Downscale big photos for display; overlays need no more pixels than a screen shows."""
    scale = max_side / max(image.size)
    if scale >= 1.0:
        return image
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
