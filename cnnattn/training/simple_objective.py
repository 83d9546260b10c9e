"""The SimpleAttention head's objective (`SimpleObjective`): its loss terms and validation measures,
for `cnnattn.training.fit.train`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from cnnattn.backbones import Backbone
from cnnattn.heads.modules import SimpleAttention
from cnnattn.heads.simple import TrainedHead
from cnnattn.training import objectives as O
from cnnattn.training.batches import MosaicSampler, shape_batches, stack
from cnnattn.training.data import TILE_VIEW
from cnnattn.training.objective import BatchContext, Forward, backbone_kl, build_module


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

    def terms(self, context: BatchContext, features, labels) -> dict[str, torch.Tensor]:
        return simple_terms(self, context, features, labels)

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


@torch.no_grad()
def tile_predictions(backbone: Backbone, features: torch.Tensor, tile_of_cell: torch.Tensor, tiles: int):
    """The backbone's class distribution for each tile of a mosaic (its average-pooled cells), (B, T, classes)."""
    one_hot = F.one_hot(tile_of_cell, tiles).to(features)  # (n, T)
    pooled = features.flatten(2) @ (one_hot / one_hot.sum(0))  # (B, C, T)
    B, C, _ = pooled.shape
    return backbone.classify_pooled(pooled.transpose(1, 2).reshape(B * tiles, C)).softmax(-1).view(B, tiles, -1)


def simple_terms(objective: SimpleObjective, context: BatchContext, features, labels) -> dict[str, torch.Tensor]:
    forward, backbone, mosaics = context.forward, context.backbone, context.mosaics
    generator, device = context.generator, context.device
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
