"""Train attention heads on a frozen backbone against ground-truth labels.

Why labels and not the backbone's own predictions: the frozen classifier was trained on the
global average of the feature map, and uniform softmax weights reproduce that average exactly, so
distilling it would make flat maps a perfect answer. Against the true class, the heads gain by
weighting the positions whose features support it.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from cnnattn.analysis.metrics import entropy
from cnnattn.backbones import DEFAULT_BACKBONE, Backbone, create_backbone
from cnnattn.explain import resolve_device
from cnnattn.heads import HEAD_KINDS
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, save_head
from cnnattn.heads.simple import TrainedHead
from cnnattn.image.preprocess import Preprocessing
from cnnattn.training.data import (
    AUGMENTATION_VERSION,
    FeatureSet,
    cached_features,
    extract_features,
    file_list_sha256,
    find_labelled_images,
    split_held_out,
)

DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "cnnattn"


@dataclass(frozen=True)
class TrainConfig:
    data: Path  # labelled folder: flat <wnid>_<name>.JPEG files or an ImageFolder tree
    kind: str  # "simple" or "self"
    backbone: str = DEFAULT_BACKBONE
    num_heads: int = 4  # K pooling heads (simple) or attention heads (self)
    head_dim: int = 64  # self only: d_k per head
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-3  # AdamW peak learning rate, cosine-decayed per epoch
    weight_decay: float = 1e-4
    entropy_weight: float = 0.0  # optional loss term: weight x mean map entropy / log(H*W)
    kl_weight: float = 0.0  # optional loss term: weight x KL(backbone || head) of the predicted distributions
    held_out: float = 0.3  # fraction of images (not views) never trained on
    views: int = 2  # per training image: the clean view plus views-1 augmented ones
    seed: int = 0
    max_images: int | None = None  # use only the first N files (sorted): quick runs and tests
    device: str = "auto"
    cache_dir: Path = DEFAULT_CACHE_DIR  # features and resumable run state (git-ignored)
    out_dir: Path = DEFAULT_CHECKPOINT_DIR
    resume: bool = False  # continue the interrupted run with this exact config, if its state exists

    def head_config(self) -> dict:
        if self.kind == "self":
            return {"num_heads": self.num_heads, "head_dim": self.head_dim}
        return {"num_heads": self.num_heads}

    def run_key(self) -> str:
        """Identifies a run: everything that changes the result (not device, paths or resume)."""
        fields = asdict(self)
        for name in ("device", "cache_dir", "out_dir", "resume"):
            fields.pop(name)
        fields["data"] = str(Path(self.data).resolve())
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class HeldOutScore:
    """Held-out (clean view) scores tracked during training."""

    head_top1: float  # head's own classifier
    backbone_top1: float  # frozen backbone's classifier on the same features
    entropy_ratio: float  # mean map entropy / log(H*W); 1 = uniform
    history: list[dict] = field(default_factory=list)


# Chosen on the training images only (simple: 5-fold cross-validation; self: a 20% validation split),
# never the held-out ones. Sharper simple maps cost accuracy against the frozen average-pooling
# classifier (5-fold CV: entropy/log(HW) 0.93 -> -1.0 point, 0.90 -> -1.7, 0.81 -> -4.4), so the
# simple head is trained gently; longer training also overfits the 700 images.
KIND_DEFAULTS: dict[str, dict] = {
    "simple": {"epochs": 3, "lr": 3e-4, "entropy_weight": 0.3, "kl_weight": 0.0},
    # The KL term keeps SelfAttention's 1.3M parameters from memorising labels; it cannot make the
    # maps uniform, because any map gives the backbone's logits once the output projection is zero.
    "self": {"epochs": 2, "lr": 3e-4, "entropy_weight": 0.0, "kl_weight": 2.0},
}


def trainable_kinds() -> dict[str, type[TrainedHead]]:
    return {kind: cls for kind, cls in HEAD_KINDS.items() if cls.trained}


def build_head(config: TrainConfig, backbone: Backbone) -> TrainedHead:
    """A registered trained kind, started at the backbone's own behaviour (training moves away)."""
    kinds = trainable_kinds()
    if config.kind not in kinds:
        raise ValueError(f"Unknown head kind {config.kind!r}; choose one of: {', '.join(kinds)}.")
    torch.manual_seed(config.seed)
    kind = kinds[config.kind]
    module = kind.module_type(backbone.num_features, **config.head_config())
    kind.initialise(module)
    return kind(backbone, module)


def map_entropy_ratio(maps: torch.Tensor) -> torch.Tensor:
    """Entropy / log(n) of each distribution over the last axis: 1 = uniform, 0 = one position."""
    n = maps.shape[-1]
    return entropy(maps) / math.log(n) if n > 1 else torch.zeros_like(maps[..., 0])


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


