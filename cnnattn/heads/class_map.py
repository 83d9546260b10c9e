r"""Class-conditional attention: SimpleAttention whose 1x1 conv is the classifier's row for class c.

.. math:: a_c(p) = \mathrm{softmax}_p\big((w_c^\top x_p + b_c) / T\big)

It needs no training. Per-position class scores are ~H*W times larger than their share of the
pooled logit, so a softmax at T=1 is nearly one-hot; T=4 keeps the map's shape readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from cnnattn.heads.base import Head, MapForm, MapOptions, PositionScores, random_like, register_head
from cnnattn.heads.modules import ClassAttention

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


@register_head
class ClassMap(Head):
    kind = "class"
    form = MapForm.POSITION
    order = 0
    class_conditional = True
    default_temperature = 4.0
    temperature_range = (0.5, 20.0, 0.5)  # its scores are ~H*W times larger, so T ranges higher

    def __init__(self, backbone: Backbone, attention: ClassAttention | None = None):
        super().__init__(backbone, num_heads=1)
        self.attention = attention or ClassAttention.from_linear(backbone.classifier)

    def map_inputs(self, encoded: Encoded, options: MapOptions) -> PositionScores:
        positions = self.backbone.position_norm(encoded.features)  # (1, C, h, w)
        index = torch.tensor([options.class_index], device=positions.device)
        return PositionScores(self.attention.scores(positions, index))  # (1, h, w)

    def randomised(self, seed: int) -> ClassMap:
        clone = ClassAttention(self.attention.score.in_channels, self.attention.score.out_channels)
        clone.load_state_dict(self.attention.state_dict())
        with torch.no_grad():
            clone.score.weight.copy_(random_like(self.attention.score.weight, seed))
        return ClassMap(self.backbone, clone.to(self.attention.score.weight.device).requires_grad_(False))
