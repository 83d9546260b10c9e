"""Pretrained CNN backbones: a registry of specs (one place for every per-backbone fact) and one factory.

Names and specs import at once; the models' side (torch, timm) loads on first use of one of its names,
so reading `BACKBONES` (the CLI's parser) costs no torch import.
"""

import importlib

from cnnattn.backbones.specs import BACKBONES, DEFAULT_BACKBONE, FINAL, BackboneSpec, BackboneUnavailable

_FROM_REGISTRY = ("Backbone", "Encoded", "capture_stages", "create_backbone")


def __getattr__(name: str):
    if name in _FROM_REGISTRY:
        return getattr(importlib.import_module("cnnattn.backbones.registry"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
