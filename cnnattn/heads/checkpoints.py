"""Trained head weights: safetensors files with a JSON card beside them.

Loading never unpickles: safetensors holds tensors only, and the card is plain JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from cnnattn.errors import UserError
from cnnattn.shipped import DEFAULT_CHECKPOINT_DIR as DEFAULT_CHECKPOINT_DIR  # re-exported


class CheckpointError(UserError):
    """A checkpoint is missing, corrupt or does not fit the backbone: one sentence, in any language
    (`cnnattn.errors.error_message`)."""


@dataclass(frozen=True)
class HeadCheckpoint:
    kind: str  # registry key of the head kind, e.g. "simple"
    head: nn.Module  # the loaded head, in eval mode
    card: dict  # the training card (config, data, metrics)


def checkpoint_paths(directory: Path, backbone: str, kind: str) -> tuple[Path, Path]:
    stem = directory / f"{backbone}-{kind}"
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def save_head(directory: Path, backbone: str, kind: str, head: nn.Module, card: dict) -> Path:
    weights_path, card_path = checkpoint_paths(directory, backbone, kind)
    directory.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}, str(weights_path))
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights_path


def load_head(
    directory: Path, backbone: str, kind: str, module_type: type[nn.Module], in_channels: int
) -> HeadCheckpoint:
    """Load one trained head module (built as `module_type(in_channels, **card["head_config"])`);
    raise CheckpointError with a user-facing sentence on any problem."""
    weights_path, card_path = checkpoint_paths(directory, backbone, kind)
    if not weights_path.is_file() or not card_path.is_file():
        raise CheckpointError("error.checkpoint.missing", kind=kind, backbone=backbone, directory=str(directory))
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        config = dict(card["head_config"])
        state = load_file(str(weights_path))
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
        raise CheckpointError("error.checkpoint.corrupt", kind=kind, name=weights_path.name) from exc
    if card.get("backbone") != backbone:
        raise CheckpointError(
            "error.checkpoint.backbone",
            name=weights_path.name,
            trained=repr(card.get("backbone")),
            backbone=repr(backbone),
        )
    try:
        head = module_type(in_channels, **config)
        head.load_state_dict(state)
    except (TypeError, RuntimeError) as exc:
        raise CheckpointError(
            "error.checkpoint.fit", name=weights_path.name, backbone=backbone, channels=in_channels
        ) from exc
    return HeadCheckpoint(kind, head.eval().requires_grad_(False), card)
