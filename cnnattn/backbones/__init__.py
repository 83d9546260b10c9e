"""Pretrained CNN backbones: a registry of specs (one place for every per-backbone fact) and one factory."""

from cnnattn.backbones.registry import (
    BACKBONES,
    DEFAULT_BACKBONE,
    FINAL,
    Backbone,
    BackboneSpec,
    BackboneUnavailable,
    Encoded,
    capture_stages,
    create_backbone,
)

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "FINAL",
    "Backbone",
    "BackboneSpec",
    "BackboneUnavailable",
    "Encoded",
    "capture_stages",
    "create_backbone",
]
