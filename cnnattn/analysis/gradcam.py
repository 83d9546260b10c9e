r"""Grad-CAM (Selvaraju et al., 2017) of a backbone, by pytorch-grad-cam: the one implementation the
lesson, the evaluation and the benchmarks call; `gradcam_grid` puts it on the heads' grid.

.. math:: L^c = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big), \qquad
          \alpha_k^c = \frac{1}{Z}\sum_{i,j} \frac{\partial y^c}{\partial A^k_{ij}}
"""

from __future__ import annotations

import copy
import threading
import weakref

import numpy as np
import torch
from torch import nn

from cnnattn.backbones import Backbone
from cnnattn.maps import to_grid

# One gradient-enabled copy of each backbone's network, made on first use: copying per call cost
# more than the Grad-CAM itself (bench/per_image.py). The lock serialises the copy's hooks.
_COPIES: weakref.WeakKeyDictionary[Backbone, tuple[nn.Module, threading.Lock]] = weakref.WeakKeyDictionary()
_COPIES_LOCK = threading.Lock()


def _gradient_copy(backbone: Backbone) -> tuple[nn.Module, threading.Lock]:
    with _COPIES_LOCK:
        if backbone not in _COPIES:
            network = copy.deepcopy(backbone.model).requires_grad_(True).eval()
            _COPIES[backbone] = (network, threading.Lock())
        return _COPIES[backbone]


def gradcam(backbone: Backbone, inputs: torch.Tensor, class_index: int, layer: str | None = None) -> np.ndarray:
    """(H_in, W_in) map in [0, 1] for one image (1, 3, H_in, W_in), at `layer` (default: the
    backbone's feature layer, from its spec).

    Grad-CAM registers hooks and needs gradients, so it runs on a copy of the network (made once
    per backbone): the shared backbone keeps serving other requests unchanged, even if this fails.
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    network, lock = _gradient_copy(backbone)
    target = network.get_submodule(layer or backbone.feature_layer)
    with lock, torch.enable_grad(), GradCAM(network, [target]) as cam:  # removes its hooks on exit
        maps = cam(inputs.detach().clone(), targets=[ClassifierOutputTarget(class_index)])  # (1, H_in, W_in)
    return maps[0]


def gradcam_grid(backbone: Backbone, inputs: torch.Tensor, class_index: int, layer: str | None = None) -> np.ndarray:
    """Grad-CAM of the backbone for one class, averaged onto the heads' grid, summing to 1."""
    cam = gradcam(backbone, inputs, class_index, layer)  # (H_in, W_in)
    H, W = inputs.shape[-2:]
    return to_grid(cam, (H // backbone.stride, W // backbone.stride))
