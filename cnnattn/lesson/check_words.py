"""The checks' words: the comparison with Grad-CAM and the sanity check with their verdicts, and one-line
readings of occlusion and deletion results. The measurements themselves live in `cnnattn.analysis`
(comparison, sanity, occlusion, faithfulness)."""

from __future__ import annotations

from cnnattn.analysis.comparison import AGREE, WEAK, Comparison
from cnnattn.analysis.faithfulness import DeletionCurve
from cnnattn.analysis.sanity import SanityCheck
from cnnattn.heads import Head, MapForm
from cnnattn.i18n import text
from cnnattn.names import layer_name

OCCLUSION_SAME = 0.01  # a probability change under one percentage point reads as "hardly any change"


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
