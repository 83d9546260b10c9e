"""The SelfAttention head's objective (`SelfObjective`): its loss terms and validation measures, with
the COCO object figure of `cnnattn.training.coco`, for `cnnattn.training.fit.train`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from cnnattn.backbones import Backbone
from cnnattn.heads.modules import SelfAttention
from cnnattn.heads.simple import TrainedHead
from cnnattn.training import objectives as O
from cnnattn.training.batches import shape_batches, stack
from cnnattn.training.coco import object_ratios, summarise
from cnnattn.training.objective import BatchContext, Forward, backbone_kl, build_module


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

    def terms(self, context: BatchContext, features, labels) -> dict[str, torch.Tensor]:
        return self_terms(self, context, features, labels)

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


@torch.no_grad()
def class_affinity(backbone: Backbone, features: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rows (B, n, n): softmax_j(cos(p_i, p_j) / temperature), p_i the classifier's class distribution
    at cell i (its logits w . x_i + b, as if the photo were that one cell)."""
    cells = backbone.position_norm(features).flatten(2).transpose(1, 2)  # (B, n, C)
    profiles = F.normalize(backbone.classifier(cells).softmax(-1), dim=-1)  # (B, n, classes)
    return (profiles @ profiles.transpose(1, 2) / temperature).softmax(-1)


def self_terms(objective: SelfObjective, context: BatchContext, features, labels) -> dict[str, torch.Tensor]:
    forward, backbone, mosaics = context.forward, context.backbone, context.mosaics
    generator, device = context.generator, context.device
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
