r"""Loss terms for training heads on frozen features, each one something flat or identical heads
cannot satisfy, and the cheap validation measures they are chosen by.

SimpleAttention (K pooling heads, logits = classifier(mean_k z_k), z_k = \sum_p a_k(p) x_p):

- `classification`: cross-entropy of the pooled logits against the label on whole photos;
- `mosaic_matched`: a mosaic of T photos of different classes; head k's own pooled logits
  classifier(z_k) are matched one-to-one to the T labels (least total cross-entropy) and each
  matched head must classify its photo. A flat head pools all T photos and fits none; identical
  heads can fit only one;
- `diversity`: a hinge on the mean pairwise Jensen-Shannon divergence between the K maps;
- `entropy_excess`, `peak_excess`: hinges that keep maps below an entropy ratio and below a peak
  weight (sharp, but not collapsed to one cell).

SelfAttention (rows softmax(q_i . k_j)): `own_tile`, on mosaics: the weight each query row puts on
its own photo's tile (a flat row puts 1/T there), beside classification and a KL to the backbone.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

EPS = 1e-8


def entropy_ratio(maps: torch.Tensor) -> torch.Tensor:
    """Entropy / log(n) of each distribution over the last axis: 1 = uniform, 0 = one position."""
    n = maps.shape[-1]
    if n < 2:
        return torch.zeros_like(maps[..., 0])
    return -(maps * maps.clamp_min(1e-30).log()).sum(-1) / math.log(n)


def pairwise_js(maps: torch.Tensor) -> torch.Tensor:
    """Mean Jensen-Shannon divergence (nats) over all pairs of the K maps (B, K, n) -> (B,)."""
    K = maps.shape[1]
    if K < 2:
        return torch.zeros(maps.shape[0], device=maps.device)
    i, j = torch.triu_indices(K, K, offset=1)
    p, q = maps[:, i], maps[:, j]  # (B, pairs, n)
    m = 0.5 * (p + q)
    log_m = m.clamp_min(EPS).log()
    kl_p = (p * (p.clamp_min(EPS).log() - log_m)).sum(-1)
    kl_q = (q * (q.clamp_min(EPS).log() - log_m)).sum(-1)
    return (0.5 * (kl_p + kl_q)).mean(-1)


def diversity(maps: torch.Tensor, target: float) -> torch.Tensor:
    """Hinge: zero once the mean pairwise JS of the K maps (B, K, n) reaches `target` nats."""
    return F.relu(target - pairwise_js(maps)).mean()


def entropy_excess(maps: torch.Tensor, target: float) -> torch.Tensor:
    """Hinge on each map's entropy ratio above `target` (maps (..., n))."""
    return F.relu(entropy_ratio(maps) - target).mean()


def peak_excess(maps: torch.Tensor, limit: float) -> torch.Tensor:
    """Hinge on each map's largest weight above `limit`: keeps maps from collapsing to one cell."""
    return F.relu(maps.max(-1).values - limit).mean()


def injective_assignments(heads: int, tiles: int) -> torch.Tensor:
    """Every one-to-one pairing of min(heads, tiles) heads and tiles, as (A, pairs, 2) (head, tile)."""
    if heads >= tiles:
        pairs = [[(h, t) for t, h in enumerate(perm)] for perm in itertools.permutations(range(heads), tiles)]
    else:
        pairs = [[(h, t) for h, t in enumerate(perm)] for perm in itertools.permutations(range(tiles), heads)]
    return torch.tensor(pairs)


def matched_cross_entropy(head_logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-cost one-to-one matching of heads to tiles, per sample.

    head_logits (B, K, classes); targets: labels (B, T) or class distributions (B, T, classes), e.g.
    the backbone's own prediction for each tile (then the cost is a distillation cross-entropy).
    Returns (mean matched cross-entropy, assignment (B, pairs, 2) of (head, tile))."""
    B, K, _ = head_logits.shape
    T = targets.shape[1]
    log_probs = head_logits.log_softmax(-1)  # (B, K, classes)
    if targets.dtype in (torch.int64, torch.int32):
        cost = -log_probs.gather(-1, targets[:, None, :].expand(B, K, T))  # (B, K, T): CE of head k on tile t
    else:
        cost = -torch.einsum("bkc,btc->bkt", log_probs, targets)
    options = injective_assignments(K, T).to(head_logits.device)  # (A, P, 2)
    totals = cost[:, options[..., 0], options[..., 1]].sum(-1)  # (B, A)
    best = options[totals.detach().argmin(-1)]  # (B, P, 2)
    rows = torch.arange(B, device=head_logits.device)[:, None]
    matched = cost[rows, best[..., 0], best[..., 1]]  # (B, P)
    return matched.mean(), best


def own_tile(rows: torch.Tensor, tile_of_cell: torch.Tensor, tiles: int) -> torch.Tensor:
    """Mean -log(weight of each query row on the query's own tile).

    rows (B, heads, n, n) softmax rows over n = h * w cells; tile_of_cell (n,)."""
    one_hot = F.one_hot(tile_of_cell, tiles).to(rows)  # (n, T)
    per_tile = rows @ one_hot  # (B, heads, n, T): weight of each row on each tile
    own = per_tile.gather(-1, tile_of_cell.view(1, 1, -1, 1).expand(*per_tile.shape[:3], 1))[..., 0]
    return -own.clamp_min(EPS).log().mean()


def spearman(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Rank correlation along the last axis (ties broken by position)."""
    ra = a.argsort(-1).argsort(-1).double()
    rb = b.argsort(-1).argsort(-1).double()
    ra = ra - ra.mean(-1, keepdim=True)
    rb = rb - rb.mean(-1, keepdim=True)
    return (ra * rb).sum(-1) / (ra.norm(dim=-1) * rb.norm(dim=-1)).clamp_min(EPS)
