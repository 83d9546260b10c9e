"""Issue 2's acceptance measures: the helpers are exact, and class maps land on COCO objects."""

import importlib.util
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


def test_wnid_index_is_torchvision_order():
    index = acceptance.wnid_index(require_shared(IMAGENET_SAMPLES))
    assert len(index) == 1000 and index["n01440764"] == 0 and index["n02130308"] == 293


def test_class_maps_put_more_mass_on_objects_than_uniform(explainer):
    rows = acceptance.object_mass(explainer, require_shared(COCO128), limit=24)
    inside = np.array([r[1] for r in rows])
    area = np.array([r[2] for r in rows])
    assert len(rows) >= 15
    assert inside.mean() > area.mean() + 0.05
    assert (inside > area).mean() > 0.6
