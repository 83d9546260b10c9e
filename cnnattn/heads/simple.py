r"""Trained SimpleAttention pooling: K score grids, each a softmax over positions, pooled for the
backbone's classifier in place of the plain average.

.. math:: a_k(p) = \mathrm{softmax}_p\big((w_k^\top x_p + b_k)/T\big), \quad
          \mathrm{logits} = \mathrm{classifier}\big(\tfrac1K \sum_k \sum_p a_k(p)\, x_p\big)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from cnnattn.heads.base import Head, MapForm, MapOptions, PositionScores, register_head, with_random_weights
from cnnattn.heads.checkpoints import load_head
from cnnattn.heads.modules import SimpleAttention

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


class TrainedHead(Head):
    """A head whose module and card come from a checkpoint; names per head may be on the card."""

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

    def training_outputs(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(maps, logits) for a batch (B, C, h, w): maps are distributions over the last axis."""
        raise NotImplementedError


@register_head
class SimplePooling(TrainedHead):
    kind = "simple"
    form = MapForm.POSITION
    order = 10
    trained = True
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

    def training_outputs(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled, weights = self.module(features)  # (B, K, C), (B, K, h, w)
        return weights.flatten(-2), self.backbone.classify_pooled(pooled.mean(dim=1))

    def randomised(self, seed: int) -> SimplePooling:
        module = with_random_weights(self.module, self.module.score_weight_names, seed)
        return SimplePooling(self.backbone, module, self.card)
