"""Labelled image folders for training heads: file discovery, the held-out split, augmentation,
and a file cache of frozen-backbone features so epochs cost only the heads.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageEnhance
from tqdm import tqdm

from cnnattn.backbones import Backbone
from cnnattn.image.loading import load_image
from cnnattn.image.preprocess import Preprocessing

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
AUGMENTATION_VERSION = 1  # bump when `augment` changes, so stale caches are not reused


class DatasetError(ValueError):
    """The folder is not a labelled image folder cnnattn understands; the message says what to fix."""


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    class_index: int  # ImageNet-1k index: position of the wnid in the sorted list of 1000 wnids


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
        images.append(LabelledImage(path, _class_of(name, wnid_index, relative)))
    if not images:
        raise DatasetError(f"{root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    return images


def file_list_sha256(images: list[LabelledImage], root: str | Path) -> str:
    """Hash of the sorted relative file names: identifies the data set on a card without the images."""
    names = sorted(image.path.relative_to(root).as_posix() for image in images)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def split_held_out(count: int, held_out: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded split by image into (train, held-out) index lists, each sorted."""
    if not 0 < held_out < 1:
        raise ValueError(f"--held-out must be a fraction in (0, 1), not {held_out}.")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed)).tolist()
    n_held = max(1, round(count * held_out))
    return sorted(order[n_held:]), sorted(order[:n_held])


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


@dataclass(frozen=True)
class FeatureSet:
    """Backbone features of image views; view 0 of an image is the clean app preprocessing."""

    features: list[torch.Tensor]  # each (C, h, w), float16; h, w vary with the photo's aspect
    image: torch.Tensor  # (N,) index into the image list
    view: torch.Tensor  # (N,) 0 = clean, 1.. = augmented
    labels: torch.Tensor  # (N,) ImageNet class index


@torch.inference_mode()
def extract_features(
    backbone: Backbone,
    preprocessing: Preprocessing,
    images: list[LabelledImage],
    views: dict[int, int],
    seed: int,
    root: Path,
    device: torch.device,
    chunk_dir: Path | None = None,
    chunk_size: int = 50,
) -> FeatureSet:
    """Features for `views[i]` views of image i (view 0 clean, the rest augmented).

    With `chunk_dir`, every `chunk_size` images are written there as they finish, so an
    interrupted extraction resumes where it stopped."""
    order = sorted(views)
    chunks = [order[s : s + chunk_size] for s in range(0, len(order), chunk_size)]
    parts = []
    with tqdm(total=sum(views.values()), desc="backbone features", unit="view") as progress:
        for number, chunk in enumerate(chunks):
            chunk_file = chunk_dir / f"chunk-{number:04d}.pt" if chunk_dir else None
            if chunk_file is not None and chunk_file.is_file():
                parts.append(_load_feature_set(chunk_file))
                progress.update(sum(views[i] for i in chunk))
                continue
            features, image_ids, view_ids = [], [], []
            for i in chunk:
                photo = load_image(images[i].path)
                name = images[i].path.relative_to(root).as_posix()
                for view in range(views[i]):
                    shown = photo if view == 0 else augment(photo, view_rng(seed, name, view))
                    inputs = preprocessing(shown).unsqueeze(0).to(device)
                    features.append(backbone.forward_features(inputs)[0].half().cpu())  # (C, h, w)
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
