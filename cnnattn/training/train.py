"""`cnnattn train`: train attention heads on a frozen backbone, from cached features.

The labelled folder is split by file name (`cnnattn.training.splits`): heads are fitted on the
train split only; the validation split scores every run (the settings below were chosen there);
the held-out split is never read here. Objectives and their ablation: docs/HEADS.md.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import time
from functools import partial
from pathlib import Path

import torch

from cnnattn.backbones import DEFAULT_BACKBONE, create_backbone
from cnnattn.explain import resolve_device
from cnnattn.heads import registered_kinds
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, save_head
from cnnattn.heads.simple import TrainedHead
from cnnattn.training import fit
from cnnattn.training.data import FeatureExtractor, default_cache_dir, find_labelled_images
from cnnattn.training.features import ViewSpec, coco_features, load_dataset, preprocessing_for
from cnnattn.training.objective import Objective
from cnnattn.training.options import config_from
from cnnattn.training.self_objective import SelfObjective
from cnnattn.training.simple_objective import SimpleObjective
from cnnattn.training.splits import split_of

# The objective of each trained kind, as chosen on the validation split (docs/HEADS.md shows the runs
# they won against, `python -m cnnattn.training.ablation` makes them). A new trained kind adds its own.
CHOSEN: dict[str, Objective] = {
    "simple": SimpleObjective(
        num_heads=5,
        classification_weight=0.0,
        kl_weight=3.0,
        mosaic_weight=1.0,
        diversity_weight=1.0,
        evidence_weight=1.0,
        epochs=16,
        lr=1e-2,
    ),
    "self": SelfObjective(affinity_weight=1.0),
}
AUGMENTATION_TEXT = (
    "whole photos: view 0 clean, views 1-2 random crop 35-100% area, aspect 3/4-4/3, h-flip, "
    "brightness/contrast/saturation x0.8-1.2, then the app's no-crop preprocessing; mosaic tiles: the photo "
    "squashed to 128x128 (clean, and one augmented like above); during training, cached feature maps are "
    "mirrored at random"
)


def machine() -> str:
    return f"{platform.platform()}; {os.cpu_count()} CPUs; {torch.get_num_threads()} torch threads"


def trainable_kinds() -> list[type[TrainedHead]]:
    """Every registered kind that declares itself trained, in display order."""
    return [kind for kind in registered_kinds() if kind.trained]


def trained_kind(kind: str) -> type[TrainedHead]:
    """The registered trained kind named `kind`, with an objective to fit it by."""
    found = {k.kind: k for k in trainable_kinds()}
    if kind not in found:
        raise ValueError(f"{kind!r} is not a registered trained head kind; trained kinds: {', '.join(found)}.")
    if kind not in CHOSEN:
        raise ValueError(f"Trained kind {kind!r} has no objective: add one to cnnattn.training.train.CHOSEN.")
    return found[kind]


def objective_for(kind: str, overrides: dict) -> Objective:
    """The chosen objective of a kind with `overrides` (field -> value) applied."""
    base = CHOSEN[kind]
    names = {f.name: f for f in dataclasses.fields(base)}
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ValueError(f"Unknown {kind} setting(s) {', '.join(unknown)}; known: {', '.join(names)}.")
    return dataclasses.replace(base, **overrides)


def parse_settings(pairs: list[str]) -> dict:
    """`key=value` strings (values as JSON where they parse, else text) -> dict."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, not {pair!r}.")
        try:
            settings[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.strip()] = value
        if isinstance(settings[key.strip()], list):
            settings[key.strip()] = tuple(settings[key.strip()])
    return settings


def validation_coco(coco: Path | None, extractor: FeatureExtractor, cache: Path) -> list | None:
    """Features of the COCO photos outside the held-out split (none is ever trained on; the held-out
    ones are kept for reporting), for the SelfAttention validation figure; None without a folder."""
    if coco is None or not Path(coco).is_dir():
        return None
    every = coco_features(Path(coco), extractor, cache)
    return [photo for photo in every if split_of(f"{photo.name}.jpg") != "held_out"]


