"""RISE insertion and deletion on one photo with the backbone's own classifier: the setup both the
lesson's deletion curve and `cnnattn evaluate` use, so their areas agree for the same map."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision.transforms.functional import gaussian_blur

from cnnattn.analysis.metrics import Curves, Endpoints, insertion_deletion, perturbation_curve
from cnnattn.backbones import Backbone

BLUR_KERNEL, BLUR_SIGMA = 11, 5.0  # RISE's insertion baseline blur
BATCH = 8  # forward passes per chunk: bounded memory on large photos


@dataclass(frozen=True)
class PerturbationSetup:
    """One photo prepared for perturbation curves of any number of maps."""

    image: torch.Tensor  # (3, H, W) normalised network input
    blurred: torch.Tensor  # (3, H, W) insertion start
    grey: torch.Tensor  # (3, H, W) deletion fill: mid-grey in the network's input space
    class_index: int  # the explained class
    endpoints: Endpoints
    backbone: Backbone

    @classmethod
    @torch.inference_mode()
    def create(cls, backbone: Backbone, image: torch.Tensor, class_index: int) -> PerturbationSetup:
        mean = torch.tensor(backbone.data_config["mean"], device=image.device).view(3, 1, 1)
        std = torch.tensor(backbone.data_config["std"], device=image.device).view(3, 1, 1)
        grey = ((0.5 - mean) / std).expand_as(image)
        blurred = gaussian_blur(image[None], [BLUR_KERNEL, BLUR_KERNEL], [BLUR_SIGMA, BLUR_SIGMA])[0]
        setup = cls(image, blurred, grey, class_index, Endpoints(0.0, 0.0, 0.0), backbone)
        probs = setup.predict(torch.stack([image, blurred, grey]))
        ends = Endpoints(original=float(probs[0]), blurred=float(probs[1]), grey=float(probs[2]))
        return cls(image, blurred, grey, class_index, ends, backbone)

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N,) probability of the explained class, in bounded chunks."""
        model = self.backbone.model
        return torch.cat([model(chunk).softmax(-1)[:, self.class_index] for chunk in batch.split(BATCH)])


def curves_of(setup: PerturbationSetup, saliency: torch.Tensor, steps: int = 16) -> Curves:
    """Insertion and deletion curves of one (H, W) pixel saliency map."""
    return insertion_deletion(setup.image, saliency, setup.predict, setup.blurred, setup.grey, setup.endpoints, steps)


def deletion_curve_of(setup: PerturbationSetup, saliency: torch.Tensor, steps: int = 16) -> torch.Tensor:
    """The deletion curve alone (steps + 1,): half the forward passes of `curves_of`."""
    ends = (setup.endpoints.original, setup.endpoints.grey)
    return perturbation_curve(setup.image, setup.grey, saliency, setup.predict, ends, steps)
