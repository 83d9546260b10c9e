"""Issue 2's acceptance figures: top-1 over the ImageNet samples and class-map mass inside objects.

    python -m cnnattn explain ../shared/data/imagenet-samples --out r.jsonl
    python -m bench.acceptance r.jsonl            # writes docs/ACCEPTANCE.md

Development data from ../shared is read, never copied.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path

import numpy as np

from cnnattn.image.discovery import images_in
from cnnattn.image.loading import load_image
from cnnattn.maps import upsample
from cnnattn.training.data import find_labelled_images

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def top1_from_jsonl(path: Path, folder: Path) -> tuple[int, int, float]:
    """(correct, total, worst |sum-1| over all maps) from `python -m cnnattn explain` output on the
    labelled photos of `folder` (classes as training reads them: `find_labelled_images`)."""
    classes = {image.path.name: image.class_index for image in find_labelled_images(folder)}
    correct = total = 0
    worst = 0.0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            correct += record["predictions"][0]["index"] == classes[Path(record["image"]).name]
            total += 1
            for attention_map in record["maps"]:
                worst = max(worst, abs(float(np.sum(attention_map["weights"])) - 1.0))
    return correct, total, worst


def box_mask(label_file: Path, size: tuple[int, int]) -> np.ndarray:
    """Union of the YOLO boxes (normalised cx, cy, w, h) as a boolean (H, W) mask."""
    width, height = size
    mask = np.zeros((height, width), bool)
    for row in label_file.read_text().split("\n"):
        if not row.strip():
            continue
        _, cx, cy, w, h = (float(v) for v in row.split())
        x0, x1 = int((cx - w / 2) * width), int(np.ceil((cx + w / 2) * width))
        y0, y1 = int((cy - h / 2) * height), int(np.ceil((cy + h / 2) * height))
        mask[max(y0, 0) : y1, max(x0, 0) : x1] = True
    return mask


def mass_inside(weights: np.ndarray, mask: np.ndarray) -> float:
    """Share of a weight grid's mass inside a pixel mask, the grid spread over the photo as rendered."""
    spread = np.clip(upsample(weights, mask.shape[0], mask.shape[1]), 0, None)
    return float(spread[mask].sum() / spread.sum())


def object_mass(explainer, coco: Path, limit: int | None = None) -> list[tuple[str, float, float]]:
    """Per COCO image: (name, class-map mass inside the boxes, boxes' area share = a uniform map's mass)."""
    images = images_in(coco / "images" / "train2017")[:limit]
    rows = []
    for path in images:
        label_file = coco / "object_detection" / "labels" / "train2017" / f"{path.stem}.txt"
        if not label_file.exists():
            continue
        image = load_image(path)
        mask = box_mask(label_file, image.size)
        if mask.all() or not mask.any():
            continue  # a uniform map and any map score the same
        class_map = next(m for m in explainer.explain(image).maps if m.kind == "class")
        rows.append((path.name, mass_inside(class_map.weights, mask), float(mask.mean())))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("jsonl", type=Path, help="output of python -m cnnattn explain on imagenet-samples")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "ACCEPTANCE.md")
    args = parser.parse_args(argv)

    from cnnattn import Explainer
    from cnnattn.heads import ClassMap

    correct, total, worst = top1_from_jsonl(args.jsonl, SHARED / "imagenet-samples")
    rows = object_mass(Explainer.load(device="cpu"), SHARED / "coco128")
    inside = np.array([r[1] for r in rows])
    area = np.array([r[2] for r in rows])
    report = f"""# Acceptance figures (issue 2)

Date: {datetime.date.today()}; machine: {platform.machine()} {platform.processor() or "cpu"}, \
Python {platform.python_version()}.

Commands:

    python -m cnnattn explain ../shared/data/imagenet-samples --out r.jsonl
    python -m bench.acceptance r.jsonl

## Top-1 of the backbone's own classifier on ../shared/data/imagenet-samples

Whole photo resized (short side 256, no crop): **{correct}/{total} = {correct / total:.1%}** (target: at least 85%).
Largest |sum of a map - 1| over every map in the file: {worst:.2e}.

## Class map of the predicted class vs a uniform map, on ../shared/data/coco128 boxes

Mass inside the union of the labelled boxes, over {len(rows)} images (images whose boxes cover the whole
photo are left out, since every map scores 1 there). A uniform map's mass equals the boxes' area share.

| | mean | median |
|---|---|---|
| class map (T={ClassMap.default_temperature:g}) mass inside boxes | {inside.mean():.3f} | {np.median(inside):.3f} |
| uniform map (boxes' area share) | {area.mean():.3f} | {np.median(area):.3f} |

The class map puts more mass inside the boxes than a uniform map on **{(inside > area).mean():.1%}** of the images
(mean ratio inside/area {np.mean(inside / area):.2f}x).
"""
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0 if correct / total >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main())