def fit_and_score(kind: str, objective, dataset, extractor: FeatureExtractor, coco_photos=None, log=print) -> tuple:
    """Train one kind on the train split -> (module, history, its validation measures)."""
    head_type, backbone, device = trained_kind(kind), extractor.backbone, extractor.device
    module, history = fit.train(head_type, objective, dataset, backbone, device, log)
    forward = partial(head_type.training_outputs, module, backbone)
    return module, history, objective.validate(forward, backbone, dataset, "validation", device, coco_photos)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What `cnnattn train` reads and where it writes, whatever the kind (its objective is apart)."""

    data: Path  # labelled folder: <wnid>_<name>.JPEG files or an ImageFolder tree
    backbone: str = DEFAULT_BACKBONE
    short_side: int | None = None  # default: the calibrated default
    views: ViewSpec = ViewSpec()
    coco: Path | None = None  # coco128 folder with semantic masks: the self kind's validation figure
    cache_dir: Path | None = None  # feature cache (default: `default_cache_dir()`)
    out_dir: Path | None = DEFAULT_CHECKPOINT_DIR  # None: write no checkpoint
    device: str = "auto"
    max_images: int | None = None  # only the first N files (quick runs)


def train_kind(kind: str, objective, config: TrainConfig, log=print) -> tuple[torch.nn.Module, dict]:
    """Train one head kind; write `<out_dir>/<backbone>-<kind>.safetensors` and its card (unless
    `config.out_dir` is None); return (head, card)."""
    device = resolve_device(config.device)
    root = Path(config.data)
    images = find_labelled_images(root)[: config.max_images]
    backbone = create_backbone(config.backbone).to(device)
    extractor = FeatureExtractor(backbone, preprocessing_for(backbone, config.short_side), device)
    cache = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
    dataset = load_dataset(root, images, extractor, config.views, 0, cache)
    started = time.perf_counter()
    photos = validation_coco(config.coco, extractor, cache) if objective.uses_coco else None
    head, history, validation = fit_and_score(kind, objective, dataset, extractor, photos, log)
    seconds = time.perf_counter() - started
    log(f"{kind} validation: {json.dumps(validation)}")
    card = {
        "backbone": config.backbone,
        "kind": kind,
        "head_config": objective.head_config(),
        "data": {
            "folder": root.name,
            "count": len(images),
            "file_list_sha256": dataset.data_sha,
            "split": {
                "by": "sha256 of the file name relative to the folder (cnnattn.training.splits.split_of): "
                "train 60% / validation 20% / held-out 20%",
                "train_images": len(dataset.splits["train"]),
                "validation_images": len(dataset.splits["validation"]),
                "held_out_images": len(dataset.splits["held_out"]),
                "use": "fitted on train; objective weights, number of heads, epochs and the best head chosen on "
                "validation; every reported figure on held-out",
            },
            "input_short_side": dataset.short_side,
            "views": dataclasses.asdict(config.views),
            "augmentation": AUGMENTATION_TEXT,
        },
        "training": {
            "objective": objective.describe(),
            "settings": dataclasses.asdict(objective),
            "optimizer": "AdamW, cosine learning rate per epoch",
            "device": str(device),
            "machine": machine(),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "feature_seconds": round(dataset.seconds, 1),
            "train_seconds": round(seconds, 1),
            "history": history,
        },
        "metrics": {"validation_during_training": validation},
    }
    if config.out_dir is not None:
        save_head(Path(config.out_dir), config.backbone, kind, head, card)
    return head, card


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = parse_settings(args.settings)
    kinds = [kind.kind for kind in trainable_kinds()] if args.kind == "all" else [args.kind]
    config = config_from(TrainConfig, args, out_dir=args.out)
    for kind in kinds:
        shared = {k: v for k, v in settings.items() if k in {f.name for f in dataclasses.fields(CHOSEN[kind])}}
        objective = objective_for(kind, shared if args.kind == "all" else settings)
        train_kind(kind, objective, config)
        print(f"wrote {args.out}/{args.backbone}-{kind}.safetensors")
    return 0
