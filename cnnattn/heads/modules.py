"""Attention heads from the seed article. Every head returns its softmax weights as a tensor.

Heads only know `in_channels`; they never import a backbone. The softmax is computed explicitly
(no fused attention kernel) because the weights themselves are the product.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SimpleAttention(nn.Module):
    r"""K-head attention pooling: a 1x1 conv scores every position, a softmax over all H*W positions.

    .. math:: a_k(p) = \mathrm{softmax}_p\big((w_k^\top x_p + b_k) / T\big), \qquad
              z_k = \sum_p a_k(p)\, x_p

    With K = 1 this is the seed's SimpleAttention exactly. With `hidden` > 0 the score is a small
    1x1-conv MLP, :math:`w_k^\top \mathrm{ReLU}(U x_p + c) + b_k`, so heads can carve regions a
    single linear score cannot (the trained checkpoints use it; docs/HEADS.md).
    """

    def __init__(self, in_channels: int, num_heads: int = 1, hidden: int = 0):
        super().__init__()
        self.num_heads = num_heads
        if hidden:
            self.score = nn.Sequential(
                nn.Conv2d(in_channels, hidden, kernel_size=1), nn.ReLU(), nn.Conv2d(hidden, num_heads, kernel_size=1)
            )
        else:
            self.score = nn.Conv2d(in_channels, num_heads, kernel_size=1)

    @property
    def score_weight_names(self) -> list[str]:
        """Names of the scoring weights (not biases): what a randomisation check replaces."""
        return [f"score.{name}" for name, _ in self.score.named_parameters() if name.endswith("weight")]

    @property
    def score_output(self) -> nn.Conv2d:
        """The layer that outputs the K scores."""
        return self.score[-1] if isinstance(self.score, nn.Sequential) else self.score

    def forward(self, x: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (pooled (B, K, C), weights (B, K, H, W)); each weight map sums to 1."""
        B, C, H, W = x.shape
        scores = self.score(x).flatten(2) / temperature  # (B, K, H*W)
        weights = F.softmax(scores, dim=-1)  # (B, K, H*W)
        pooled = torch.bmm(weights, x.flatten(2).transpose(1, 2))  # (B, K, C)
        return pooled, weights.view(B, self.num_heads, H, W)


class ClassAttention(nn.Module):
    r"""SimpleAttention whose 1x1 conv is the classifier's row for class c: needs no training.

    .. math:: a_c(p) = \mathrm{softmax}_p\big((w_c^\top x_p + b_c) / T\big)

    For a classifier on global-average-pooled features, :math:`w_c^\top x_p` is position p's
    contribution to the logit of c, so the map shows where the evidence for c lies (CAM's
    numerator, made a probability distribution).
    """

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.score = nn.Conv2d(in_channels, num_classes, kernel_size=1)

    @classmethod
    def from_linear(cls, classifier: nn.Linear) -> ClassAttention:
        head = cls(classifier.in_features, classifier.out_features)
        with torch.no_grad():
            head.score.weight.copy_(classifier.weight[:, :, None, None])
            head.score.bias.copy_(classifier.bias)
        return head.requires_grad_(False)

    def scores(self, x: torch.Tensor, class_index: torch.Tensor) -> torch.Tensor:
        """Pre-softmax scores (B, H, W) for one class per image (`class_index` has shape (B,))."""
        B, C, H, W = x.shape
        rows = self.score.weight[class_index, :, 0, 0]  # (B, C)
        scores = torch.einsum("bc,bcp->bp", rows, x.flatten(2)) + self.score.bias[class_index, None]  # (B, H*W)
        return scores.view(B, H, W)

    def forward(self, x: torch.Tensor, class_index: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Weights (B, H, W) for one class per image."""
        B, C, H, W = x.shape
        return F.softmax(self.scores(x, class_index).flatten(1) / temperature, dim=-1).view(B, H, W)


class SelfAttention(nn.Module):
    r"""Multi-head self-attention over positions with 1x1-conv projections, as in the seed.

    .. math:: A_h = \mathrm{softmax}\big(Q_h K_h^\top / \sqrt{d_k}\big), \qquad
              \mathrm{out} = W_o\,[A_1 V_1, \dots, A_n V_n]

    Row i of :math:`A_h` holds the weights query position i gives to every position.
    """

    def __init__(self, in_channels: int, num_heads: int = 1, head_dim: int | None = None):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim or in_channels // num_heads
        inner = self.num_heads * self.head_dim
        self.query_conv = nn.Conv2d(in_channels, inner, kernel_size=1)
        self.key_conv = nn.Conv2d(in_channels, inner, kernel_size=1)
        self.value_conv = nn.Conv2d(in_channels, inner, kernel_size=1)
        self.out_conv = nn.Conv2d(inner, in_channels, kernel_size=1)

    def _split_heads(self, t: torch.Tensor) -> torch.Tensor:
        B = t.shape[0]
        return t.view(B, self.num_heads, self.head_dim, -1).transpose(2, 3)  # (B, heads, H*W, d_k)

    def projections(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(q, k, v), each (B, heads, H*W, d_k)."""
        return tuple(self._split_heads(conv(x)) for conv in (self.query_conv, self.key_conv, self.value_conv))

    def forward(self, x: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (out (B, C, H, W), weights (B, heads, H*W, H*W)); every row sums to 1."""
        B, C, H, W = x.shape
        q, k, v = self.projections(x)  # (B, heads, H*W, d_k) each
        scores = q @ k.transpose(-2, -1) * self.head_dim**-0.5  # (B, heads, H*W, H*W)
        weights = F.softmax(scores / temperature, dim=-1)
        mixed = (weights @ v).transpose(2, 3).reshape(B, -1, H, W)  # (B, heads*d_k, H, W)
        return self.out_conv(mixed), weights
