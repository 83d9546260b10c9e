"""One training loop for every trained head kind, and the objectives and validation measures of the
SimpleAttention and SelfAttention heads, on cached frozen-backbone features
(`cnnattn.training.features.Dataset`). The backbone never changes.

The loop (`train`) owns what all kinds share: batches, augmentation, mosaics, the optimiser and its
schedule, the history. The kind supplies its module's start and forward (`TrainedHead.initialise`,
`TrainedHead.training_outputs`); its objective (an `Objective`) supplies the loss terms and the
validation measures, as a CAM method overrides one hook of its base class.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import ClassVar, Protocol

import torch
import torch.nn.functional as F

from cnnattn.backbones import Backbone
from cnnattn.heads.modules import SelfAttention, SimpleAttention
from cnnattn.heads.simple import TrainedHead, TrainingOutputs
from cnnattn.training import objectives as O
from cnnattn.training.coco import object_ratios, summarise
from cnnattn.training.data import TILE_VIEW, FeatureSet, crop_features, flip_features, mosaic

MOSAIC_LAYOUTS = {"2x2": (2, 2), "1x2": (1, 2), "2x1": (2, 1)}

Forward = Callable[[torch.Tensor], TrainingOutputs]  # features (B, C, h, w) -> the module's outputs


class Objective(Protocol):
    """What `train` needs from a kind's settings (a frozen dataclass: the card stores its fields)."""

    epochs: int
    lr: float
    weight_decay: float
    batch_size: int
    seed: int
    flip: bool  # mirror cached feature maps at random
    crop: float  # probability of a random sub-grid crop of a batch
    mosaic_layouts: tuple[str, ...]  # keys of MOSAIC_LAYOUTS
    uses_coco: ClassVar[bool]  # validation reports the COCO object figure

    @property
    def uses_mosaics(self) -> bool:
        """A term needs mosaic batches (`MosaicSampler` of the mosaic_layouts field)."""

    def head_config(self) -> dict: ...  # keyword arguments of the kind's module_type (the card's head_config)

    def describe(self) -> str: ...

    def build(self, kind: type[TrainedHead], in_channels: int) -> torch.nn.Module: ...

    def terms(
        self, forward: Forward, backbone: Backbone, features, labels, mosaics, generator, device
    ) -> dict[str, torch.Tensor]:
        """The weighted loss terms of one batch (their sum is the loss); `mosaics` is None or a sampler."""

    def validate(self, forward: Forward, backbone: Backbone, dataset, split: str, device, coco=None) -> dict: ...


