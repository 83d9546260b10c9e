r"""Trained SimpleAttention pooling: K score grids, each a softmax over positions, pooled for the
backbone's classifier in place of the plain average.

.. math:: a_k(p) = \mathrm{softmax}_p\big((w_k^\top x_p + b_k)/T\big), \quad
          \mathrm{logits} = \mathrm{classifier}\big(\tfrac1K \sum_k \sum_p a_k(p)\, x_p\big)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import torch

from cnnattn.heads.base import Head, MapForm, MapOptions, PositionScores, register_head, with_random_weights
from cnnattn.heads.checkpoints import load_head
from cnnattn.heads.modules import SimpleAttention

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


@dataclass(frozen=True)
class TrainingOutputs:
    """What a trained kind's module gives for a batch during training and validation."""

    maps: torch.Tensor  # (B, K, n) or (B, K, n, n) rows: distributions over the last axis (positions)
    logits: torch.Tensor  # (B, classes) the prediction the head feeds the classifier
    per_head: torch.Tensor | None = None  # (B, K, classes) each head's own logits, where a head alone classifies


class TrainedHead(Head):
    """A head whose module and card come from a checkpoint; names per head may be on the card.

    `cnnattn train` fits every registered kind with `trained = True` through two class hooks (the
    module exists before any head does): `initialise` its starting weights and `training_outputs` its
    forward. The objective that weighs those outputs is the training code's, keyed by `kind`
    (`cnnattn.training.train.CHOSEN`)."""

    trained: ClassVar[bool] = True
    module_type: type[torch.nn.Module]

    def __init__(self, backbone: Backbone, module: torch.nn.Module, card: dict | None = None):
        super().__init__(backbone, num_heads=module.num_heads)
        self.module = module
        self.card = card or {}

    @classmethod
    def create(cls, backbone: Backbone, checkpoint_dir: Path) -> TrainedHead:
        checkpoint = load_head(Path(checkpoint_dir), backbone.name, cls.kind, cls.module_type, backbone.num_features)
        return cls(backbone, checkpoint.head, checkpoint.card)

    @classmethod
    def initialise(cls, module: torch.nn.Module) -> None:
        """Training start: the backbone's own behaviour (overridden per kind)."""

    @classmethod
    def training_outputs(cls, module: torch.nn.Module, backbone: Backbone, features: torch.Tensor) -> TrainingOutputs:
        """The module's maps and logits for a batch of features (B, C, h, w) (overridden per kind)."""
        raise NotImplementedError


@register_head
class SimplePooling(TrainedHead):
    kind = "simple"
    form = MapForm.POSITION
    order = 10
    module_type = SimpleAttention

    def map_inputs(self, encoded: Encoded, options: MapOptions) -> PositionScores:
        return PositionScores(self.module.score(encoded.features)[0])  # (K, h, w)

    def logits(self, features: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        pooled, _ = self.module(features, temperature)  # (B, K, C)
        return self.backbone.classify_pooled(pooled.mean(dim=1))

    @classmethod
    def initialise(cls, module: SimpleAttention) -> None:
        # Near-uniform weights reproduce average pooling; small random scores, not zeros, so the K
        # heads can differ.
        torch.nn.init.normal_(module.score_output.weight, std=0.01)
        torch.nn.init.zeros_(module.score_output.bias)

    @classmethod
    def training_outputs(cls, module: SimpleAttention, backbone: Backbone, features: torch.Tensor) -> TrainingOutputs:
        pooled, weights = module(features)  # (B, K, C), (B, K, h, w)
        B, K, C = pooled.shape
        # Each head's pooled vector alone through the classifier: the mosaic objective matches heads to tiles.
        per_head = backbone.classify_pooled(pooled.reshape(B * K, C)).view(B, K, -1)  # (B, K, classes)
        return TrainingOutputs(weights.flatten(2), backbone.classify_pooled(pooled.mean(1)), per_head)

    def randomised(self, seed: int) -> SimplePooling:
        module = with_random_weights(self.module, self.module.score_weight_names, seed)
        return SimplePooling(self.backbone, module, self.card)
