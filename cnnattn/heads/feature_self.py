r"""Self-attention with no learned projections: Q = K = V = x, so a query cell attends to the cells
whose features resemble its own. Runs on the final map or an earlier backbone stage.

.. math:: a_{ij} = \mathrm{softmax}_j\big(x_i \cdot x_j / \sqrt{C} \,/\, T\big)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from cnnattn.heads.base import Head, MapForm, MapOptions, QueryKeys, register_head

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


@register_head
class FeatureSelfAttention(Head):
    kind = "feature_self"
    form = MapForm.QUERY_ROW
    order = 30
    layers = True

    def __init__(self, backbone: Backbone, key_seed: int | None = None):
        super().__init__(backbone, num_heads=1)
        self.key_seed = key_seed  # sanity check: keys from a seeded random projection of the features

    def map_inputs(self, encoded: Encoded, options: MapOptions) -> QueryKeys:
        features = encoded.layer(options.layer)  # (1, C, h, w)
        h, w = features.shape[-2:]
        x = features[0].flatten(1).T  # (h*w, C)
        keys = x
        if self.key_seed is not None:
            generator = torch.Generator().manual_seed(self.key_seed)
            projection = torch.randn(x.shape[1], x.shape[1], generator=generator) / math.sqrt(x.shape[1])  # (C, C)
            keys = x @ projection.to(x)
        return QueryKeys(x[None], keys[None], x.shape[1] ** -0.5, (h, w), x[None])

    def randomised(self, seed: int) -> FeatureSelfAttention:
        return FeatureSelfAttention(self.backbone, key_seed=seed)
