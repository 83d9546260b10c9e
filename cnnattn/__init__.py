"""cnnattn: see where a convolutional network looks, through its attention heads' softmax weights."""

from cnnattn.backbones import BACKBONES, DEFAULT_BACKBONE, BackboneUnavailable, create_backbone
from cnnattn.explain import AttentionMap, Explainer, Explanation, Prediction
from cnnattn.heads import ClassAttention, SelfAttention, SimpleAttention
from cnnattn.image.loading import ImageRejected, load_image
from cnnattn.render import overlay

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "AttentionMap",
    "BackboneUnavailable",
    "ClassAttention",
    "Explainer",
    "Explanation",
    "ImageRejected",
    "Prediction",
    "SelfAttention",
    "SimpleAttention",
    "create_backbone",
    "load_image",
    "overlay",
]
