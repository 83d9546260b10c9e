"""What is benchmarked: the explainer with every head, and its input photo."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from cnnattn.backbones import DEFAULT_BACKBONE
from cnnattn.explain import Explainer
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, HEAD_TYPES, CheckpointError, checkpoint_paths, load_head

# The shapes `python -m cnnattn train` produces by default; used when no trained head exists.
UNTRAINED_CONFIG = {"simple": {"num_heads": 4}, "self": {"num_heads": 4, "head_dim": 64}}
IN_CHANNELS = 1280  # EfficientNet-Lite0's last feature map


def head_checkpoints(scratch: Path, backbone: str = DEFAULT_BACKBONE) -> tuple[Path, dict[str, str]]:
    """A checkpoint folder holding every head kind: trained ones copied from checkpoints/,
    untrained ones (seeded, trained shapes) for the rest. Timings need the work, not the skill."""
    scratch.mkdir(parents=True, exist_ok=True)
    origin = {}
    for kind, config in UNTRAINED_CONFIG.items():
        try:
            load_head(DEFAULT_CHECKPOINT_DIR, backbone, kind, IN_CHANNELS)
        except CheckpointError:
            from cnnattn.heads.checkpoints import save_head

            torch.manual_seed(0)
            head = HEAD_TYPES[kind](IN_CHANNELS, **config)
            save_head(scratch, backbone, kind, head, {"backbone": backbone, "head_config": config, "untrained": True})
            origin[kind] = f"untrained {HEAD_TYPES[kind].__name__}({IN_CHANNELS}, {config}) (no checkpoint yet)"
            continue
        for path in checkpoint_paths(DEFAULT_CHECKPOINT_DIR, backbone, kind):
            shutil.copy(path, scratch / path.name)
        origin[kind] = f"trained checkpoint {checkpoint_paths(DEFAULT_CHECKPOINT_DIR, backbone, kind)[0].name}"
    return scratch, origin


def load_explainer(device: str, checkpoint_dir: Path) -> Explainer:
    explainer = Explainer.load(device=device, checkpoint_dir=checkpoint_dir)
    if explainer.notes:
        raise RuntimeError(f"Benchmark heads failed to load: {explainer.notes}")
    return explainer


def example_photo() -> Path:
    """The photo every request-level benchmark uses (ships with gradio; 502x343 JPEG)."""
    from gradio.media import get_image

    return Path(get_image("cheetah.jpg"))
