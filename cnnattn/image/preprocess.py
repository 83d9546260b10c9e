"""Turn a photo into the backbone's input without cropping, so every map covers the whole photo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

_RESAMPLING = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


@dataclass(frozen=True)
class Preprocessing:
    """Resize the whole photo (aspect kept) and normalise it as the backbone was trained."""

    short_side: int  # pixels on the shorter side: input_size / crop_pct, the scale seen in training
    multiple: int  # both sides are rounded to the backbone stride so grid cells tile the photo
    max_long_side: int  # bounds compute for panoramas
    mean: tuple[float, float, float]  # per-channel normalisation from the backbone's config
    std: tuple[float, float, float]
    interpolation: str  # "bicubic" or "bilinear"

    @classmethod
    def from_config(cls, data_config: dict, stride: int, short_side: int | None = None) -> Preprocessing:
        if short_side is None:
            short_side = round(data_config["input_size"][-1] / data_config.get("crop_pct", 1.0))
        return cls(
            short_side=short_side,
            multiple=stride,
            max_long_side=4 * short_side,
            mean=tuple(data_config["mean"]),
            std=tuple(data_config["std"]),
            interpolation=data_config.get("interpolation", "bicubic"),
        )

    def input_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the network input for a photo of this size."""
        scale = self.short_side / min(width, height)
        scale = min(scale, self.max_long_side / max(width, height))

        def snap(side: float) -> int:
            return max(self.multiple, round(side * scale / self.multiple) * self.multiple)

        return snap(width), snap(height)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """RGB PIL image -> normalised float tensor (3, H, W)."""
        resized = image.resize(self.input_size(*image.size), _RESAMPLING[self.interpolation])
        pixels = torch.from_numpy(np.array(resized, dtype=np.uint8)).permute(2, 0, 1)  # (3, H, W)
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return (pixels.float() / 255.0 - mean) / std
