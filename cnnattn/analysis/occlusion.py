"""Occlusion: the photo with some grid cells covered, encoded again, to see what the prediction loses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnattn.backbones import Backbone, Encoded


def occlude(inputs: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """Cover the grid cells in `mask` (h, w) with the mean colour (0 after normalisation)."""
    H, W = inputs.shape[-2:]
    cells = torch.from_numpy(np.asarray(mask, dtype=np.float32))[None, None].to(inputs)  # (1, 1, h, w)
    keep = 1.0 - F.interpolate(cells, size=(H, W), mode="nearest")
    return inputs * keep


@dataclass(frozen=True)
class Occlusion:
    mask: np.ndarray  # (h, w) bool: the covered cells
    encoded: Encoded  # backbone output of the occluded input


@torch.inference_mode()
def occlusion(backbone: Backbone, inputs: torch.Tensor, mask: np.ndarray, size: tuple[int, int]) -> Occlusion:
    covered = occlude(inputs, mask)
    return Occlusion(np.asarray(mask, dtype=bool), backbone.encode(covered, size))
