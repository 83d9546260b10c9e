"""Readouts that use the fact that attention weights are a probability distribution. Pure numpy.

Every function takes an (h, w) grid of non-negative weights summing to 1 (a softmax output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cnnattn.analysis import metrics

# Where on the photo a region's centre of mass falls, by thirds of height and width.
PLACES = {
    "en": (("top left", "top", "top right"), ("left", "centre", "right"), ("bottom left", "bottom", "bottom right")),
    "zh": (("左上方", "上方", "右上方"), ("左侧", "中央", "右侧"), ("左下方", "下方", "右下方")),
}
# `summary`'s sentence (the lesson's browser code fills the same templates).
SUMMARY = {
    "en": (
        "{percent}% of the attention sits in {cells} of {positions} positions, mostly at the {place} of the photo; "
        "effective number of positions {effective:.1f}."
    ),
    "zh": (
        "{percent}% 的注意力集中在 {positions} 个位置中的 {cells} 个，主要位于图片{place}；"
        "有效位置数 {effective:.1f}。"
    ),
}


@dataclass(frozen=True)
class Readout:
    entropy: float  # H = -sum_p a_p ln a_p, in nats
    effective_positions: float  # exp(H): 1 for a one-hot map, h*w for a uniform one
    positions: int  # h*w, the grid size exp(H) is compared with
    top_k: int  # k used for top_k_mass
    top_k_mass: float  # share of the total weight on the k heaviest positions
    share: float  # the mass share the region holds at least
    region: np.ndarray  # (h, w) bool: the smallest set of positions holding `share` of the mass
    place: tuple[int, int]  # (row third, column third) of the region's centre of mass, each 0..2


def entropy(weights: np.ndarray) -> float:
    """Shannon entropy in nats of a whole map (`cnnattn.analysis.metrics.entropy`, the one definition).
    Never below 0: float32 weights of a one-hot map can sum to 1 + 1e-7, whose -1e-8 would read "-0.000"."""
    return max(0.0, float(metrics.entropy(torch.from_numpy(np.asarray(weights, dtype=np.float64)).flatten())))


def effective_positions(weights: np.ndarray) -> float:
    """exp(entropy): how many positions a uniform map with the same entropy would cover."""
    return float(np.exp(entropy(weights)))


def top_k_mass(weights: np.ndarray, k: int) -> float:
    if k < 1:
        raise ValueError("k must be at least 1.")
    flat = np.sort(np.asarray(weights, dtype=np.float64).ravel())[::-1]
    return float(flat[:k].sum() / flat.sum())


def smallest_region(weights: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the fewest positions whose weights add up to at least `share` of the total.

    Taking positions heaviest first is optimal: any other set of the same size holds no more mass.
    """
    if not 0.0 < share <= 1.0:
        raise ValueError("The share of mass must be in (0, 1].")
    flat = np.asarray(weights, dtype=np.float64).ravel()
    order = np.argsort(-flat, kind="stable")
    cumulative = np.cumsum(flat[order]) / flat.sum()
    count = int(np.searchsorted(cumulative, share - 1e-12)) + 1  # tolerance for float sums of exactly `share`
    mask = np.zeros(flat.shape, dtype=bool)
    mask[order[: min(count, flat.size)]] = True
    return mask.reshape(np.shape(weights))


def centre_of_mass(weights: np.ndarray) -> tuple[float, float]:
    """(x, y) of the weights' centre of mass as fractions of width and height (cell centres)."""
    h, w = np.shape(weights)
    total = float(np.sum(weights))
    rows = (np.arange(h) + 0.5) / h
    cols = (np.arange(w) + 0.5) / w
    return float(np.sum(weights, axis=0) @ cols / total), float(np.sum(weights, axis=1) @ rows / total)


def read(weights: np.ndarray, share: float = 0.5, k: int = 5) -> Readout:
    h, w = np.shape(weights)
    region = smallest_region(weights, share)
    x, y = centre_of_mass(np.where(region, weights, 0.0))
    H = entropy(weights)
    return Readout(
        entropy=H,
        effective_positions=float(np.exp(H)),
        positions=h * w,
        top_k=min(k, h * w),
        top_k_mass=top_k_mass(weights, min(k, h * w)),
        share=share,
        region=region,
        place=(min(int(y * 3), 2), min(int(x * 3), 2)),
    )


def summary(readout: Readout, language: str = "en") -> str:
    """One plain sentence about where the mass sits; also the image's alt text."""
    if language not in PLACES:
        raise ValueError(f"Unknown language {language!r}; choose one of {tuple(PLACES)}.")
    return SUMMARY[language].format(
        percent=round(100 * readout.share),
        cells=int(readout.region.sum()),
        positions=readout.positions,
        place=PLACES[language][readout.place[0]][readout.place[1]],
        effective=readout.effective_positions,
    )


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as Spearman's rho needs)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(flat, kind="stable")
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[order] = np.arange(1, flat.size + 1)
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    r"""Spearman rank correlation of two maps over positions: Pearson's r of their ranks.

    .. math:: \rho = \mathrm{corr}(\mathrm{rank}(a), \mathrm{rank}(b))
    """
    if np.shape(a) != np.shape(b):
        raise ValueError(f"Maps of shapes {np.shape(a)} and {np.shape(b)} cannot be compared.")
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = float(np.sqrt((ra**2).sum() * (rb**2).sum()))
    return float((ra * rb).sum() / denominator) if denominator > 0 else 0.0


def top_k_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Share of a's k heaviest positions that are also among b's k heaviest (0..1)."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"Maps of shapes {np.shape(a)} and {np.shape(b)} cannot be compared.")
    top_a = set(np.argsort(-np.ravel(a), kind="stable")[:k].tolist())
    top_b = set(np.argsort(-np.ravel(b), kind="stable")[:k].tolist())
    return len(top_a & top_b) / k