def stack(feature_set: FeatureSet, batch: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    features = torch.stack([feature_set.features[i] for i in batch]).to(device).float()  # (B, C, h, w)
    return features, feature_set.labels[batch].to(device)


@torch.no_grad()
def score_held_out(head: TrainedHead, feature_set: FeatureSet, indices: list[int], device) -> dict:
    head_correct = backbone_correct = 0
    entropies = []
    generator = torch.Generator().manual_seed(0)
    for batch in shape_batches(feature_set, indices, 64, generator):
        features, labels = stack(feature_set, batch, device)
        weights, logits = head.training_outputs(features)
        head_correct += (logits.argmax(-1) == labels).sum().item()
        backbone_correct += (head.backbone.forward_head(features).argmax(-1) == labels).sum().item()
        entropies.append(map_entropy_ratio(weights).flatten().cpu())
    n = len(indices)
    return {
        "head_top1": head_correct / n,
        "backbone_top1": backbone_correct / n,
        "entropy_ratio": torch.cat(entropies).mean().item(),
    }


def _feature_cache_file(config: TrainConfig, backbone: Backbone, preprocessing: Preprocessing, data_sha: str) -> Path:
    key = json.dumps(
        [
            config.backbone,
            data_sha,
            config.held_out,
            config.views,
            config.seed,
            AUGMENTATION_VERSION,
            repr(preprocessing),
        ]
    )
    return Path(config.cache_dir) / "features" / f"{config.backbone}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def train(config: TrainConfig) -> dict:
    """Train one head, write `checkpoints/<backbone>-<kind>.safetensors` and its card; return the card."""
    device = resolve_device(config.device)
    root = Path(config.data)
    images = find_labelled_images(root)[: config.max_images]
    data_sha = file_list_sha256(images, root)
    train_ids, held_ids = split_held_out(len(images), config.held_out, config.seed)
    backbone = create_backbone(config.backbone).to(device)
    preprocessing = Preprocessing.from_config(backbone.data_config, backbone.stride)

    cache_file = _feature_cache_file(config, backbone, preprocessing, data_sha)
    views = {i: config.views for i in train_ids} | {i: 1 for i in held_ids}
    started = time.perf_counter()
    cache_hit = cache_file.is_file()
    feature_set = cached_features(
        cache_file,
        lambda: extract_features(
            backbone, preprocessing, images, views, config.seed, root, device, chunk_dir=cache_file.with_suffix("")
        ),
    )
    feature_seconds = time.perf_counter() - started
    shutil.rmtree(cache_file.with_suffix(""), ignore_errors=True)  # chunks are now in the single cache file
    held = set(held_ids)
    train_samples = [i for i, image in enumerate(feature_set.image.tolist()) if image not in held]
    held_samples = [i for i, image in enumerate(feature_set.image.tolist()) if image in held]

    head = build_head(config, backbone).to(device)
    optimizer = torch.optim.AdamW(head.module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state_file = Path(config.cache_dir) / "runs" / f"{config.backbone}-{config.kind}-{config.run_key()}.pt"
    start_epoch, history, train_seconds = 0, [], 0.0
    if config.resume and state_file.is_file():
        state = torch.load(state_file, map_location="cpu", weights_only=True)
        head.module.load_state_dict(state["head"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, history, train_seconds = state["epoch"], state["history"], state["train_seconds"]
        print(f"resuming {state_file.name} after epoch {start_epoch}")

    for epoch in range(start_epoch, config.epochs):
        epoch_started = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs))
        # The shuffle depends only on (seed, epoch): a resumed run sees the same batches.
        generator = torch.Generator().manual_seed(config.seed * 1000 + epoch)
        batches = shape_batches(feature_set, train_samples, config.batch_size, generator)
        head.train()
        total_loss = 0.0
        progress = tqdm(batches, desc=f"{config.kind} epoch {epoch + 1}/{config.epochs}", unit="batch", leave=False)
        for batch in progress:
            features, labels = stack(feature_set, batch, device)
            weights, logits = head.training_outputs(features)
            loss = F.cross_entropy(logits, labels)
            if config.entropy_weight:
                loss = loss + config.entropy_weight * map_entropy_ratio(weights).mean()
            if config.kl_weight:
                with torch.no_grad():
                    reference = backbone.forward_head(features).log_softmax(-1)
                kl = F.kl_div(logits.log_softmax(-1), reference, log_target=True, reduction="batchmean")
                loss = loss + config.kl_weight * kl
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch)
            progress.set_postfix(loss=f"{loss.item():.3f}")
        head.eval()
        train_seconds += time.perf_counter() - epoch_started
        scores = score_held_out(head, feature_set, held_samples, device)
        history.append({"epoch": epoch + 1, "loss": total_loss / len(train_samples), **scores})
        print(
            f"{config.kind} epoch {epoch + 1}/{config.epochs}: loss {history[-1]['loss']:.4f}, held-out top-1 "
            f"head {scores['head_top1']:.3f} / backbone {scores['backbone_top1']:.3f}, "
            f"entropy/log(HW) {scores['entropy_ratio']:.3f}"
        )
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "head": head.module.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch + 1,
            "history": history,
            "train_seconds": train_seconds,
        }
        torch.save(state, state_file.with_suffix(".partial"))
        state_file.with_suffix(".partial").replace(state_file)

    card = {
        "backbone": config.backbone,
        "kind": config.kind,
        "head_config": config.head_config(),
        "data": {
            "folder": str(config.data),
            "count": len(images),
            "file_list_sha256": data_sha,
            "split": {
                "by": "image",
                "held_out_fraction": config.held_out,
                "seed": config.seed,
                "train_images": len(train_ids),
                "held_out_images": len(held_ids),
            },
            "views_per_train_image": config.views,
            "augmentation": "view 0 clean; others: random crop 35-100% area, aspect 3/4-4/3, h-flip, "
            "brightness/contrast/saturation x0.8-1.2; then the app's no-crop preprocessing",
        },
        "training": {
            "objective": "cross-entropy against ground-truth labels through the frozen backbone classifier"
            + (f" + {config.entropy_weight} x mean map entropy / log(H*W)" if config.entropy_weight else "")
            + (f" + {config.kl_weight} x KL(backbone || head) of the predictions" if config.kl_weight else ""),
            "entropy_weight": config.entropy_weight,
            "kl_weight": config.kl_weight,
            "hyperparameters": "chosen on the training images only (simple: 5-fold cross-validation, self: a 20% "
            "validation split); the held-out images were not used to choose them",
            "optimizer": "AdamW, cosine learning rate per epoch",
            "lr": config.lr,
            "weight_decay": config.weight_decay,
            "batch_size": config.batch_size,
            "epochs": config.epochs,
            "seed": config.seed,
            "device": str(device),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
            "feature_seconds": round(feature_seconds, 1),  # loading time only when the cache was hit
            "feature_cache_hit": cache_hit,
            "train_seconds": round(train_seconds, 1),
            "history": history,
        },
        "metrics": {"held_out_during_training": history[-1] if history else {}},
    }
    save_head(Path(config.out_dir), config.backbone, config.kind, head.module, card)
    return card