@dataclass(frozen=True)
class SimpleObjective:
    """Every setting of a SimpleAttention run (weights of 0 switch a term off)."""

    num_heads: int = 3
    hidden: int = 0  # > 0: score positions with a 1x1-conv MLP (C -> hidden -> K) instead of one 1x1 conv
    adapter_rank: int = 0  # low-rank update of the pooled features before the frozen classifier
    classification_weight: float = 1.0  # CE of classifier(mean_k z_k) on whole photos
    kl_weight: float = 0.0  # KL(backbone || head) of the predictions on whole photos
    head_kl_weight: float = 0.0  # mean over heads of KL(backbone || classifier(z_k)): each head alone
    mosaic_weight: float = 0.0  # matched per-head CE on mosaics of photos of different classes
    mosaic_layouts: tuple[str, ...] = ("2x2", "1x2", "2x1")
    mosaic_target: str = "backbone"  # "backbone": each tile's own backbone prediction (soft); "label"
    diversity_weight: float = 0.0  # hinge on mean pairwise JS between heads (whole photos)
    diversity_target: float = 0.3  # nats
    entropy_weight: float = 0.0  # hinge on entropy / log(HW) above entropy_target
    entropy_target: float = 0.7
    peak_weight: float = 0.0  # hinge on the largest weight of a map above peak_limit
    peak_limit: float = 0.5
    coverage_weight: float = 0.0  # hinge: the mean of the K maps keeps entropy / log(HW) >= coverage_target
    coverage_target: float = 0.9
    evidence_weight: float = 0.0  # head 0's map against a map of the backbone's predicted class c (KL)
    evidence_target: str = "logit"  # "logit": w_c . x_p (the class map); "cell_logprob": log p(c | cell p alone)
    evidence_temperature: float = 4.0  # softmax temperature of that target over the cells
    flip: bool = True  # mirror cached feature maps at random
    crop: float = 0.0  # probability of a random sub-grid crop of a batch's feature maps
    epochs: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 32
    seed: int = 0
    uses_coco: ClassVar[bool] = False

    @property
    def uses_mosaics(self) -> bool:
        return bool(self.mosaic_weight)

    def build(self, kind: type[TrainedHead], in_channels: int) -> SimpleAttention:
        return build_module(kind, AdaptedSimpleAttention if self.adapter_rank else kind.module_type, self, in_channels)

    def terms(self, forward, backbone, features, labels, mosaics, generator, device) -> dict[str, torch.Tensor]:
        return simple_terms(self, forward, backbone, features, labels, mosaics, generator, device)

    def validate(self, forward, backbone, dataset, split, device, coco=None) -> dict:
        return score_simple(forward, backbone, dataset, split, device)

    def head_config(self) -> dict:
        config = {"num_heads": self.num_heads}
        if self.hidden:
            config["hidden"] = self.hidden
        if self.adapter_rank:
            config["adapter_rank"] = self.adapter_rank
        return config

    def describe(self) -> str:
        terms = [f"{self.classification_weight} x CE(classifier(mean of the K pooled vectors), label)"]
        if self.kl_weight:
            terms.append(f"{self.kl_weight} x KL(backbone || head) of the predictions")
        if self.head_kl_weight:
            terms.append(f"{self.head_kl_weight} x mean over heads of KL(backbone || classifier(z_k))")
        if self.mosaic_weight:
            target = "the backbone's prediction for that tile" if self.mosaic_target == "backbone" else "its label"
            terms.append(
                f"{self.mosaic_weight} x matched cross-entropy on feature mosaics ({', '.join(self.mosaic_layouts)}) "
                f"of photos of different classes: each head's own pooled vector is matched one-to-one to a tile and "
                f"must predict {target}"
            )
        if self.diversity_weight:
            terms.append(f"{self.diversity_weight} x max(0, {self.diversity_target} - mean pairwise JS of the K maps)")
        if self.entropy_weight:
            terms.append(f"{self.entropy_weight} x max(0, entropy/log(HW) - {self.entropy_target})")
        if self.peak_weight:
            terms.append(f"{self.peak_weight} x max(0, max weight - {self.peak_limit})")
        if self.evidence_weight:
            score = "w_c . x_p" if self.evidence_target == "logit" else "log softmax(W x_p + b)_c"
            terms.append(
                f"{self.evidence_weight} x KL(softmax({score} / {self.evidence_temperature}) || head 0's map), c = "
                "the backbone's prediction: head 0 learns, without being told c, where the class evidence is"
            )
        if self.coverage_weight:
            terms.append(
                f"{self.coverage_weight} x max(0, {self.coverage_target} - entropy/log(HW) of the mean of the K maps)"
            )
        return " + ".join(terms)


@dataclass(frozen=True)
class SelfObjective:
    num_heads: int = 4
    head_dim: int = 64
    classification_weight: float = 1.0  # CE of the residual block's logits on whole photos
    kl_weight: float = 2.0  # KL(backbone || head) of the predictions: keeps 1.3 M parameters from memorising
    own_tile_weight: float = 0.0  # -log(row weight on the query's own tile) on mosaics
    mosaic_layouts: tuple[str, ...] = ("2x2", "1x2", "2x1")
    affinity_weight: float = 0.0  # cross-entropy of each row against the classifier's own cell affinity
    affinity_temperature: float = 0.1  # softmax temperature of that affinity (cosine of per-cell class profiles)
    flip: bool = True
    epochs: int = 4
    lr: float = 3e-4
    weight_decay: float = 1e-4
    batch_size: int = 32
    seed: int = 0
    crop: ClassVar[float] = 0.0  # a crop would cut the query rows' grid: never
    uses_coco: ClassVar[bool] = True

    @property
    def uses_mosaics(self) -> bool:
        return bool(self.own_tile_weight)

    def build(self, kind: type[TrainedHead], in_channels: int) -> SelfAttention:
        return build_module(kind, kind.module_type, self, in_channels)

    def terms(self, forward, backbone, features, labels, mosaics, generator, device) -> dict[str, torch.Tensor]:
        return self_terms(self, forward, backbone, features, labels, mosaics, generator, device)

    def validate(self, forward, backbone, dataset, split, device, coco=None) -> dict:
        return score_self(forward, backbone, dataset, split, device, coco)

    def head_config(self) -> dict:
        return {"num_heads": self.num_heads, "head_dim": self.head_dim}

    def describe(self) -> str:
        terms = [f"{self.classification_weight} x CE(classifier(x + attention block), label)"]
        if self.kl_weight:
            terms.append(f"{self.kl_weight} x KL(backbone || head) of the predictions")
        if self.affinity_weight:
            terms.append(
                f"{self.affinity_weight} x CE(softmax_j(cos(p_i, p_j) / {self.affinity_temperature}), row i), "
                "p_i = the frozen classifier's class distribution at cell i: rows should join cells the classifier "
                "reads alike"
            )
        if self.own_tile_weight:
            terms.append(
                f"{self.own_tile_weight} x -log(row weight on the query's own photo) on feature mosaics "
                f"({', '.join(self.mosaic_layouts)})"
            )
        return " + ".join(terms)


