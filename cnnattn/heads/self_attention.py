r"""Trained multi-head SelfAttention over positions, as a residual block before the classifier.

.. math:: A_h = \mathrm{softmax}\big(Q_h K_h^\top / \sqrt{d_k}\big), \quad
          \mathrm{logits} = \mathrm{head}\big(x + W_o[A_1 V_1, \dots, A_n V_n]\big)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from cnnattn.heads.base import MapForm, MapOptions, QueryKeys, register_head, with_random_weights
from cnnattn.heads.modules import SelfAttention
from cnnattn.heads.simple import TrainedHead, TrainingOutputs

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


@register_head
class SelfAttentionHead(TrainedHead):
    kind = "self"
    form = MapForm.QUERY_ROW
    order = 20
    module_type = SelfAttention

    def map_inputs(self, encoded: Encoded, options: MapOptions) -> QueryKeys:
        h, w = encoded.features.shape[-2:]
        q, k, v = self.module.projections(encoded.features)  # (1, heads, h*w, d_k) each
        return QueryKeys(q[0], k[0], self.module.head_dim**-0.5, (h, w), v[0])

    def logits(self, features: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        out, _ = self.module(features, temperature)
        return self.backbone.forward_head(features + out)

    @classmethod
    def initialise(cls, module: SelfAttention) -> None:
        # A zero output projection makes the residual block the identity: the backbone's own logits.
        torch.nn.init.zeros_(module.out_conv.weight)
        torch.nn.init.zeros_(module.out_conv.bias)

    @classmethod
    def training_outputs(cls, module: SelfAttention, backbone: Backbone, features: torch.Tensor) -> TrainingOutputs:
        out, rows = module(features)  # (B, C, h, w), (B, heads, h*w, h*w)
        return TrainingOutputs(rows, backbone.forward_head(features + out))

    def randomised(self, seed: int) -> SelfAttentionHead:
        return SelfAttentionHead(self.backbone, with_random_weights(self.module, ["key_conv.weight"], seed), self.card)
