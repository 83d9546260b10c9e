"""Per-step training losses of every trained head kind, one epoch on a small fixed feature fixture.

    python -m tests.golden.make_train_losses      # rewrites tests/golden/train-losses.json

The fixture: 8 "photos" of seeded random features (torch.Generator seed 18; 1280 channels, the
embedded efficientnet_lite0's; 4x4 and 3x5 grids, so batches are grouped by shape), each with two
whole-photo views (0, 1) and two mosaic tiles (views 100, 101), labels 0-3, every photo in the train
split and none in validation. Each kind trains one epoch, batch size 4, with every loss term of its
objective switched on, through `cnnattn.training.train.fit_and_score` (the path `cnnattn train` and
the ablation take) on one torch thread, so sums do not depend on how threads split them. A loss is
recorded each time `backward()` runs: the step's total. Made at commit a08ba70's working tree, before
the training refactor of issue 18 item 4 (torch 2.14.1, one thread); `tests/test_train_losses.py`
asserts the working tree reproduces these within 1e-6.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch

FIXTURE = Path(__file__).with_name("train-losses.json")
CHANNELS = 1280  # efficientnet_lite0's num_features
SEED = 18

# Every term on, so each branch of each kind's objective is covered (field names of the objectives).
SETTINGS = {
    "simple": dict(
        num_heads=3,
        kl_weight=1.0,
        head_kl_weight=0.5,
        mosaic_weight=1.0,
        diversity_weight=1.0,
        entropy_weight=1.0,
        peak_weight=1.0,
        coverage_weight=1.0,
        evidence_weight=1.0,
        crop=0.5,
        epochs=1,
        batch_size=4,
        lr=1e-2,
    ),
    "self": dict(num_heads=2, head_dim=16, affinity_weight=1.0, own_tile_weight=1.0, epochs=1, batch_size=4, lr=1e-3),
}


def fixture_dataset():
    """A `features.Dataset` of seeded random feature maps (module docstring)."""
    from cnnattn.training.data import TILE_VIEW, FeatureSet
    from cnnattn.training.features import Dataset

    generator = torch.Generator().manual_seed(SEED)
    features, image, view, labels = [], [], [], []
    for photo in range(8):
        h, w = (4, 4) if photo % 2 else (3, 5)
        for v in (0, 1, TILE_VIEW, TILE_VIEW + 1):
            grid = (4, 4) if v >= TILE_VIEW else (h, w)  # tiles are square, like the 128x128 squashed photos
            features.append((torch.rand(CHANNELS, *grid, generator=generator) * 3).half())
            image.append(photo)
            view.append(v)
            labels.append(photo % 4)
    feature_set = FeatureSet(features, torch.tensor(image), torch.tensor(view), torch.tensor(labels))
    splits = {"train": list(range(8)), "validation": [], "held_out": []}
    return Dataset([], feature_set, splits, "fixture", 0)


def objective(kind: str):
    from cnnattn.training.train import CHOSEN

    return dataclasses.replace(CHOSEN[kind], **SETTINGS[kind])


def losses(kind: str, backbone, dataset) -> list[float]:
    """The total loss of every step of one epoch of `kind`."""
    from cnnattn.training.data import FeatureExtractor
    from cnnattn.training.features import preprocessing_for
    from cnnattn.training.train import fit_and_score

    recorded: list[float] = []
    backward = torch.Tensor.backward

    def record(self, *args, **kwargs):
        recorded.append(float(self.detach()))
        return backward(self, *args, **kwargs)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.Tensor.backward = record
    try:
        extractor = FeatureExtractor(backbone, preprocessing_for(backbone), torch.device("cpu"))
        fit_and_score(kind, objective(kind), dataset, extractor, log=lambda text: None)
    finally:
        torch.Tensor.backward = backward
        torch.set_num_threads(threads)
    return recorded


def generate() -> dict[str, list[float]]:
    from cnnattn.backbones import create_backbone

    backbone = create_backbone("efficientnet_lite0")
    dataset = fixture_dataset()
    return {kind: losses(kind, backbone, dataset) for kind in SETTINGS}


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(generate(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
