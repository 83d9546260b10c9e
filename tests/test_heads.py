"""Every head's weights are probabilities and equal a direct re-implementation of the seed's formulas."""

import pytest
import torch
import torch.nn.functional as F

from cnnattn.heads import ClassAttention, SelfAttention, SimpleAttention

SIZES = [(1, 1), (3, 5), (7, 7), (8, 12)]


def seed_simple_attention(conv, x):
    """The seed article's SimpleAttention.forward, verbatim in its maths."""
    scores = conv(x)  # (B, 1, H, W)
    weights = F.softmax(scores.view(x.size(0), -1), dim=1).view_as(scores)
    return (weights * x).sum(dim=(2, 3)), weights


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("num_heads", [1, 4])
def test_simple_attention_matches_seed_per_head(hw, num_heads, generator):
    x = torch.randn(2, 16, *hw, generator=generator)
    head = SimpleAttention(16, num_heads)
    pooled, weights = head(x)
    assert weights.shape == (2, num_heads, *hw)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(dim=(2, 3)), torch.ones(2, num_heads), atol=1e-5, rtol=0)
    for k in range(num_heads):
        conv = torch.nn.Conv2d(16, 1, 1)
        conv.weight.data = head.score.weight[k : k + 1].detach()
        conv.bias.data = head.score.bias[k : k + 1].detach()
        expected_pooled, expected_weights = seed_simple_attention(conv, x)
        torch.testing.assert_close(weights[:, k], expected_weights[:, 0], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(pooled[:, k], expected_pooled, atol=1e-5, rtol=1e-5)


def test_temperature_flattens_and_sharpens(generator):
    x = torch.randn(1, 8, 5, 5, generator=generator)
    head = SimpleAttention(8)

    def entropy(w):
        return -(w * w.clamp_min(1e-12).log()).sum()

    cold, warm, hot = (entropy(head(x, t)[1]) for t in (0.5, 1.0, 4.0))
    assert cold < warm < hot <= torch.log(torch.tensor(25.0)) + 1e-5


def seed_self_attention(head, x):
    """Per-head softmax(Q K^T / sqrt(d_k)) written out with explicit loops."""
    B, C, H, W = x.shape
    q, k, v = (
        conv(x).view(B, head.num_heads, head.head_dim, H * W)
        for conv in (head.query_conv, head.key_conv, head.value_conv)
    )
    rows, mixed = [], []
    for h in range(head.num_heads):
        scores = torch.bmm(q[:, h].transpose(1, 2), k[:, h]) / head.head_dim**0.5  # (B, HW, HW)
        weights = F.softmax(scores, dim=-1)
        rows.append(weights)
        mixed.append(torch.bmm(weights, v[:, h].transpose(1, 2)).transpose(1, 2))  # (B, d_k, HW)
    out = head.out_conv(torch.cat(mixed, dim=1).view(B, -1, H, W))
    return out, torch.stack(rows, dim=1)


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("num_heads,head_dim", [(1, None), (4, 8), (2, 3)])
def test_self_attention_matches_direct_formula(hw, num_heads, head_dim, generator):
    torch.manual_seed(0)
    x = torch.randn(2, 16, *hw, generator=generator)
    head = SelfAttention(16, num_heads, head_dim)
    out, weights = head(x)
    n = hw[0] * hw[1]
    assert weights.shape == (2, num_heads, n, n)
    assert out.shape == x.shape
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, num_heads, n), atol=1e-5, rtol=0)
    expected_out, expected_weights = seed_self_attention(head, x)
    torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out, expected_out, atol=1e-5, rtol=1e-5)


def test_single_head_self_attention_is_the_seed_module(generator):
    """num_heads=1 reproduces the seed's SelfAttention (projections to C // num_heads channels)."""
    x = torch.randn(1, 12, 4, 6, generator=generator)
    head = SelfAttention(12, num_heads=1)
    assert head.head_dim == 12
    B, C, H, W = x.shape
    Q = head.query_conv(x).view(B, -1, H * W).transpose(1, 2)
    K = head.key_conv(x).view(B, -1, H * W)
    V = head.value_conv(x).view(B, -1, H * W).transpose(1, 2)
    weights = F.softmax(torch.bmm(Q, K) / C**0.5, dim=-1)
    seed_out = head.out_conv(torch.bmm(weights, V).transpose(1, 2).contiguous().view(B, -1, H, W))
    out, ours = head(x)
    torch.testing.assert_close(ours[:, 0], weights)
    torch.testing.assert_close(out, seed_out)


@pytest.mark.parametrize("hw", SIZES)
def test_class_attention_uses_classifier_row(hw, generator):
    classifier = torch.nn.Linear(16, 10)
    x = torch.randn(3, 16, *hw, generator=generator)
    classes = torch.tensor([0, 7, 3])
    weights = ClassAttention.from_linear(classifier)(x, classes, temperature=2.0)
    assert weights.shape == (3, *hw)
    torch.testing.assert_close(weights.sum(dim=(1, 2)), torch.ones(3), atol=1e-5, rtol=0)
    for b, c in enumerate(classes):
        positions = x[b].flatten(1).T  # (HW, C)
        expected = F.softmax((positions @ classifier.weight[c] + classifier.bias[c]) / 2.0, dim=0)
        torch.testing.assert_close(weights[b].flatten(), expected, atol=1e-6, rtol=1e-5)
