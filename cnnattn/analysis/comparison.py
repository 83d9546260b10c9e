r"""A head's map against a post-hoc reference map (Grad-CAM), and where that reference runs.

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
from typing import Protocol

import numpy as np

from cnnattn.analysis import readouts
from cnnattn.backbones import FINAL, Backbone
from cnnattn.maps import to_grid, upsample

# The comparison's verdict on Spearman's rho (the i18n verdicts state the same bounds): "agree" from AGREE up,
# "agree only weakly" from WEAK, "do not agree" above -WEAK, "disagree" (opposite orders) at -WEAK or below.
AGREE = 0.5
WEAK = 0.2


class Mapped(Protocol):
    """What the comparison reads of a head (a `cnnattn.heads.Head`): measurements never import heads."""

    class_conditional: bool  # its scores are the classifier's row of the explained class
    backbone: Backbone


def reference_layer(backbone: Backbone) -> str:
    """Where the reference Grad-CAM runs: the earliest kept stage (``blocks.4`` on Lite0, stride 16),
    or the feature layer for a backbone that keeps none."""
    return next(iter(backbone.stages), backbone.feature_layer)


def agrees_by_construction(head: Mapped, layer: str, backbone: Backbone) -> bool:
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


def compare(head: Mapped, weights: np.ndarray, reference: np.ndarray, layer: str, k: int = 5) -> Comparison:
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