class AdaptedSimpleAttention(SimpleAttention):
    """SimpleAttention with an optional low-rank update of each pooled vector, z + U V^T z, before the
    frozen classifier (an ablation: it did not pay, docs/HEADS.md). With adapter_rank = 0 it is
    SimpleAttention, with the same state dict."""

    def __init__(self, in_channels: int, num_heads: int = 1, hidden: int = 0, adapter_rank: int = 0):
        super().__init__(in_channels, num_heads, hidden)
        self.adapter_rank = adapter_rank
        if adapter_rank:
            self.adapter_down = torch.nn.Linear(in_channels, adapter_rank, bias=False)
            self.adapter_up = torch.nn.Linear(adapter_rank, in_channels, bias=False)
            torch.nn.init.zeros_(self.adapter_up.weight)  # starts as the plain classifier

    def forward(self, x: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        pooled, weights = super().forward(x, temperature)
        if self.adapter_rank:
            pooled = pooled + self.adapter_up(self.adapter_down(pooled))
        return pooled, weights


def build_module(kind: type[TrainedHead], module_type: type, objective: Objective, in_channels: int):
    """A fresh module, seeded, started as the kind says (`TrainedHead.initialise`)."""
    torch.manual_seed(objective.seed)
    module = module_type(in_channels, **objective.head_config())
    kind.initialise(module)
    return module


# --- batches ------------------------------------------------------------------------------------


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


def _augment(features: torch.Tensor, flip: bool, crop: float, generator: torch.Generator) -> torch.Tensor:
    if flip and float(torch.rand(1, generator=generator)) < 0.5:
        features = flip_features(features)
    if crop and float(torch.rand(1, generator=generator)) < crop:
        features = crop_features(features, generator)
    return features


@torch.no_grad()
def tile_predictions(backbone: Backbone, features: torch.Tensor, tile_of_cell: torch.Tensor, tiles: int):
    """The backbone's class distribution for each tile of a mosaic (its average-pooled cells), (B, T, classes)."""
    one_hot = F.one_hot(tile_of_cell, tiles).to(features)  # (n, T)
    pooled = features.flatten(2) @ (one_hot / one_hot.sum(0))  # (B, C, T)
    B, C, _ = pooled.shape
    return backbone.classify_pooled(pooled.transpose(1, 2).reshape(B * tiles, C)).softmax(-1).view(B, tiles, -1)


@torch.no_grad()
def class_affinity(backbone: Backbone, features: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rows (B, n, n): softmax_j(cos(p_i, p_j) / temperature), p_i the classifier's class distribution
    at cell i (its logits w . x_i + b, as if the photo were that one cell)."""
    cells = backbone.position_norm(features).flatten(2).transpose(1, 2)  # (B, n, C)
    profiles = F.normalize(backbone.classifier(cells).softmax(-1), dim=-1)  # (B, n, classes)
    return (profiles @ profiles.transpose(1, 2) / temperature).softmax(-1)


def backbone_kl(backbone: Backbone, features: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """KL(backbone || head) of the class distributions, batch mean."""
    with torch.no_grad():
        reference = backbone.forward_head(features).log_softmax(-1)
    return F.kl_div(logits.log_softmax(-1), reference, log_target=True, reduction="batchmean")


def _cosine(optimizer, lr: float, epoch: int, epochs: int) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def _train_samples(dataset) -> tuple[list[int], list[int]]:
    whole = dataset.samples("train", set(range(TILE_VIEW)))
    tiles = [i for i in dataset.samples("train") if int(dataset.features.view[i]) >= TILE_VIEW]
    return whole, tiles


# --- the loop ------------------------------------------------------------------------------------


def train(
    kind: type[TrainedHead],
    objective: Objective,
    dataset,
    backbone: Backbone,
    device,
    log: Callable[[str], None] = print,
) -> tuple[torch.nn.Module, list[dict]]:
    """Fit a fresh module of `kind` on the train split -> (module in eval mode, per-epoch history)."""
    module = objective.build(kind, backbone.num_features).to(device)
    forward = partial(kind.training_outputs, module, backbone)
    optimizer = torch.optim.AdamW(module.parameters(), lr=objective.lr, weight_decay=objective.weight_decay)
    whole, tiles = _train_samples(dataset)
    sampler = MosaicSampler(dataset.features, tiles, objective.mosaic_layouts) if objective.uses_mosaics else None
    history = []
    for epoch in range(objective.epochs):
        started = time.perf_counter()
        _cosine(optimizer, objective.lr, epoch, objective.epochs)
        # One generator per epoch draws batches, augmentation and mosaics in a fixed order: reruns match.
        generator = torch.Generator().manual_seed(objective.seed * 1000 + epoch)
        totals: dict[str, float] = {}
        module.train()
        batches = shape_batches(dataset.features, whole, objective.batch_size, generator)
        for batch in batches:
            features, labels = stack(dataset.features, batch, device)
            features = _augment(features, objective.flip, objective.crop, generator)
            terms = objective.terms(forward, backbone, features, labels, sampler, generator, device)
            loss = sum(terms.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for name, value in terms.items():
                totals[name] = totals.get(name, 0.0) + float(value.detach()) / len(batches)
        module.eval()
        record = {"epoch": epoch + 1, "seconds": round(time.perf_counter() - started, 1)}
        record |= {f"loss_{k}": round(v, 4) for k, v in totals.items()}
        history.append(record)
        log(f"{kind.kind} epoch {epoch + 1}/{objective.epochs}: " + ", ".join(f"{k} {v}" for k, v in record.items()))
    return module, history


# --- SimpleAttention ----------------------------------------------------------------------------


def simple_terms(
    objective: SimpleObjective, forward: Forward, backbone: Backbone, features, labels, mosaics, generator, device
) -> dict[str, torch.Tensor]:
    out = forward(features)
    maps, logits, per_head = out.maps, out.logits, out.per_head  # (B, K, HW), (B, classes), (B, K, classes)
    terms = {"ce": objective.classification_weight * F.cross_entropy(logits, labels)}
    if objective.kl_weight:
        terms["kl"] = objective.kl_weight * backbone_kl(backbone, features, logits)
    if objective.head_kl_weight:
        K = per_head.shape[1]
        repeated = features.repeat_interleave(K, 0)
        terms["head_kl"] = objective.head_kl_weight * backbone_kl(backbone, repeated, per_head.flatten(0, 1))
    if objective.diversity_weight:
        terms["div"] = objective.diversity_weight * O.diversity(maps, objective.diversity_target)
    if objective.entropy_weight:
        terms["ent"] = objective.entropy_weight * O.entropy_excess(maps, objective.entropy_target)
    if objective.peak_weight:
        terms["peak"] = objective.peak_weight * O.peak_excess(maps, objective.peak_limit)
    if objective.evidence_weight:
        with torch.no_grad():
            predicted = backbone.forward_head(features).argmax(-1)
            evidence = evidence_scores(backbone, features, predicted, objective.evidence_target)  # (B, HW)
            target = (evidence / objective.evidence_temperature).softmax(-1)
        kl = (target * (target.clamp_min(O.EPS).log() - maps[:, 0].clamp_min(O.EPS).log())).sum(-1)
        terms["evidence"] = objective.evidence_weight * kl.mean()
    if objective.coverage_weight:
        shortfall = F.relu(objective.coverage_target - O.entropy_ratio(maps.mean(1)))
        terms["cover"] = objective.coverage_weight * shortfall.mean()
    if mosaics is not None:
        m_features, m_labels, tile_of_cell, T = mosaics.batch(objective.batch_size, generator, device)
        m_out = forward(m_features)
        if objective.mosaic_target == "backbone":
            m_labels = tile_predictions(backbone, m_features, tile_of_cell, T)
        terms["mosaic"] = objective.mosaic_weight * O.matched_cross_entropy(m_out.per_head, m_labels)[0]
        if objective.peak_weight:
            terms["peak"] = terms["peak"] + objective.peak_weight * O.peak_excess(m_out.maps, objective.peak_limit)
    return terms


def class_evidence(backbone: Backbone, features: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """CAM: each position's contribution w_c . x_p to the logit of class c, (B, HW)."""
    rows = backbone.classifier.weight[classes]  # (B, C)
    positions = backbone.position_norm(features).flatten(2)  # (B, C, HW)
    return torch.einsum("bc,bcp->bp", rows, positions)


def evidence_scores(backbone: Backbone, features: torch.Tensor, classes: torch.Tensor, target: str) -> torch.Tensor:
    """Per cell (B, HW): "logit", the class map's w_c . x_p; "cell_logprob", log p(c) of the classifier
    applied to cell p alone (as if the photo were that cell): high where the cell says c and little else."""
    if target == "logit":
        return class_evidence(backbone, features, classes)
    if target != "cell_logprob":
        raise ValueError(f"Unknown evidence target {target!r}; use logit or cell_logprob.")
    cells = backbone.position_norm(features).flatten(2).transpose(1, 2)  # (B, HW, C)
    log_probs = backbone.classifier(cells).log_softmax(-1)  # (B, HW, classes)
    return log_probs.gather(-1, classes.view(-1, 1, 1).expand(-1, log_probs.shape[1], 1))[..., 0]


@torch.no_grad()
def score_simple(forward: Forward, backbone: Backbone, dataset, split: str, device, mosaics: int = 200) -> dict:
    """Validation measures of a SimpleAttention head on one split's clean whole photos (and mosaics
    of its clean tiles)."""
    samples = dataset.samples(split, {0})
    generator = torch.Generator().manual_seed(0)
    n = len(samples)
    if n == 0:
        return {"images": 0}
    correct = backbone_correct = 0
    per_head_correct = None
    ratios, peaks, js, spearman, cam_mass = [], [], [], [], []
    for batch in shape_batches(dataset.features, samples, 64, generator):
        features, labels = stack(dataset.features, batch, device)
        out = forward(features)
        maps, logits, per_head = out.maps, out.logits, out.per_head
        backbone_logits = backbone.forward_head(features)
        predicted = backbone_logits.argmax(-1)
        correct += int((logits.argmax(-1) == labels).sum())
        backbone_correct += int((predicted == labels).sum())
        hits = (per_head.argmax(-1) == labels[:, None]).sum(0)
        per_head_correct = hits if per_head_correct is None else per_head_correct + hits
        ratios.append(O.entropy_ratio(maps).flatten())
        peaks.append(maps.max(-1).values.flatten())
        js.append(O.pairwise_js(maps))
        cam = class_evidence(backbone, features, predicted)  # (B, HW)
        spearman.append(O.spearman(maps, cam[:, None, :].expand_as(maps)))  # (B, K)
        top = cam >= cam.quantile(0.75, dim=-1, keepdim=True)  # the quarter of cells with most evidence
        cam_mass.append((maps * top[:, None, :]).sum(-1))  # (B, K)
    ratios, peaks = torch.cat(ratios), torch.cat(peaks)
    spearman, cam_mass = torch.cat(spearman), torch.cat(cam_mass)
    result = {
        "images": n,
        "top1": correct / n,
        "backbone_top1": backbone_correct / n,
        "per_head_top1": [int(v) / n for v in per_head_correct],
        "entropy_ratio": float(ratios.mean()),
        "collapsed_share": float((peaks > 0.9).double().mean()),
        "pairwise_js": float(torch.cat(js).mean()),
        "evidence_spearman": [float(v) for v in spearman.mean(0)],
        "evidence_top_quarter_mass": [float(v) for v in cam_mass.mean(0)],
    }
    if mosaics and len(dataset.splits[split]) >= 4:
        result["mosaic"] = score_mosaics(forward, backbone, dataset, split, device, mosaics)
    return result


@torch.no_grad()
def score_mosaics(forward: Forward, backbone: Backbone, dataset, split: str, device, count: int) -> dict:
    """2x2 mosaics of clean tiles: matched heads' accuracy on their tiles and weight on them."""
    tiles = dataset.samples(split, {TILE_VIEW})
    sampler = MosaicSampler(dataset.features, tiles, ("2x2",))
    generator = torch.Generator().manual_seed(1)
    hits = mass = total = 0.0
    for start in range(0, count, 50):
        features, labels, tile_of_cell, T = sampler.batch(min(50, count - start), generator, device)
        out = forward(features)
        maps, per_head = out.maps, out.per_head
        _, best = O.matched_cross_entropy(per_head, labels)  # (B, P, 2)
        rows = torch.arange(len(labels), device=device)[:, None]
        predicted = per_head.argmax(-1)[rows, best[..., 0]]
        hits += float((predicted == labels[rows, best[..., 1]]).sum())
        on_tile = F.one_hot(tile_of_cell, T).to(maps)  # (n, T)
        mass += float((maps @ on_tile)[rows, best[..., 0], best[..., 1]].sum())
        total += best.shape[0] * best.shape[1]
    return {"matched_top1": hits / total, "matched_tile_mass": mass / total}


# --- SelfAttention ------------------------------------------------------------------------------


def self_terms(
    objective: SelfObjective, forward: Forward, backbone: Backbone, features, labels, mosaics, generator, device
) -> dict[str, torch.Tensor]:
    out = forward(features)
    terms = {"ce": objective.classification_weight * F.cross_entropy(out.logits, labels)}
    if objective.kl_weight:
        terms["kl"] = objective.kl_weight * backbone_kl(backbone, features, out.logits)
    if objective.affinity_weight:
        # A second forward, as before the loops were merged: reusing out.maps sums the gradients in
        # another order and moves the losses by one float32 step (tests/test_train_losses.py).
        rows = forward(features).maps  # (B, heads, n, n)
        teacher = class_affinity(backbone, features, objective.affinity_temperature)
        affinity = -(teacher[:, None] * rows.clamp_min(O.EPS).log()).sum(-1).mean()
        terms["affinity"] = objective.affinity_weight * affinity
    if mosaics is not None:
        m_features, _, tile_of_cell, T = mosaics.batch(objective.batch_size, generator, device)
        terms["own_tile"] = objective.own_tile_weight * O.own_tile(forward(m_features).maps, tile_of_cell, T)
    return terms


@torch.no_grad()
def score_self(forward: Forward, backbone: Backbone, dataset, split: str, device, coco=None) -> dict:
    """Validation measures of a SelfAttention head: top-1, row entropy and, given COCO photos
    (`features.CocoPhoto`), the object figure of `cnnattn.training.coco`."""
    samples = dataset.samples(split, {0})
    if not samples:
        return {"images": 0}
    generator = torch.Generator().manual_seed(0)
    correct = backbone_correct = 0
    ratios, peaks = [], []
    for batch in shape_batches(dataset.features, samples, 64, generator):
        features, labels = stack(dataset.features, batch, device)
        out = forward(features)
        rows, logits = out.maps, out.logits
        correct += int((logits.argmax(-1) == labels).sum())
        backbone_correct += int((backbone.forward_head(features).argmax(-1) == labels).sum())
        ratios.append(O.entropy_ratio(rows).flatten())
        peaks.append(rows.max(-1).values.flatten())
    n = len(samples)
    result = {
        "images": n,
        "top1": correct / n,
        "backbone_top1": backbone_correct / n,
        "entropy_ratio": float(torch.cat(ratios).mean()),
        "collapsed_share": float((torch.cat(peaks) > 0.9).double().mean()),
    }
    if coco:
        result["coco"] = score_coco(forward, coco, device)
    return result


@torch.no_grad()
def score_coco(forward: Forward, coco, device) -> dict:
    ratios, queries = [], []
    for photo in coco:
        if not photo.queries:
            continue
        rows = forward(photo.features[None].to(device).float()).maps  # (1, heads, n, n)
        for query in photo.queries:
            ratios.append(object_ratios(rows[0, :, query.cell], query).cpu())
            queries.append(query)
    return summarise(ratios, queries)


def objective_record(objective) -> dict:
    return asdict(objective)
