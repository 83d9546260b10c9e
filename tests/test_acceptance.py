"""Issue 2's acceptance measures: the helpers are exact, and class maps land on COCO objects."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import COCO128, IMAGENET_SAMPLES, require_shared

_spec = importlib.util.spec_from_file_location("acceptance", Path(__file__).parents[1] / "bench" / "acceptance.py")
acceptance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acceptance)


def test_box_mask_covers_the_box(tmp_path):
    labels = tmp_path / "a.txt"
    labels.write_text("3 0.25 0.5 0.5 1.0\n")  # left half of the photo
    mask = acceptance.box_mask(labels, (40, 20))
    assert mask[:, :20].all() and not mask[:, 20:].any()


def test_mass_inside_uniform_equals_area_share():
    mask = np.zeros((30, 60), bool)
    mask[:, :15] = True
    uniform = np.full((3, 6), 1 / 18)
    assert acceptance.mass_inside(uniform, mask) == pytest.approx(0.25, abs=1e-3)


def test_top1_reads_classes_from_file_names_in_torchvision_order(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("n01440764_tench.JPEG", "n02130308_cheetah.JPEG"):  # classes 0 and 293
        (photos / name).touch()
    uniform = [[0.25, 0.25], [0.25, 0.25]]
    records = [(photos / "n01440764_tench.JPEG", 0), (photos / "n02130308_cheetah.JPEG", 291)]
    lines = [
        json.dumps({"image": str(path), "predictions": [{"index": top1}], "maps": [{"weights": uniform}]})
        for path, top1 in records
    ]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n")
    correct, total, worst = acceptance.top1_from_jsonl(tmp_path / "r.jsonl", photos)
    assert (correct, total) == (1, 2) and worst == pytest.approx(0.0)


def test_top1_of_the_shipped_samples_is_labelled_for_every_photo():
    samples = require_shared(IMAGENET_SAMPLES)
    classes = {p.path.name: p.class_index for p in acceptance.find_labelled_images(samples)}
    assert len(set(classes.values())) == 1000
    assert classes["n01440764_tench.JPEG"] == 0 and classes["n02130308_cheetah.JPEG"] == 293


def test_class_maps_put_more_mass_on_objects_than_uniform(explainer):
    rows = acceptance.object_mass(explainer, require_shared(COCO128), limit=24)
    inside = np.array([r[1] for r in rows])
    area = np.array([r[2] for r in rows])
    assert len(rows) >= 15
    assert inside.mean() > area.mean() + 0.05
    assert (inside > area).mean() > 0.6
