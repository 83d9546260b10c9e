"""Cached frozen-backbone features of a labelled folder (and of COCO photos with semantic masks),
at the app's input scale, so training runs and experiments cost seconds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnattn.backbones import Backbone
from cnnattn.image.loading import load_image
from cnnattn.image.preprocess import Preprocessing
from cnnattn.training.coco import CocoQuery, coco_photos, coco_queries
from cnnattn.training.data import (
    AUGMENTATION_VERSION,
    TILE_VIEW,
    FeatureExtractor,
    FeatureSet,
    LabelledImage,
    cached_features,
    extract_features,
    file_list_sha256,
    split_indices,
)


def default_short_side(backbone: str) -> int | None:
    """The calibrated default input short side (cnnattn/data/calibration/<backbone>.json), if measured."""
    card = files("cnnattn") / "data" / "calibration" / f"{backbone}.json"
    try:
        return int(json.loads(card.read_text(encoding="utf-8"))["default_short_side"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def preprocessing_for(backbone: Backbone, short_side: int | None = None) -> Preprocessing:
    """The app's preprocessing at `short_side`, else the calibrated default, else timm's scale."""
    side = short_side or default_short_side(backbone.name)
    return Preprocessing.from_config(backbone.data_config, backbone.stride, side)


@dataclass(frozen=True)
class ViewSpec:
    """Which views are cached per split (view ids: see cnnattn.training.data)."""

    train_augmented: int = 2  # augmented whole-photo views per training image (besides the clean one)
    train_tiles: int = 2  # mosaic tiles per training image: the clean squash plus augmented ones
    other_tiles: int = 1  # validation / held-out: the clean tile only (mosaic checks on validation)

    def views(self, split: str) -> list[int]:
        if split == "train":
            return [0, *range(1, 1 + self.train_augmented), *range(TILE_VIEW, TILE_VIEW + self.train_tiles)]
        return [0, *range(TILE_VIEW, TILE_VIEW + self.other_tiles)]


@dataclass
class Dataset:
    """Features of every cached view of a labelled folder, with the fixed split."""

    images: list[LabelledImage]
    features: FeatureSet
    splits: dict[str, list[int]]  # split -> image indices
    data_sha: str
    short_side: int
    seconds: float = 0.0

    def samples(self, split: str, views: set[int] | None = None) -> list[int]:
        return self.features.select(set(self.splits[split]), views)


def load_dataset(
    root: Path, images: list[LabelledImage], extractor: FeatureExtractor, spec: ViewSpec, seed: int, cache_dir: Path
) -> Dataset:
    import time

    started = time.perf_counter()
    name, preprocessing = extractor.backbone.name, extractor.preprocessing
    data_sha = file_list_sha256(images, root)
    splits = split_indices(images)
    key = json.dumps([name, data_sha, asdict(spec), seed, AUGMENTATION_VERSION, repr(preprocessing), "split-v1"])
    cache_file = Path(cache_dir) / "features" / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    views = {i: spec.views(split) for split, members in splits.items() for i in members}
    feature_set = cached_features(
        cache_file, lambda: extract_features(extractor, images, views, seed, chunk_dir=cache_file.with_suffix(""))
    )
    shutil.rmtree(cache_file.with_suffix(""), ignore_errors=True)  # chunks are now in the single cache file
    seconds = time.perf_counter() - started
    return Dataset(images, feature_set, splits, data_sha, preprocessing.short_side, seconds)


@dataclass(frozen=True)
class CocoPhoto:
    name: str  # file stem, e.g. 000000000009
    features: torch.Tensor  # (C, h, w) float16
    queries: list[CocoQuery]


@torch.inference_mode()
def coco_features(coco: Path, extractor: FeatureExtractor, cache_dir: Path) -> list[CocoPhoto]:
    """Features and kept queries of every coco128 photo with a semantic mask (cached)."""
    photos = coco_photos(coco)
    key = json.dumps([extractor.backbone.name, [p[0].name for p in photos], repr(extractor.preprocessing), "coco-v1"])
    cache_file = Path(cache_dir) / "features" / f"coco-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    if cache_file.is_file():
        stored = torch.load(cache_file, map_location="cpu", weights_only=True)
        return [
            CocoPhoto(name, f, [CocoQuery(*q) for q in qs])
            for name, f, qs in zip(stored["names"], stored["features"], stored["queries"], strict=True)
        ]
    result = []
    for image_file, mask_file in photos:
        inputs = extractor.preprocessing(load_image(image_file))
        queries = coco_queries(np.array(Image.open(mask_file)), inputs.shape[-2:], extractor.backbone.stride)
        result.append(CocoPhoto(image_file.stem, extractor.features(inputs), queries))
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "names": [p.name for p in result],
            "features": [p.features for p in result],
            "queries": [[(q.cell, q.category, q.pixel_share, q.fraction) for q in p.queries] for p in result],
        },
        cache_file,
    )
    return result
