r"""Checks a class can trust: a post-hoc map not computed from the head's own scores, a sanity check
with a verdict, and one-line readings of occlusion and deletion results.

Why not Grad-CAM at the feature layer for the class map: there, for class c, Grad-CAM is about
:math:`\mathrm{ReLU}(w_c \cdot x_p)` and the class map is :math:`\mathrm{softmax}_p(w_c \cdot x_p / T)`:
the same scores, so their agreement is guaranteed (Spearman 0.92 and 0.98 on the two shipped photos).
At an earlier stage the gradients flow back through the later blocks and the map is not built from
those scores (Spearman with the class map's scores 0.39 and 0.16 at ``blocks.4``), so agreement there
is evidence. It costs one forward and backward pass (~0.2 s on one CPU thread); occlusion sensitivity
of every cell took 9-16 s a photo here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cnnattn.analysis import readouts
from cnnattn.backbones import FINAL, Backbone
from cnnattn.heads import Head, MapForm
from cnnattn.i18n import text
from cnnattn.lesson.names import layer_name
from cnnattn.lesson.steps import DeletionCurve
from cnnattn.maps import to_grid, upsample

# Sanity thresholds: the mean Spearman rank correlation between one head kind's maps of two different
# photos on the same grid (query rows at the centre cell; ranks do not depend on T), measured with
#   python -m bench.sanity_threshold --photos 120
# on 120 photos of ../shared/data/imagenet-samples, 2026-11-25, after retraining the heads (1333 pairs
# for one-head kinds, 5332 for four heads, 6665 for five; sd about 0.22 per pair; docs/LESSON.md has
# the table). A map whose head's weights were randomised should resemble the real map no more than
# another photo's map does. Re-run after retraining.
SANITY_THRESHOLDS: dict[str, float] = {"class": 0.396, "simple": 0.177, "self": 0.414, "feature_self": 0.613}
OCCLUSION_SAME = 0.01  # a probability change under one percentage point reads as "hardly any change"
# The comparison's verdict on Spearman's rho (the i18n verdicts state the same bounds): "agree" from AGREE up,
# "agree only weakly" from WEAK, "do not agree" above -WEAK, "disagree" (opposite orders) at -WEAK or below.
AGREE = 0.5
WEAK = 0.2


def reference_layer(backbone: Backbone) -> str:
    """Where the reference Grad-CAM runs: the earliest kept stage (``blocks.4`` on Lite0, stride 16),
    or the feature layer for a backbone that keeps none."""
    return next(iter(backbone.stages), backbone.feature_layer)


def agrees_by_construction(head: Head, layer: str, backbone: Backbone) -> bool:
    """True when Grad-CAM at `layer` and the head's map come from the same scores: a class-conditional
    head (its scores are the classifier's row) against Grad-CAM at the feature layer."""
    return head.class_conditional and layer in (FINAL, backbone.feature_layer)


@dataclass(frozen=True)
class Comparison:
    layer: str  # backbone module where Grad-CAM ran, e.g. "blocks.4"
    reference: np.ndarray  # (h, w) Grad-CAM on the map's grid, summing to 1
    rho: float  # Spearman rank correlation of map and reference over positions (-1..1)
    overlap: float  # share of the map's k heaviest positions among the reference's k heaviest
    k: int
    by_construction: bool  # both come from the same scores: agreement proves nothing


def compare(head: Head, weights: np.ndarray, reference: np.ndarray, layer: str, k: int = 5) -> Comparison:
    """Compare a head's map with a post-hoc reference map (resampled onto the map's grid if needed)."""
    if np.shape(reference) != np.shape(weights):
        (h, w), (rh, rw) = np.shape(weights), np.shape(reference)
        reference = to_grid(upsample(reference, 8 * max(h, rh), 8 * max(w, rw)), (h, w))
    k = min(k, int(np.size(weights)))
    return Comparison(
        layer=layer,
        reference=np.asarray(reference),
        rho=readouts.spearman(weights, reference),
        overlap=readouts.top_k_overlap(weights, reference, k),
        k=k,
        by_construction=agrees_by_construction(head, layer, head.backbone),
    )


def verdict_key(rho: float) -> str:
    """The i18n key of the verdict on `rho`, judged as the text shows it (two decimals), so the stated
    bounds always hold for the number beside them."""
    shown = float(f"{rho:.2f}")
    if shown >= AGREE:
        return "compare.agree"
    if shown >= WEAK:
        return "compare.weak"
    return "compare.unrelated" if shown > -WEAK else "compare.opposite"


def comparison_text(comparison: Comparison, head: Head, label: str, language: str = "en") -> str:
    """The rank correlation with its verdict, whether it could have been otherwise, and what the network
    itself used."""
    layer = layer_name(head.backbone, comparison.layer, language)
    parts = [
        text("compare.result", language, label=label, layer=layer, rho=comparison.rho, k=comparison.k,
             overlap=comparison.overlap),
        text(verdict_key(comparison.rho), language),
        text("compare.circular" if comparison.by_construction else "compare.independent", language),
    ]  # fmt: skip
    if head.form is MapForm.QUERY_ROW:
        parts.append(text("compare.query", language))
    parts.append(text("compare.note", language))
    return " ".join(parts)


class SanityCheck(NamedTuple):
    rho: float  # Spearman rank correlation of the real map and the map with randomised weights
    threshold: float  # mean Spearman between this head kind's maps of two different photos
    passed: bool  # rho <= threshold: randomising the weights changed the map at least that much


def sanity_threshold(kind: str) -> float:
    """The measured threshold of a head kind; the strictest measured one for kinds not measured."""
    return SANITY_THRESHOLDS.get(kind, min(SANITY_THRESHOLDS.values()))


def sanity_check(real: np.ndarray, randomised: np.ndarray, kind: str) -> SanityCheck:
    """Model randomisation test (Adebayo et al., 2018) with a verdict: a map that explains the head
    should, once the head's weights are noise, resemble the real map no more than another photo's does."""
    rho = readouts.spearman(real, randomised)
    threshold = sanity_threshold(kind)
    return SanityCheck(rho, threshold, rho <= threshold)


def sanity_text(check: SanityCheck, language: str = "en") -> str:
    return text("sanity.pass" if check.passed else "sanity.fail", language, rho=check.rho, threshold=check.threshold)


def occlusion_explanation(before: float, after: float, label: str, language: str = "en") -> str:
    """Why the covered photo's probability of `label` moved the way it did, in one line."""
    if abs(after - before) < OCCLUSION_SAME:
        return text("occlusion.same", language, label=label)
    return text("occlusion.fell" if after < before else "occlusion.rose", language, label=label)


def deletion_caption(label: str, language: str = "en") -> str:
    return text("deletion.caption", language, label=label)


def deletion_explanation(curve: DeletionCurve, language: str = "en") -> str:
    """Whether covering by attention hurt the prediction sooner than covering at random."""
    attention, random = curve.attention_area, curve.random_area
    key = "deletion.faster" if attention < random else "deletion.slower"
    return text(key, language, attention=attention, random=random)
