"""Batches of cached feature maps for `cnnattn.training.fit`: equal-shape batches in seeded order,
their random flips and crops, and mosaics of tiles of distinct photos."""

from __future__ import annotations

import torch

from cnnattn.training.data import FeatureSet, crop_features, flip_features, mosaic

MOSAIC_LAYOUTS = {"2x2": (2, 2), "1x2": (1, 2), "2x1": (2, 1)}


def shape_batches(feature_set: FeatureSet, indices: list[int], batch_size: int, generator: torch.Generator):
    """Batches of samples with equal feature-map shape (photos differ in aspect), in seeded order."""
    buckets: dict[tuple[int, int], list[int]] = {}
    for i in indices:
        buckets.setdefault(tuple(feature_set.features[i].shape[-2:]), []).append(i)
    batches = []
    for members in buckets.values():
        order = torch.randperm(len(members), generator=generator).tolist()
        shuffled = [members[j] for j in order]
        batches += [shuffled[s : s + batch_size] for s in range(0, len(shuffled), batch_size)]
    return [batches[j] for j in torch.randperm(len(batches), generator=generator).tolist()]


def stack(feature_set: FeatureSet, batch: list[int], device) -> tuple[torch.Tensor, torch.Tensor]:
    features = torch.stack([feature_set.features[i] for i in batch]).to(device).float()  # (B, C, h, w)
    return features, feature_set.labels[batch].to(device)


class MosaicSampler:
    """Mosaics of tile views of distinct photos, in seeded order."""

    def __init__(self, feature_set: FeatureSet, tile_samples: list[int], layouts: tuple[str, ...]):
        self.feature_set = feature_set
        self.layouts = [MOSAIC_LAYOUTS[name] for name in layouts]
        self.by_image: dict[int, list[int]] = {}
        for i in tile_samples:
            self.by_image.setdefault(int(feature_set.image[i]), []).append(i)
        self.images = sorted(self.by_image)

    def batch(self, size: int, generator: torch.Generator, device, layout: tuple[int, int] | None = None):
        rows, cols = layout or self.layouts[int(torch.randint(len(self.layouts), (1,), generator=generator))]
        T = rows * cols
        tiles, labels = [], []
        for _ in range(size):
            chosen = torch.randperm(len(self.images), generator=generator)[:T].tolist()
            samples = []
            for c in chosen:
                options = self.by_image[self.images[c]]
                samples.append(options[int(torch.randint(len(options), (1,), generator=generator))])
            tiles.append(torch.stack([self.feature_set.features[s] for s in samples]))
            labels.append(self.feature_set.labels[samples])
        m = mosaic(torch.stack(tiles).float(), torch.stack(labels), rows, cols)
        return m.features.to(device), m.labels.to(device), m.tile_of_cell.to(device), T


def augment(features: torch.Tensor, flip: bool, crop: float, generator: torch.Generator) -> torch.Tensor:
    if flip and float(torch.rand(1, generator=generator)) < 0.5:
        features = flip_features(features)
    if crop and float(torch.rand(1, generator=generator)) < crop:
        features = crop_features(features, generator)
    return features
