"""Backbone registry: embedded weights, local weights files, and one clear sentence when offline."""

import pytest
import torch
from safetensors.torch import save_file

from cnnattn.backbones import BACKBONES, BackboneUnavailable, create_backbone


def test_unknown_backbone_lists_choices():
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        create_backbone("vgg_nonexistent")


def test_local_weights_file_reproduces_embedded_backbone(tmp_path, explainer):
    embedded = explainer.backbone
    path = tmp_path / "lite0.safetensors"
    save_file({k: v.contiguous() for k, v in embedded.model.state_dict().items()}, str(path))
    loaded = create_backbone("efficientnet_lite0", weights=path)
    images = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        torch.testing.assert_close(
            loaded.forward_head(loaded.forward_features(images)),
            embedded.forward_head(embedded.forward_features(images)),
        )


def test_mismatched_weights_file_is_one_sentence(tmp_path):
    path = tmp_path / "wrong.safetensors"
    save_file({"conv_stem.weight": torch.zeros(1)}, str(path))
    with pytest.raises(BackboneUnavailable, match="does not match"):
        create_backbone("efficientnet_lite0", weights=path)


@pytest.mark.parametrize("name", [n for n, spec in BACKBONES.items() if not spec.embedded])
def test_downloadable_backbone_offline_says_what_is_missing(name, monkeypatch, tmp_path):
    # An empty cache and an unreachable hub: the state of this machine, made explicit.
    monkeypatch.setattr("cnnattn.backbones.registry.HUB_HOST", "hub.invalid")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(BackboneUnavailable, match="--weights PATH"):
        create_backbone(name)
