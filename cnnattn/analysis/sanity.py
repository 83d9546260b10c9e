"""Model randomisation sanity check (Adebayo et al., 2018) with a measured pass threshold per head kind."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnattn.analysis import readouts

# Sanity thresholds: the mean Spearman rank correlation between one head kind's maps of two different
# photos on the same grid (query rows at the centre cell; ranks do not depend on T), measured with
#   python -m bench.sanity_threshold --photos 120
# on 120 photos of ../shared/data/imagenet-samples, 2026-11-25, after retraining the heads (1333 pairs
# for one-head kinds, 5332 for four heads, 6665 for five; sd about 0.22 per pair; docs/LESSON.md has
# the table). A map whose head's weights were randomised should resemble the real map no more than
# another photo's map does. Re-run after retraining.
SANITY_THRESHOLDS: dict[str, float] = {"class": 0.396, "simple": 0.177, "self": 0.414, "feature_self": 0.613}


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
