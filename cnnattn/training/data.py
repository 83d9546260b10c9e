"""Labelled image folders for training heads: file discovery, the fixed split, augmentation, and a
file cache of frozen-backbone features so every epoch and every experiment costs only the heads.

Views of one photo, by view id:

- 0: the clean photo with the app's own no-crop preprocessing (every split);
- 1..n: augmented photos (random crop, flip, colour jitter), then the same preprocessing (train);
- TILE_VIEW + j: the photo squashed to a TILE_PIXELS square (j = 0 clean, j > 0 augmented). Tiles
  of different photos are put side by side in feature space to make mosaics (see `mosaic`).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageEnhance
from tqdm import tqdm

from cnnattn.backbones import Backbone
from cnnattn.image.loading import load_image
from cnnattn.image.preprocess import Preprocessing
from cnnattn.training.splits import split_of

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
AUGMENTATION_VERSION = 2  # bump when `augment` or the tile views change, so stale caches are not reused
TILE_VIEW = 100  # view ids from here on are mosaic tiles
TILE_PIXELS = 128  # a tile is the photo squashed to this square: a 4x4 grid at stride 32


def default_cache_dir() -> Path:
    """Where features and run states go: $XDG_CACHE_HOME/cnnattn, else ~/.cache/cnnattn."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnnattn"


class DatasetError(ValueError):
    """The folder is not a labelled image folder cnnattn understands; the message says what to fix."""


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    class_index: int  # ImageNet-1k index: position of the wnid in the sorted list of 1000 wnids
    name: str = ""  # path relative to the folder, '/'-separated: what the split is computed from


def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 wnids in the standard (sorted, torchvision) order, from timm's bundled synset list."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return tuple(info.index_to_label_name(i) for i in range(info.num_classes()))


def _class_of(name: str, wnid_index: dict[str, int], where: Path) -> int:
    if name in wnid_index:
        return wnid_index[name]
    if name.isdigit() and int(name) < len(wnid_index):
        return int(name)
    raise DatasetError(
        f"Cannot tell the ImageNet class of {where}: name files <wnid>_<anything>.JPEG, or put them in "
        "folders named by wnid (n01440764) or class index (0..999)."
    )


