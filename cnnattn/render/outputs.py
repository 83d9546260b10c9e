"""Turn an Explanation into what people look at and download: captioned overlays, JSON, .npy.

Files are written under unique names and renamed into place, so concurrent requests never read
a half-written file (servers hash and copy them while other requests are writing).
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cnnattn.explain import AttentionMap, Explanation
from cnnattn.render import fit_within, mark_query, overlay


@dataclass(frozen=True)
class RenderOptions:
    colormap: str  # matplotlib colormap name
    alpha: float  # heatmap opacity over the photo, 0..1
    shared_scale: bool  # one absolute colour scale for all maps instead of each map's own maximum
    max_side: int = 768  # display size: overlays need no more pixels than a screen shows


def caption(attention_map: AttentionMap, labels: tuple[str, ...]) -> str:
    if attention_map.class_index is not None:
        return f"{attention_map.head} map: {labels[attention_map.class_index]}"
    if attention_map.query is not None:
        x, y = attention_map.query
        return f"{attention_map.head} row at ({x:.2f}, {y:.2f})"
    return f"{attention_map.head} pooling"


def render_overlays(image: Image.Image, explanation: Explanation, options: RenderOptions) -> list[Image.Image]:
    shown = fit_within(image, options.max_side)
    vmax = max(float(m.weights.max()) for m in explanation.maps) if options.shared_scale else None
    overlays = []
    for attention_map in explanation.maps:
        rendered = overlay(shown, attention_map.weights, options.colormap, options.alpha, vmax)
        if attention_map.query is not None:
            rendered = mark_query(rendered, attention_map.query)
        overlays.append(rendered)
    return overlays


def _write_atomic(path: Path, data: bytes) -> Path:
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    staging.write_bytes(data)
    os.replace(staging, path)
    return path


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast; these files are transient
    return buffer.getvalue()


def write_outputs(
    directory: Path, overlays: list[Image.Image], explanation: Explanation, image_name: str
) -> tuple[list[Path], list[Path]]:
    """Write overlay PNGs, weights.json and weights.npy (maps stacked in JSON order) to a fresh folder."""
    folder = directory / uuid.uuid4().hex
    folder.mkdir(parents=True)
    pngs = [
        _write_atomic(folder / f"{str(m.head).replace('/', '-')}-{i}.png", png_bytes(img))
        for i, (m, img) in enumerate(zip(explanation.maps, overlays, strict=True))
    ]
    record = json.dumps(explanation.to_json(image_name), ensure_ascii=False).encode("utf-8")
    stacked = io.BytesIO()
    np.save(stacked, np.stack([m.weights for m in explanation.maps]))
    data_files = [
        _write_atomic(folder / "weights.json", record),
        _write_atomic(folder / "weights.npy", stacked.getvalue()),
    ]
    return pngs, data_files


def sweep(directory: Path, max_age_s: float) -> int:
    """Delete output folders older than max_age_s; returns how many were removed."""
    removed = 0
    cutoff = time.time() - max_age_s
    for folder in directory.iterdir() if directory.exists() else ():
        try:
            if folder.stat().st_mtime < cutoff:
                for file in folder.iterdir():
                    file.unlink(missing_ok=True)
                folder.rmdir()
                removed += 1
        except OSError:
            continue  # another request swept it first
    return removed
