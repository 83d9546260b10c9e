"""Readouts that use the fact that attention weights are a probability distribution. Pure numpy.

Every function takes an (h, w) grid of non-negative weights summing to 1 (a softmax output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cnnattn.analysis import metrics
from cnnattn.i18n import ByLanguage, count, template

# When the readout names no place: a nearly flat map (exp(H) at least this share of all positions), or
# heaviest cells scattered so widely that their centre of mass is nowhere in particular (their weight's
# rms distance from that centre, in fractions of width and height, at least SCATTERED: a flat map's is 0.41).
FLAT = 0.9
SCATTERED = 0.3
# A centre of mass within this of the middle, across or down, counts as the middle: on 8 or 12 columns the
# middle two (thirds would call column 8 of 12 the centre too).
CENTRE_BAND = 0.1
# Where the heaviest cells' weight sits, by band of height and width (top/middle/bottom, left/middle/right).
PLACE_KEYS = (
    ("top left", "top", "top right"), ("left", "centre", "right"), ("bottom left", "bottom", "bottom right")
)  # fmt: skip
# Each place key, and the two ways of having no place, as `summary` words them (catalogue entries
# "place.<key>"); the lesson's browser code gets these and `summary`'s sentence ("readout.summary") too.
WHERE = (*(key for row in PLACE_KEYS for key in row), "flat", "scattered")
PLACES = ByLanguage(lambda language: {where: template(f"place.{where}", language) for where in WHERE})
SUMMARY = ByLanguage(lambda language: template("readout.summary", language))  # plain words, no entropy


@dataclass(frozen=True)
class Readout:
    entropy: float  # H = -sum_p a_p ln a_p, in nats
    effective_positions: float  # exp(H): 1 for a one-hot map, h*w for a uniform one
    positions: int  # h*w, the grid size exp(H) is compared with
    top_k: int  # k used for top_k_mass
    top_k_mass: float  # share of the total weight on the k heaviest positions
    share: float  # the mass share the region holds at least
    region: np.ndarray  # (h, w) bool: the smallest set of positions holding `share` of the mass
    where: str  # a key of PLACES: the region's place (PLACE_KEYS), or "flat" / "scattered"


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


def spread_radius(weights: np.ndarray, centre: tuple[float, float]) -> float:
    """Root mean square distance of the weight from `centre`, in fractions of width and height."""
    h, w = np.shape(weights)
    dy = (np.arange(h)[:, None] + 0.5) / h - centre[1]
    dx = (np.arange(w)[None, :] + 0.5) / w - centre[0]
    return float(np.sqrt(np.sum(weights * (dx**2 + dy**2)) / np.sum(weights)))


def _band(fraction: float) -> int:
    """0, 1 or 2: before, within or after the middle band of CENTRE_BAND either side of 0.5."""
    return 0 if fraction < 0.5 - CENTRE_BAND else 2 if fraction > 0.5 + CENTRE_BAND else 1


def where_it_sits(weights: np.ndarray, region: np.ndarray, effective: float) -> str:
    """A key of PLACES: "flat" for a nearly flat map, "scattered" when the region's cells lie far apart,
    else the band of the region's centre of mass (the heaviest cells carrying the share, nothing else)."""
    if effective >= FLAT * np.size(weights):
        return "flat"
    inside = np.where(region, weights, 0.0)
    x, y = centre_of_mass(inside)
    if spread_radius(inside, (x, y)) >= SCATTERED:
        return "scattered"
    return PLACE_KEYS[_band(y)][_band(x)]


def read(weights: np.ndarray, share: float = 0.5, k: int = 5) -> Readout:
    h, w = np.shape(weights)
    region = smallest_region(weights, share)
    H = entropy(weights)
    return Readout(
        entropy=H,
        effective_positions=float(np.exp(H)),
        positions=h * w,
        top_k=min(k, h * w),
        top_k_mass=top_k_mass(weights, min(k, h * w)),
        share=share,
        region=region,
        where=where_it_sits(weights, region, float(np.exp(H))),
    )


def summary(readout: Readout, language: str = "en") -> str:
    """One plain sentence about where the mass sits and how spread it is; also the image's alt text."""
    return template("readout.summary", language).format(
        percent=round(100 * readout.share),
        cells=int(readout.region.sum()),
        positions=readout.positions,
        place=template(f"place.{readout.where}", language),
        equal=count("count.position", round(readout.effective_positions), language),
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