def find_labelled_images(folder: str | Path) -> list[LabelledImage]:
    """Either a flat folder of `<wnid>_<name>.JPEG` files or an ImageFolder tree (one folder per class)."""
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder of labelled images.")
    wnid_index = {wnid: i for i, wnid in enumerate(imagenet_wnids())}
    images = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
        relative = path.relative_to(root)
        name = relative.parts[0] if len(relative.parts) > 1 else path.stem.split("_", 1)[0]
        images.append(LabelledImage(path, _class_of(name, wnid_index, relative), relative.as_posix()))
    if not images:
        raise DatasetError(f"{root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    return images


def file_list_sha256(images: list[LabelledImage], root: str | Path) -> str:
    """Hash of the sorted relative file names: identifies the data set on a card without the images."""
    names = sorted(image.path.relative_to(root).as_posix() for image in images)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def split_indices(images: list[LabelledImage]) -> dict[str, list[int]]:
    """Indices of the images in each split of the fixed name-hash split (`splits.split_of`)."""
    groups: dict[str, list[int]] = {"train": [], "validation": [], "held_out": []}
    for i, image in enumerate(images):
        groups[split_of(image.name)].append(i)
    return groups


def augment(image: Image.Image, rng: random.Random) -> Image.Image:
    """Random crop (35-100% of the area, aspect 3/4-4/3), horizontal flip, mild colour jitter.

    The crop is then preprocessed exactly like a whole photo in the app (no further crop)."""
    width, height = image.size
    for _ in range(10):
        area = width * height * rng.uniform(0.35, 1.0)
        aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w, h = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
        if 0 < w <= width and 0 < h <= height:
            left, top = rng.randint(0, width - w), rng.randint(0, height - h)
            image = image.crop((left, top, left + w, top + h))
            break
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhancer(image).enhance(rng.uniform(0.8, 1.2))
    return image


def view_rng(seed: int, name: str, view: int) -> random.Random:
    # A string seed is hashed deterministically (sha512), so a view is the same in every run.
    return random.Random(f"{seed}:{name}:{view}")


def tile_input(photo: Image.Image, preprocessing: Preprocessing, pixels: int = TILE_PIXELS) -> torch.Tensor:
    """The whole photo squashed to a pixels x pixels square, normalised like the app's input (3, p, p)."""
    resized = photo.resize((pixels, pixels), Image.Resampling.BICUBIC)
    values = torch.from_numpy(np.array(resized, dtype=np.uint8)).permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(preprocessing.mean).view(3, 1, 1)
    std = torch.tensor(preprocessing.std).view(3, 1, 1)
    return (values - mean) / std


def view_input(photo: Image.Image, view: int, preprocessing: Preprocessing, seed: int, name: str) -> torch.Tensor:
    """Network input (3, H, W) of one view of a photo (see the module docstring for view ids)."""
    if view >= TILE_VIEW:
        shown = photo if view == TILE_VIEW else augment(photo, view_rng(seed, name, view))
        return tile_input(shown, preprocessing)
    shown = photo if view == 0 else augment(photo, view_rng(seed, name, view))
    return preprocessing(shown)


@dataclass(frozen=True)
class FeatureSet:
    """Backbone features of image views."""

    features: list[torch.Tensor]  # each (C, h, w), float16; h, w vary with the photo's aspect
    image: torch.Tensor  # (N,) index into the image list
    view: torch.Tensor  # (N,) view id (module docstring)
    labels: torch.Tensor  # (N,) ImageNet class index

    def select(self, images: set[int], views: set[int] | None = None) -> list[int]:
        """Sample indices of the given images (and views)."""
        return [
            i
            for i, (image, view) in enumerate(zip(self.image.tolist(), self.view.tolist(), strict=True))
            if image in images and (views is None or view in views)
        ]


@dataclass(frozen=True)
class FeatureExtractor:
    """The frozen backbone on its device, fed the app's preprocessing: what turns photos into the cached
    features heads are trained on (and what a trained head is fitted for)."""

    backbone: Backbone
    preprocessing: Preprocessing
    device: torch.device

    @torch.inference_mode()
    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """(C, h, w) float16 features on the CPU of one network input (3, H, W)."""
        return self.backbone.forward_features(inputs[None].to(self.device))[0].half().cpu()


@torch.inference_mode()
def extract_features(
    extractor: FeatureExtractor,
    images: list[LabelledImage],
    views: dict[int, list[int]],
    seed: int,
    chunk_dir: Path | None = None,
    chunk_size: int = 50,
) -> FeatureSet:
    """Features of the views `views[i]` of image i (view ids as in the module docstring).

    With `chunk_dir`, every `chunk_size` images are written there as they finish, so an
    interrupted extraction resumes where it stopped."""
    order = sorted(views)
    chunks = [order[s : s + chunk_size] for s in range(0, len(order), chunk_size)]
    parts = []
    with tqdm(total=sum(len(v) for v in views.values()), desc="backbone features", unit="view") as progress:
        for number, chunk in enumerate(chunks):
            chunk_file = chunk_dir / f"chunk-{number:04d}.pt" if chunk_dir else None
            if chunk_file is not None and chunk_file.is_file():
                parts.append(_load_feature_set(chunk_file))
                progress.update(sum(len(views[i]) for i in chunk))
                continue
            features, image_ids, view_ids = [], [], []
            for i in chunk:
                photo = load_image(images[i].path)
                for view in views[i]:
                    inputs = view_input(photo, view, extractor.preprocessing, seed, images[i].name)
                    features.append(extractor.features(inputs))  # (C, h, w)
                    image_ids.append(i)
                    view_ids.append(view)
                    progress.update()
            labels = torch.tensor([images[i].class_index for i in image_ids])
            part = FeatureSet(features, torch.tensor(image_ids), torch.tensor(view_ids), labels)
            if chunk_file is not None:
                _save_feature_set(part, chunk_file)
            parts.append(part)
    return FeatureSet(
        [f for part in parts for f in part.features],
        torch.cat([part.image for part in parts]),
        torch.cat([part.view for part in parts]),
        torch.cat([part.labels for part in parts]),
    )


def _save_feature_set(feature_set: FeatureSet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    torch.save(vars(feature_set), partial)
    partial.replace(path)  # a killed run never leaves a half-written file behind


def _load_feature_set(path: Path) -> FeatureSet:
    # Written by this module: tensors and lists of tensors only, so weights_only loading suffices.
    stored = torch.load(path, map_location="cpu", weights_only=True)
    return FeatureSet(stored["features"], stored["image"], stored["view"], stored["labels"])


def cached_features(cache_file: Path, build) -> FeatureSet:
    """Load a feature cache written by this module, or build and write it."""
    if cache_file.is_file():
        try:
            return _load_feature_set(cache_file)
        except (OSError, RuntimeError, KeyError, EOFError) as exc:
            print(f"note: rebuilding the unreadable feature cache {cache_file} ({exc.__class__.__name__})")
    feature_set = build()
    _save_feature_set(feature_set, cache_file)
    return feature_set


# --- augmentation of cached features ---------------------------------------------------------------


def flip_features(features: torch.Tensor) -> torch.Tensor:
    """Mirror feature maps (B, C, h, w) left-right: close to the features of the mirrored photo."""
    return features.flip(-1)


def crop_features(features: torch.Tensor, generator: torch.Generator, min_fraction: float = 0.7) -> torch.Tensor:
    """One random sub-grid of every map in the batch (B, C, h, w): at least `min_fraction` of each
    side, and at least 3 cells. A cheap stand-in for a zoomed crop of the photo."""
    h, w = features.shape[-2:]
    ch = int(torch.randint(min(h, max(3, math.ceil(min_fraction * h))), h + 1, (1,), generator=generator))
    cw = int(torch.randint(min(w, max(3, math.ceil(min_fraction * w))), w + 1, (1,), generator=generator))
    top = int(torch.randint(0, h - ch + 1, (1,), generator=generator))
    left = int(torch.randint(0, w - cw + 1, (1,), generator=generator))
    return features[..., top : top + ch, left : left + cw]


@dataclass(frozen=True)
class Mosaic:
    features: torch.Tensor  # (B, C, rows * t, cols * t)
    labels: torch.Tensor  # (B, T) class of each tile, T = rows * cols, row-major
    tile_of_cell: torch.Tensor  # (rows * t * cols * t,) tile number of every grid cell, row-major


def mosaic(tiles: torch.Tensor, labels: torch.Tensor, rows: int, cols: int) -> Mosaic:
    """Tile features (B, T, C, t, t) of T = rows * cols photos into one grid per sample."""
    B, T, C, t, _ = tiles.shape
    if rows * cols != T:
        raise ValueError(f"{T} tiles do not fill a {rows}x{cols} mosaic.")
    grid = tiles.view(B, rows, cols, C, t, t).permute(0, 3, 1, 4, 2, 5).reshape(B, C, rows * t, cols * t)
    tile_rows = torch.arange(rows).repeat_interleave(t)
    tile_cols = torch.arange(cols).repeat_interleave(t)
    tile_of_cell = (tile_rows[:, None] * cols + tile_cols[None, :]).flatten()
    return Mosaic(grid, labels, tile_of_cell)
