"""Pure drawing helpers for the lesson: grid lines, region contours, score maps, the deletion plot.

No model imports: everything takes arrays and PIL images (like `cnnattn.render`).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from cnnattn.render import DEFAULT_COLORMAP, overlay

CONTOUR_COLOUR = (0, 255, 255)  # cyan: stands out on every colormap in render.COLORMAPS
GRID_COLOUR = (255, 255, 255)
# Matplotlib falls back along this list per glyph: Chinese labels need a CJK font (Debian fonts-noto-cjk).
FONTS = ["DejaVu Sans", "Noto Sans CJK SC"]


def cell_box(cell: tuple[int, int], grid: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Pixel box (left, top, right, bottom) of grid cell (row, col) on an image of `size` = (width, height)."""
    (row, col), (h, w), (width, height) = cell, grid, size
    return col * width / w, row * height / h, (col + 1) * width / w, (row + 1) * height / h


def draw_grid(image: Image.Image, grid: tuple[int, int], alpha: float = 0.35) -> Image.Image:
    """Faint lines between grid cells, so students see which pixels each number belongs to."""
    h, w = grid
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width, height = image.size
    colour = (*GRID_COLOUR, round(255 * alpha))
    for col in range(1, w):
        draw.line([(col * width / w, 0), (col * width / w, height)], fill=colour, width=1)
    for row in range(1, h):
        draw.line([(0, row * height / h), (width, row * height / h)], fill=colour, width=1)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def mark_cell(image: Image.Image, cell: tuple[int, int], grid: tuple[int, int]) -> Image.Image:
    marked = image.copy()
    line = max(2, min(image.size) // 150)
    ImageDraw.Draw(marked).rectangle(cell_box(cell, grid, image.size), outline=CONTOUR_COLOUR, width=line)
    return marked


def region_outline(mask: np.ndarray, size: tuple[int, int], thickness: int = 2) -> np.ndarray:
    """(height, width) bool: pixels on the border of the cells in `mask` (h, w), at image `size`."""
    width, height = size
    cells = Image.fromarray(np.asarray(mask, dtype=np.uint8) * 255, mode="L")
    inside = np.asarray(cells.resize((width, height), Image.Resampling.NEAREST)) > 127  # (height, width)
    padded = np.pad(inside, thickness, mode="constant")
    eroded = inside.copy()
    for dy in range(-thickness, thickness + 1):
        for dx in range(-thickness, thickness + 1):
            eroded &= padded[thickness + dy : thickness + dy + height, thickness + dx : thickness + dx + width]
    return inside & ~eroded


def draw_region(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """Outline the cells of `mask` (h, w) on the image, e.g. the smallest region holding half the mass."""
    pixels = np.array(image.convert("RGB"))
    pixels[region_outline(mask, image.size, max(2, min(image.size) // 200))] = CONTOUR_COLOUR
    return Image.fromarray(pixels)


def score_overlay(
    image: Image.Image, scores: np.ndarray, colormap: str = DEFAULT_COLORMAP, alpha: float = 0.5
) -> Image.Image:
    """Raw scores (any sign) coloured from their minimum (colormap start) to their maximum (end)."""
    shifted = np.asarray(scores, dtype=np.float32) - float(np.min(scores))
    return overlay(image, shifted, colormap, alpha)


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
