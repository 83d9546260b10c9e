"""Pictures the server still draws for the lesson: the occluded photo and the deletion plot.

No model imports: everything takes arrays and PIL images (like `cnnattn.render`).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# Matplotlib falls back along this list per glyph: Chinese labels need a CJK font (Debian fonts-noto-cjk).
FONTS = ["DejaVu Sans", "Noto Sans CJK SC"]


def cover_cells(image: Image.Image, mask: np.ndarray, fill: tuple[int, int, int] = (128, 128, 128)) -> Image.Image:
    """Paint the cells of `mask` (h, w) grey: what the network saw in the occlusion experiment."""
    cells = Image.fromarray(np.asarray(mask, dtype=np.uint8) * 255, mode="L")
    inside = np.asarray(cells.resize(image.size, Image.Resampling.NEAREST)) > 127
    pixels = np.array(image.convert("RGB"))
    pixels[inside] = fill
    return Image.fromarray(pixels)


def line_plot(
    x: np.ndarray,
    series: list[tuple[np.ndarray, str]],
    title: str,
    xlabel: str,
    ylabel: str,
    size: tuple[float, float] = (6.0, 3.6),
) -> Image.Image:
    """A small line chart as a PIL image (matplotlib's object API: no global pyplot state, thread-safe)."""
    from matplotlib.figure import Figure  # on first use: 0.4 s of the app's start otherwise

    figure = Figure(figsize=size, dpi=100, layout="constrained")
    axes = figure.add_subplot()
    for values, label in series:
        axes.plot(x, values, marker="o", label=label)
    axes.set(ylim=(0, 1), xlim=(0, 1))
    axes.set_title(title, fontfamily=FONTS)
    axes.set_xlabel(xlabel, fontfamily=FONTS)
    axes.set_ylabel(ylabel, fontfamily=FONTS)
    axes.grid(alpha=0.3)
    axes.legend(prop={"family": FONTS})
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Image.open(buffer).convert("RGB")
