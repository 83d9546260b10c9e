"""A frozen backbone with attention heads on its last feature map."""

from __future__ import annotations

import torch
from torch import nn

from cnnattn.backbones import Backbone
from cnnattn.heads import ClassAttention, SelfAttention, SimpleAttention


class AttentionModel(nn.Module):
    """Backbone features once, then any head on them; each head returns weights and its own logits."""

    def __init__(
        self,
        backbone: Backbone,
        simple: SimpleAttention | None = None,
        self_attention: SelfAttention | None = None,
    ):
        super().__init__()
        self.backbone = backbone
        self.simple = simple
        self.self_attention = self_attention
        self.class_attention = ClassAttention.from_linear(backbone.classifier)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (features (B, C, H, W), backbone logits (B, classes))."""
        features = self.backbone.forward_features(images)
        return features, self.backbone.forward_head(features)

    def simple_maps(self, features: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """SimpleAttention pooling in place of the average: (weights (B, K, H, W), logits (B, classes))."""
        pooled, weights = self.simple(features, temperature)  # (B, K, C)
        return weights, self.backbone.classify_pooled(pooled.mean(dim=1))

    def self_maps(self, features: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """SelfAttention as a residual block before the classifier: (weights (B, heads, HW, HW), logits)."""
        out, weights = self.self_attention(features, temperature)
        return weights, self.backbone.forward_head(features + out)

    def class_maps(self, features: torch.Tensor, class_index: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Class-conditional weights (B, H, W) for one class per image."""
        return self.class_attention(self.backbone.position_norm(features), class_index, temperature)
