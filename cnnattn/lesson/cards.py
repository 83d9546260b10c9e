"""What the trained heads' cards measured, worded for the lesson: top-1 accuracy of each pooling.

Read from the loaded heads' cards at run time (retraining rewrites them), never copied into code.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnattn.heads import Head
from cnnattn.heads.simple import TrainedHead
from cnnattn.i18n import count, text
from cnnattn.names import kind_name


@dataclass(frozen=True)
class PoolingAccuracy:
    """Top-1 accuracy of the network with a trained head in place of average pooling, from its card."""

    kind: str  # registry key of the head kind, e.g. "simple"
    head: float  # top-1 with the head's pooling, 0..1
    backbone: float  # top-1 of the network itself (average pooling) on the same photos
    images: int  # how many photos
    split: str  # "held_out" (never used in training) or "validation" (used to choose settings)


def pooling_accuracy(head: Head) -> PoolingAccuracy | None:
    """The accuracy a trained head's card reports, preferring the held-out evaluation; None for heads
    without a card or a card without one."""
    if not isinstance(head, TrainedHead):
        return None
    card = head.card
    metrics = card.get("metrics", {})
    held_out = metrics.get("held_out", {}).get("summary", {})  # `cnnattn evaluate --update-cards`
    top1, images = held_out.get("top1", {}), held_out.get("labelled_images")
    if head.kind in top1 and "backbone" in top1 and isinstance(images, int) and images > 0:
        return PoolingAccuracy(head.kind, float(top1[head.kind]), float(top1["backbone"]), images, "held_out")
    split_images = card.get("data", {}).get("split", {}).get("held_out_images")
    # Older cards: version 1's `cnnattn evaluate` block; held-out figures from training;
    # else the validation figures a fresh training writes before evaluation.
    candidates = [
        (metrics.get("evaluation", {}).get("top1"), "head", "backbone", "held_out"),
        (metrics.get("held_out_during_training"), "head_top1", "backbone_top1", "held_out"),
        (metrics.get("validation_during_training"), "top1", "backbone_top1", "validation"),
    ]
    for found, head_key, backbone_key, split in candidates:
        if not isinstance(found, dict) or head_key not in found or backbone_key not in found:
            continue
        images = found.get("images", split_images if split == "held_out" else None)
        if isinstance(images, int) and images > 0:
            return PoolingAccuracy(head.kind, float(found[head_key]), float(found[backbone_key]), images, split)
    return None


def accuracy_text(heads, language: str = "en") -> str:
    """One sentence per set of photos the cards measured on (average pooling, then each trained kind),
    then whether attention pooling beat average pooling anywhere; empty when no card has the numbers."""
    groups: dict[tuple[str, int, float], list[tuple[str, float]]] = {}
    for head in heads:
        if (accuracy := pooling_accuracy(head)) is not None:
            key = (accuracy.split, accuracy.images, accuracy.backbone)
            groups.setdefault(key, []).append((kind_name(head, language), accuracy.head))
    sentences, better = [], []
    for (split, images, backbone), measured in groups.items():
        items = [text("accuracy.item", language, name=name, value=value) for name, value in measured]
        sentences.append(
            text(f"accuracy.{split}", language, photos=count("count.photo", images, language), backbone=backbone,
                 heads=text("list.separator", language).join(items))
        )  # fmt: skip
        better += [text("accuracy.better", language, name=n, diff=v - backbone) for n, v in measured if v > backbone]
    if not sentences:
        return ""
    return text("sentence.separator", language).join(sentences + (better or [text("accuracy.not_better", language)]))
