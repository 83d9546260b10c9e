"""What is benchmarked: the explainer with every registered head (as shipped), and its input photo."""

from __future__ import annotations

from pathlib import Path

from cnnattn.explain import Explainer
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, checkpoint_paths


def load_explainer(device: str) -> Explainer:
    """The explainer the CLI and the app load by default; every head kind must load."""
    explainer = Explainer.load(device=device)
    if explainer.notes:
        raise RuntimeError(f"Benchmark heads failed to load: {explainer.notes}")
    return explainer


def head_origins(explainer: Explainer) -> dict[str, str]:
    """Head kind -> where its weights come from, for the report."""
    backbone = explainer.backbone.name
    return {
        head.kind: f"trained checkpoint {checkpoint_paths(DEFAULT_CHECKPOINT_DIR, backbone, head.kind)[0].name}"
        if head.trained
        else "built from the backbone (no training)"
        for head in explainer.heads
    }


def backbone_facts(explainer: Explainer) -> dict:
    """What the report says about the backbone, read from it (never written down here)."""
    backbone = explainer.backbone
    return {
        "name": backbone.name,
        "feature_layer": backbone.feature_layer,
        "num_features": backbone.num_features,
        "stride": backbone.stride,
        "maps": [str(head_id) for head_id in explainer.head_ids()],  # one query: one map per head id
    }


def example_photo() -> Path:
    """The photo every request-level benchmark uses (ships with gradio; 502x343 JPEG)."""
    from gradio.media import get_image

    return Path(get_image("cheetah.jpg"))
