"""RISE insertion and deletion on one photo with the backbone's own classifier: the setup both the
deletion curve of a grid map (`deletion_curve`, shown in the lesson) and `cnnattn evaluate` use, so
their areas agree for the same map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchvision.transforms.functional import gaussian_blur

from cnnattn.analysis.metrics import (
    Curves,
    Endpoints,
    PerturbationImages,
    insertion_deletion,
    perturbation_curve,
    trapezoid_auc,
)
from cnnattn.backbones import Backbone
from cnnattn.maps import upsample

BLUR_KERNEL, BLUR_SIGMA = 11, 5.0  # RISE's insertion baseline blur
BATCH = 8  # forward passes per chunk: bounded memory on large photos


@dataclass(frozen=True)
class PerturbationSetup(PerturbationImages):
    """One photo prepared for perturbation curves of any number of maps: `image` is the normalised
    network input, `grey` mid-grey in the network's input space."""

    class_index: int  # the explained class
    backbone: Backbone

    @classmethod
    @torch.inference_mode()
    def create(cls, backbone: Backbone, image: torch.Tensor, class_index: int) -> PerturbationSetup:
        mean = torch.tensor(backbone.data_config["mean"], device=image.device).view(3, 1, 1)
        std = torch.tensor(backbone.data_config["std"], device=image.device).view(3, 1, 1)
        grey = ((0.5 - mean) / std).expand_as(image)
        blurred = gaussian_blur(image[None], [BLUR_KERNEL, BLUR_KERNEL], [BLUR_SIGMA, BLUR_SIGMA])[0]
        setup = cls(image, blurred, grey, Endpoints(0.0, 0.0, 0.0), class_index, backbone)
        probs = setup.predict(torch.stack([image, blurred, grey]))
        ends = Endpoints(original=float(probs[0]), blurred=float(probs[1]), grey=float(probs[2]))
        return cls(image, blurred, grey, ends, class_index, backbone)

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N,) probability of the explained class, in bounded chunks."""
        model = self.backbone.model
        return torch.cat([model(chunk).softmax(-1)[:, self.class_index] for chunk in batch.split(BATCH)])


def curves_of(setup: PerturbationSetup, saliency: torch.Tensor, steps: int = 16) -> Curves:
    """Insertion and deletion curves of one (H, W) pixel saliency map."""
    return insertion_deletion(setup, saliency, setup.predict, steps)


def deletion_curve_of(setup: PerturbationSetup, saliency: torch.Tensor, steps: int = 16) -> torch.Tensor:
    """The deletion curve alone (steps + 1,): half the forward passes of `curves_of`."""
    ends = (setup.endpoints.original, setup.endpoints.grey)
    return perturbation_curve(setup.image, setup.grey, saliency, setup.predict, ends, steps)


@dataclass(frozen=True)
class DeletionCurve:
    fractions: np.ndarray  # (steps + 1,) share of pixels greyed, 0..1
    attention: np.ndarray  # (steps + 1,) class probability, pixels greyed heaviest-weight first
    random: np.ndarray  # (steps + 1,) class probability, pixels greyed in a seeded random order
    class_index: int

    @property
    def attention_area(self) -> float:
        """Area under the attention curve (the evaluation's deletion AUC): lower means the first
        pixels removed mattered more."""
        return trapezoid_auc(torch.as_tensor(self.attention))

    @property
    def random_area(self) -> float:
        return trapezoid_auc(torch.as_tensor(self.random))


@torch.inference_mode()
def deletion_curve(
    backbone: Backbone, inputs: torch.Tensor, weights: np.ndarray, class_index: int, steps: int = 16, seed: int = 0
) -> DeletionCurve:
    """RISE deletion curve of a grid map (the evaluation's own function) beside a random map's."""
    setup = PerturbationSetup.create(backbone, inputs[0], class_index)
    H, W = inputs.shape[-2:]
    random_grid = torch.rand(weights.shape, generator=torch.Generator().manual_seed(seed)).numpy()
    attention = deletion_curve_of(setup, torch.from_numpy(upsample(weights, H, W)), steps)
    random = deletion_curve_of(setup, torch.from_numpy(upsample(random_grid, H, W)), steps)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    return DeletionCurve(fractions, attention.numpy(), random.numpy(), class_index)
