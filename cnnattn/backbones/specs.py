"""The backbones' names and facts, without torch or timm: the CLI's parser (`cnnattn --help`) reads
them, so this module imports nothing heavy; `cnnattn.backbones.registry` builds the models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

DEFAULT_BACKBONE = "efficientnet_lite0"
FINAL = "final"  # name of the last feature map (what the classifier and every trained head see)


class BackboneUnavailable(RuntimeError):
    """The backbone's pretrained weights cannot be found or loaded; the message says how to fix it."""


@dataclass(frozen=True)
class BackboneSpec:
    """Every fact about a backbone that timm's common surface does not give."""

    timm_name: str  # architecture passed to timm.create_model
    embedded: bool  # weights ship with an installed package (no download)
    # Per-position part of the classifier head before the linear layer (ConvNeXt normalises
    # pooled features; a 1x1 "position" must get the same norm for class maps to be exact).
    position_norm: Callable[[nn.Module], nn.Module]
    feature_layer: str  # submodule whose output is forward_features' map (Grad-CAM's usual layer)


def _no_norm(model: nn.Module) -> nn.Module:
    from torch import nn  # called only while a model is built, when torch is loaded anyway

    return nn.Identity()


def _convnext_norm(model: nn.Module) -> nn.Module:
    return model.head.norm


BACKBONES: dict[str, BackboneSpec] = {
    "efficientnet_lite0": BackboneSpec("tf_efficientnet_lite0", True, _no_norm, "bn2"),
    "resnet50": BackboneSpec("resnet50", False, _no_norm, "layer4"),
    "convnext_tiny": BackboneSpec("convnext_tiny", False, _convnext_norm, "stages.3"),
}
