r"""Calibration of class probabilities: the measure (ECE), the fix (temperature scaling), the
uncertainty of both (percentile bootstrap), and the shipped per-backbone temperatures.

Temperature scaling divides the logits by one positive number before the softmax,
:math:`p = \operatorname{softmax}(z / T)`. It changes how confident the shown probabilities are,
never their order, so the ranking and top-1 stay exactly those of the network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files

import torch

from cnnattn.i18n import text

CALIBRATION_DIR = ("data", "calibration")  # package data: cnnattn/data/calibration/<backbone>.json


def confidences(probs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Top-1 confidence :math:`\max_k p_k` (N,) in the dtype of probs, and correctness
    :math:`[\arg\max_k p_k = y]` (N,) as float64 0/1."""
    confidence, predicted = torch.as_tensor(probs).max(dim=-1)
    return confidence, (predicted == torch.as_tensor(labels)).double()


def binned_ece(confidence: torch.Tensor, correct: torch.Tensor, bins: int = 10) -> float:
    r"""ECE from per-sample top-1 confidence and correctness (0/1), both (N,):
    :math:`\sum_b \frac{|B_b|}{N} |\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|
    = \frac{1}{N} \sum_b |\sum_{i \in B_b} (c_i - p_i)|`, bins as in `expected_calibration_error`."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, not {bins}.")
    confidence, correct = torch.as_tensor(confidence), torch.as_tensor(correct, dtype=torch.float64)
    if confidence.numel() == 0:
        raise ValueError("ECE of no samples is undefined.")
    # Edges b/M rounded to the confidences' own dtype, so 0.8 stored as float32 lies in (0.7, 0.8].
    dtype = confidence.dtype if confidence.is_floating_point() else torch.float64
    edges = (torch.arange(bins + 1, dtype=torch.float64) / bins).to(dtype)
    index = (torch.bucketize(confidence.to(dtype), edges[1:-1], right=False)).clamp(0, bins - 1)
    confidence = confidence.double()
    gap = torch.zeros(bins, dtype=torch.float64).index_add_(0, index, correct - confidence)
    return float(gap.abs().sum() / confidence.numel())


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 10) -> float:
    r"""Expected calibration error with `bins` equal-width bins on the top-1 confidence:

    :math:`\mathrm{ECE} = \sum_b \frac{|B_b|}{N} \, |\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|`,
    where bin b holds the samples with confidence in :math:`(\frac{b}{M}, \frac{b+1}{M}]`
    (confidence 0 joins the first bin). probs: (N, K) probabilities; labels: (N,) class indices.
    """
    return binned_ece(*confidences(probs, labels), bins=bins)


def top1_accuracy(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows whose highest score (logit or probability) is the label."""
    return float((torch.as_tensor(scores).argmax(dim=-1) == torch.as_tensor(labels)).double().mean())