def add_arguments(parser) -> None:
    """Options of `python -m cnnattn train` (the parser lives in cli.py)."""
    defaults = TrainConfig(data=Path("."), kind="simple")
    parser.add_argument("data", type=Path, help="labelled folder (<wnid>_<name>.JPEG files or an ImageFolder tree)")
    parser.add_argument("--kind", choices=[*trainable_kinds(), "all"], default="all", help="which head to train")
    parser.add_argument("--backbone", default=defaults.backbone)
    parser.add_argument("--num-heads", type=int, default=defaults.num_heads)
    parser.add_argument("--head-dim", type=int, default=defaults.head_dim, help="SelfAttention d_k per head")
    per_kind = "; default per head: " + ", ".join(f"{k} {{{k}}}" for k in KIND_DEFAULTS)
    for option, value_type in (("epochs", int), ("lr", float), ("entropy_weight", float), ("kl_weight", float)):
        shown = per_kind.format(**{k: v[option] for k, v in KIND_DEFAULTS.items()})
        parser.add_argument(f"--{option.replace('_', '-')}", type=value_type, help=shown.lstrip("; "))
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--held-out", type=float, default=defaults.held_out, help="fraction of images held out")
    parser.add_argument("--views", type=int, default=defaults.views, help="cached views per training image")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--max-images", type=int, help="only the first N files (quick runs)")
    parser.add_argument("--device", default=defaults.device, help="cpu, cuda or auto (default)")
    parser.add_argument("--cache-dir", type=Path, default=defaults.cache_dir)
    parser.add_argument("--out", type=Path, default=defaults.out_dir, help="checkpoint folder")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run of the same config")
    parser.add_argument(
        "--threads", type=int, help="torch CPU threads; 1 is much faster on a machine other jobs keep busy"
    )


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    kinds = list(trainable_kinds()) if args.kind == "all" else [args.kind]
    for kind in kinds:
        chosen = {k: v if getattr(args, k) is None else getattr(args, k) for k, v in KIND_DEFAULTS[kind].items()}
        config = TrainConfig(
            data=args.data,
            kind=kind,
            backbone=args.backbone,
            num_heads=args.num_heads,
            head_dim=args.head_dim,
            batch_size=args.batch_size,
            weight_decay=args.weight_decay,
            **chosen,
            held_out=args.held_out,
            views=args.views,
            seed=args.seed,
            max_images=args.max_images,
            device=args.device,
            cache_dir=args.cache_dir,
            out_dir=args.out,
            resume=args.resume,
        )
        card = train(config)
        print(f"wrote {args.out}/{config.backbone}-{kind}.safetensors: {json.dumps(card['metrics'])}")
    return 0
