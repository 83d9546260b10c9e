"""SelfAttention rows queried on COCO objects, as issue 12 defines the figure:

queries on a 5x5 grid of fractions 0.2, 0.35, 0.5, 0.65, 0.8 of the width and height of every photo
with a semantic mask; a query is kept when its pixel lies on an object (non-zero category) that
covers at most half the photo; per query, the row's weight on that object's cells (the mask
box-averaged to the grid) divided by the object's share of the grid; the mean over all kept
queries and all heads. A uniform row scores 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

QUERY_FRACTIONS = (0.2, 0.35, 0.5, 0.65, 0.8)
MAX_OBJECT_SHARE = 0.5  # objects covering more of the photo are not queried
COCO_STUFF_FIRST_ID = 92  # COCO panoptic ids below this are "things" (countable objects), from 92 on "stuff"


@dataclass(frozen=True)
class CocoQuery:
    cell: int  # flat (row-major) grid index of the query
    category: int  # COCO panoptic category under the query pixel
    pixel_share: float  # the object's share of the photo's pixels
    fraction: torch.Tensor  # (h, w) share of each grid cell covered by the object (box average)

    @property
    def thing(self) -> bool:
        return self.category < COCO_STUFF_FIRST_ID


def coco_photos(coco: Path) -> list[tuple[Path, Path]]:
    """(image, semantic mask) pairs of a coco128-style folder, sorted by name."""
    masks = sorted((Path(coco) / "semantic_segmentation" / "masks" / "train2017").glob("*.png"))
    images = Path(coco) / "images" / "train2017"
    return [(images / f"{mask.stem}.jpg", mask) for mask in masks if (images / f"{mask.stem}.jpg").is_file()]


def grid_cell(x: float, y: float, grid: tuple[int, int]) -> int:
    """Flat index of the grid cell under (x, y) fractions of the photo; grid is (h, w)."""
    h, w = grid
    return min(int(y * h), h - 1) * w + min(int(x * w), w - 1)


def coco_queries(mask: np.ndarray, input_hw: tuple[int, int], stride: int) -> list[CocoQuery]:
    """The kept queries of one photo: mask (H0, W0) category ids, the network input's (H, W)."""
    H0, W0 = mask.shape
    h, w = input_hw[0] // stride, input_hw[1] // stride
    queries = []
    fractions: dict[int, torch.Tensor] = {}
    for fy in QUERY_FRACTIONS:
        for fx in QUERY_FRACTIONS:
            category = int(mask[min(int(fy * H0), H0 - 1), min(int(fx * W0), W0 - 1)])
            if category == 0:
                continue
            inside = mask == category
            share = float(inside.mean())
            if share > MAX_OBJECT_SHARE:
                continue
            if category not in fractions:
                binary = Image.fromarray(inside.astype(np.float32), mode="F")
                fractions[category] = torch.from_numpy(np.array(binary.resize((w, h), Image.Resampling.BOX)))
            queries.append(CocoQuery(grid_cell(fx, fy, (h, w)), category, share, fractions[category]))
    return queries


def object_ratios(rows: torch.Tensor, query: CocoQuery) -> torch.Tensor:
    """Per head: weight on the object / the object's share of the grid. rows: (heads, h*w) at query.cell."""
    fraction = query.fraction.flatten().to(rows)
    return (rows * fraction).sum(-1) / fraction.mean()


def summarise(ratios: list[torch.Tensor], queries: list[CocoQuery]) -> dict:
    """The figure (mean over kept queries and heads), per head, and split into things / stuff."""
    if not ratios:
        return {"queries": 0}
    table = torch.stack(ratios).double()  # (queries, heads)
    things = torch.tensor([q.thing for q in queries])
    result = {
        "queries": len(queries),
        "object_over_share_mean": float(table.mean()),
        "per_head": [float(v) for v in table.mean(0)],
        "beats_uniform_share": float((table > 1).double().mean()),
    }
    for group, selected in (("things", things), ("stuff", ~things)):
        if selected.any():
            result[group] = {"queries": int(selected.sum()), "object_over_share_mean": float(table[selected].mean())}
    return result
