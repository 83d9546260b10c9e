"""Measures of attention maps as pure functions of tensors and callables (no heads, no backbone).

Maps are probability distributions over their last axis; saliency maps for the perturbation
metrics are any (H, W) scores at pixel resolution, where only their order matters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


def entropy(p: torch.Tensor) -> torch.Tensor:
    r"""Shannon entropy in nats over the last axis, :math:`H(p) = -\sum_i p_i \log p_i` (0 log 0 = 0)."""
    return -(p * p.clamp_min(1e-30).log()).sum(dim=-1)


def kl_from_uniform(p: torch.Tensor) -> torch.Tensor:
    r"""Distance from the uniform distribution, :math:`KL(p \,\|\, u) = \log n - H(p)`, in nats."""
    return math.log(p.shape[-1]) - entropy(p)


def trapezoid_auc(values: torch.Tensor) -> float:
    r"""Area under a curve sampled at n equally spaced points of [0, 1]:
    :math:`\frac{1}{n-1} \sum_{i} \frac{v_i + v_{i+1}}{2}`."""
    values = torch.as_tensor(values, dtype=torch.float64)
    return float((values[:-1] + values[1:]).sum() / (2 * (len(values) - 1)))


def ranking(saliency: torch.Tensor) -> torch.Tensor:
    """Flat pixel indices, most salient first; ties keep raster order (stable)."""
    return torch.argsort(saliency.flatten(), descending=True, stable=True)


def perturbation_batch(start: torch.Tensor, fill: torch.Tensor, order: torch.Tensor, fractions) -> torch.Tensor:
    """For each fraction f: `start` with its top-f ranked pixels taken from `fill`. (3, H, W) -> (N, 3, H, W)."""
    C, H, W = start.shape
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=order.device)  # position of each pixel in the ranking
    counts = torch.tensor([round(f * H * W) for f in fractions], device=start.device)  # (N,)
    taken = (rank[None, :] < counts[:, None]).view(-1, 1, H, W)  # (N, 1, H, W)
    return torch.where(taken, fill[None], start[None])


@dataclass(frozen=True)
class Endpoints:
    """Probabilities of the explained class at the curves' ends, shared by every map of one image."""

    original: float  # the unmodified image
    blurred: float  # the insertion start: everything blurred
    grey: float  # the deletion end: everything grey


@dataclass(frozen=True)
class Curves:
    insertion: torch.Tensor  # (steps + 1,) probability as the top pixels are restored, 0% -> 100%
    deletion: torch.Tensor  # (steps + 1,) probability as the top pixels are greyed, 0% -> 100%

    @property
    def insertion_auc(self) -> float:
        return trapezoid_auc(self.insertion)

    @property
    def deletion_auc(self) -> float:
        return trapezoid_auc(self.deletion)


def perturbation_curve(
    start: torch.Tensor,
    fill: torch.Tensor,
    saliency: torch.Tensor,
    predict: Callable[[torch.Tensor], torch.Tensor],
    ends: tuple[float, float],
    steps: int = 16,
) -> torch.Tensor:
    """Probability of the explained class as the most salient pixels of `start` (3, H, W) are
    replaced by `fill`, in `steps` equal steps; `ends` are the known values at 0% and 100%.
    The interior points go through `predict` ((N, 3, H, W) -> (N,)) as one batch."""
    if saliency.shape != start.shape[-2:]:
        raise ValueError(f"Saliency {tuple(saliency.shape)} must match the image's {tuple(start.shape[-2:])}.")
    fractions = [k / steps for k in range(1, steps)]
    interior = predict(perturbation_batch(start, fill, ranking(saliency), fractions)).double().cpu()  # (steps - 1,)
    return torch.cat([torch.tensor([ends[0]]), interior, torch.tensor([ends[1]])]).double()


@dataclass(frozen=True)
class PerturbationImages:
    """One image and the two its pixels are swapped with, shared by every map of the image."""

    image: torch.Tensor  # (3, H, W) the original
    blurred: torch.Tensor  # (3, H, W) the insertion start
    grey: torch.Tensor  # (3, H, W) the deletion fill
    endpoints: Endpoints  # the class probability of each of the three


def insertion_deletion(
    images: PerturbationImages,
    saliency: torch.Tensor,
    predict: Callable[[torch.Tensor], torch.Tensor],
    steps: int = 16,
) -> Curves:
    """RISE insertion and deletion curves (Petsiuk et al., 2018) for one saliency map.

    Insertion restores original pixels into `blurred`, deletion replaces them with `grey`, most
    salient first. Higher insertion AUC and lower deletion AUC are better.
    """
    image, ends = images.image, images.endpoints
    insertion = perturbation_curve(images.blurred, image, saliency, predict, (ends.blurred, ends.original), steps)
    deletion = perturbation_curve(image, images.grey, saliency, predict, (ends.original, ends.grey), steps)
    return Curves(insertion, deletion)


def centred_gaussian(height: int, width: int, sigma_fraction: float = 0.25) -> torch.Tensor:
    """A centre-bias reference map: a Gaussian at the centre with sigma a fraction of each side."""
    y = (torch.arange(height) + 0.5 - height / 2) / (sigma_fraction * height)
    x = (torch.arange(width) + 0.5 - width / 2) / (sigma_fraction * width)
    return torch.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2))


def object_share(row: torch.Tensor, object_fraction: torch.Tensor) -> tuple[float, float]:
    """(weight on the object, the object's area share) for one attention row over a grid.

    `row` (h, w) sums to 1; `object_fraction` (h, w) is the share of each cell covered by the object.
    A uniform row's weight on the object equals the area share, so that is the reference.
    """
    return float((row * object_fraction).sum()), float(object_fraction.mean())
