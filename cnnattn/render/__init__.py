"""Rendering: pure functions from weights and photos to pixels (colormap overlays, files to download)."""

from cnnattn.render.overlays import (
    COLORMAPS,
    DEFAULT_COLORMAP,
    fit_within,
    heatmap,
    lookup_table,
    mark_query,
    overlay,
    register_colormap,
)

__all__ = [
    "COLORMAPS",
    "DEFAULT_COLORMAP",
    "fit_within",
    "heatmap",
    "lookup_table",
    "mark_query",
    "overlay",
    "register_colormap",
]