def negative_log_likelihood(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> float:
    r"""Mean NLL in nats of :math:`\operatorname{softmax}(z / T)`: :math:`-\frac{1}{N}\sum_i \log p_{i, y_i}`."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    return float(torch.nn.functional.cross_entropy(logits / temperature, torch.as_tensor(labels)))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    r"""Temperature scaling: :math:`T^* = \arg\min_{T>0} -\frac{1}{N}\sum_i \log \operatorname{softmax}(z_i/T)_{y_i}`.

    Minimised over :math:`\log T` (so T stays positive) with L-BFGS and a strong-Wolfe line search
    in float64 from T = 1; deterministic. The NLL is convex in 1/T, so the minimum is unique.
    logits: (N, K); labels: (N,).
    """
    logits = torch.as_tensor(logits, dtype=torch.float64).detach()
    labels = torch.as_tensor(labels).detach()
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0] or logits.shape[0] == 0:
        raise ValueError(f"Need logits (N, K) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}.")
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [log_t], lr=1.0, max_iter=max_iter, tolerance_grad=1e-10, tolerance_change=1e-12, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimiser.step(closure)
    temperature = float(log_t.detach().exp())
    if not math.isfinite(temperature) or temperature <= 0:
        raise ValueError("Temperature fit diverged (are the labels separable by the logits' scale?).")
    return temperature


def bootstrap_intervals(
    statistics: Callable[[torch.Tensor], dict[str, float]],
    n: int,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap: `statistics(indices)` on `resamples` seeded draws of n indices with
    replacement; per statistic, the (1-level)/2 and (1+level)/2 quantiles of its values. Every
    statistic sees the same resamples, so intervals of paired quantities are comparable."""
    if n < 1 or resamples < 1 or not 0 < level < 1:
        raise ValueError(f"Need n >= 1, resamples >= 1 and 0 < level < 1 (got {n}, {resamples}, {level}).")
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(0, n, (resamples, n), generator=generator)
    values: dict[str, list[float]] = {}
    for draw in draws:
        for key, value in statistics(draw).items():
            values.setdefault(key, []).append(float(value))
    quantiles = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    return {
        key: tuple(float(q) for q in torch.quantile(torch.tensor(vals, dtype=torch.float64), quantiles))
        for key, vals in values.items()
    }


def bootstrap_interval(
    statistic: Callable[[torch.Tensor], float],
    n: int,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """95% (by default) percentile bootstrap interval of one statistic of n samples:
    `statistic(indices)` gets an (n,) tensor of indices drawn with replacement (seeded)."""
    return bootstrap_intervals(lambda idx: {"value": statistic(idx)}, n, resamples, level, seed)["value"]


@dataclass(frozen=True)
class Calibration:
    """Shipped temperature scaling for one backbone: one fitted T per offered input short side."""

    backbone: str
    default_short_side: int  # the whole-photo scale chosen on the validation split
    temperatures: dict[int, float] = field(hash=False)  # short side -> T, every offered scale
    method: str  # one line: how the temperatures were fitted and the scale chosen
    held_out_ece: tuple[float, float] | None = None  # (raw, calibrated) at the default scale, if measured

    @property
    def short_sides(self) -> tuple[int, ...]:
        return tuple(sorted(self.temperatures))

    def temperature(self, short_side: int | None = None) -> float:
        """The fitted T for an offered short side (default: `default_short_side`)."""
        side = self.default_short_side if short_side is None else short_side
        if side not in self.temperatures:
            offered = ", ".join(str(s) for s in self.short_sides)
            raise ValueError(f"No calibration of {self.backbone} at short side {side}; offered scales: {offered}.")
        return self.temperatures[side]

    def probabilities(self, logits: torch.Tensor, short_side: int | None = None) -> torch.Tensor:
        """softmax(logits / T) over the last axis, T for the given (or default) short side."""
        return torch.softmax(logits / self.temperature(short_side), dim=-1)

    def describe(self, short_side: int | None = None, language: str = "en") -> str:
        """One sentence for a user: what the shown probabilities are."""
        side = self.default_short_side if short_side is None else short_side
        sentence = text("calibration.scaled", language, t=self.temperature(side), side=side)
        if self.held_out_ece is not None and side == self.default_short_side:
            raw, calibrated = self.held_out_ece
            sentence += text("calibration.ece", language, raw=raw, calibrated=calibrated)
        return sentence + text("calibration.unchanged", language)

    @classmethod
    def from_dict(cls, card: dict) -> Calibration:
        ece = card.get("held_out_ece")
        return cls(
            backbone=str(card["backbone"]),
            default_short_side=int(card["default_short_side"]),
            temperatures={int(side): float(t) for side, t in card["temperatures"].items()},
            method=str(card["method"]),
            held_out_ece=(float(ece["raw"]), float(ece["calibrated"])) if ece else None,
        )


def load_calibration(backbone: str) -> Calibration | None:
    """The shipped calibration `cnnattn/data/calibration/<backbone>.json`, or None if none ships.

    Raises ValueError if the file exists but is unreadable or inconsistent."""
    resource = files("cnnattn").joinpath(*CALIBRATION_DIR, f"{backbone}.json")
    if not resource.is_file():
        return None
    try:
        calibration = Calibration.from_dict(json.loads(resource.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"The calibration file for {backbone} is unreadable or corrupt ({exc}).") from exc
    if calibration.backbone != backbone:
        raise ValueError(f"The calibration file for {backbone} describes {calibration.backbone!r}.")
    if not all(math.isfinite(t) and t > 0 for t in calibration.temperatures.values()):
        raise ValueError(f"The calibration file for {backbone} holds a non-positive temperature.")
    calibration.temperature()  # the default scale must be one of the offered ones
    return calibration
