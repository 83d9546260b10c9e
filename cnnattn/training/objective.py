"""What the training loop (`cnnattn.training.fit.train`) needs from a trained kind's objective, and
the pieces the objectives share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

import torch
import torch.nn.functional as F

from cnnattn.backbones import Backbone
from cnnattn.heads.simple import TrainedHead, TrainingOutputs
from cnnattn.training.batches import MosaicSampler

Forward = Callable[[torch.Tensor], TrainingOutputs]  # features (B, C, h, w) -> the module's outputs


@dataclass(frozen=True)
class BatchContext:
    """What an objective's loss terms see besides the batch itself (one per epoch of `train`)."""

    forward: Forward  # the module being fitted, on feature maps
    backbone: Backbone  # frozen: its classifier and predictions are targets
    mosaics: MosaicSampler | None  # mosaic batches when a term uses them (`Objective.uses_mosaics`)
    generator: torch.Generator  # the epoch's seeded draws (batches, augmentation, mosaics)
    device: torch.device | str


class Objective(Protocol):
    """What `train` needs from a kind's settings (a frozen dataclass: the card stores its fields)."""

    epochs: int
    lr: float
    weight_decay: float
    batch_size: int
    seed: int
    flip: bool  # mirror cached feature maps at random
    crop: float  # probability of a random sub-grid crop of a batch
    mosaic_layouts: tuple[str, ...]  # keys of MOSAIC_LAYOUTS
    uses_coco: ClassVar[bool]  # validation reports the COCO object figure

    @property
    def uses_mosaics(self) -> bool:
        """A term needs mosaic batches (`MosaicSampler` of the mosaic_layouts field)."""

    def head_config(self) -> dict: ...  # keyword arguments of the kind's module_type (the card's head_config)

    def describe(self) -> str: ...

    def build(self, kind: type[TrainedHead], in_channels: int) -> torch.nn.Module: ...

    def terms(self, context: BatchContext, features, labels) -> dict[str, torch.Tensor]:
        """The weighted loss terms of one batch (their sum is the loss); `context.mosaics` is None or a sampler."""

    def validate(self, forward: Forward, backbone: Backbone, dataset, split: str, device, coco=None) -> dict: ...


def build_module(kind: type[TrainedHead], module_type: type, objective: Objective, in_channels: int):
    """A fresh module, seeded, started as the kind says (`TrainedHead.initialise`)."""
    torch.manual_seed(objective.seed)
    module = module_type(in_channels, **objective.head_config())
    kind.initialise(module)
    return module


def backbone_kl(backbone: Backbone, features: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """KL(backbone || head) of the class distributions, batch mean."""
    with torch.no_grad():
        reference = backbone.forward_head(features).log_softmax(-1)
    return F.kl_div(logits.log_softmax(-1), reference, log_target=True, reduction="batchmean")
