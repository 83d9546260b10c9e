"""Per image, same backbone, input and device: the bare forward (the floor) vs cnnattn with every
head vs gradient- and activation-based maps from grad-cam and TorchCAM."""

from __future__ import annotations

import copy

import torch
from torch import nn

from bench.timing import Samples, interleaved, synchronizer
from cnnattn.explain import Encoded, Explainer

FLOOR = "backbone forward (floor)"
CNNATTN = "cnnattn, all heads"
GRADCAM = "Grad-CAM (grad-cam)"
GRADCAM_LEAN = "Grad-CAM (grad-cam), grads from bn2 only"
TORCHCAM_GRADCAM = "TorchCAM GradCAM"
TORCHCAM_CAM = "TorchCAM CAM"


def _copy(net: nn.Module, trainable: tuple[str, ...] | None) -> nn.Module:
    """A private copy with the same weights; hooks from one tool never slow another.

    trainable=None: every parameter requires grad, as a freshly loaded model does (how the tools
    are used). Otherwise only the named submodules do, the least autograd Grad-CAM needs.
    """
    clone = copy.deepcopy(net).eval()
    clone.requires_grad_(trainable is None)
    for name in trainable or ():
        clone.get_submodule(name).requires_grad_(True)
    return clone


def methods(explainer: Explainer, inputs: torch.Tensor) -> tuple[dict, list]:
    """Callables, one map (or logits for the floor) per call, and the hooks to release afterwards."""
    from pytorch_grad_cam import GradCAM
    from torchcam import methods as torchcam

    net = explainer.model.backbone.model
    B, _, H, W = inputs.shape

    def floor():
        with torch.inference_mode():
            return net(inputs)

    def cnnattn():
        with torch.inference_mode():
            features, logits = explainer.model(inputs)
        return explainer.explain_encoded(Encoded(features, logits, (W, H)))

    full, lean = _copy(net, None), _copy(net, ("bn2", "classifier"))
    gradcam = GradCAM(model=full, target_layers=[full.bn2])
    gradcam_lean = GradCAM(model=lean, target_layers=[lean.bn2])
    tc_grad_net, tc_cam_net = _copy(net, None), _copy(net, None)
    tc_gradcam = torchcam.GradCAM(tc_grad_net, target_layer="bn2")
    tc_cam = torchcam.CAM(tc_cam_net, target_layer="bn2", fc_layer="classifier")

    def torchcam_gradcam():
        scores = tc_grad_net(inputs)
        return tc_gradcam(int(scores.argmax(dim=1)[0]), scores)

    def torchcam_cam():
        with torch.no_grad():  # CAM needs activations and fc weights only
            scores = tc_cam_net(inputs)
            return tc_cam(int(scores.argmax(dim=1)[0]), scores)

    timed = {
        FLOOR: floor,
        CNNATTN: cnnattn,
        GRADCAM: lambda: gradcam(input_tensor=inputs, targets=None),
        GRADCAM_LEAN: lambda: gradcam_lean(input_tensor=inputs, targets=None),
        TORCHCAM_GRADCAM: torchcam_gradcam,
        TORCHCAM_CAM: torchcam_cam,
    }
    releases = [gradcam.activations_and_grads.release, gradcam_lean.activations_and_grads.release]
    releases += [tc_gradcam.remove_hooks, tc_cam.remove_hooks]
    return timed, releases


def run(explainer: Explainer, sizes: list[int], repeats: int, warmup: int) -> list[dict]:
    """One row per (size, method): median and quartiles in ms, and the ratio to the floor."""
    rows = []
    sync = synchronizer(explainer.device)
    for size in sizes:
        generator = torch.Generator().manual_seed(size)
        inputs = torch.randn(1, 3, size, size, generator=generator).to(explainer.device)
        timed, releases = methods(explainer, inputs)
        try:
            samples: dict[str, Samples] = interleaved(timed, repeats, warmup, sync)
        finally:
            for release in releases:
                release()
        floor = samples[FLOOR].median_ms
        cnnattn = samples[CNNATTN].median_ms
        for name, result in samples.items():
            low, high = result.iqr_ms
            rows.append(
                {
                    "size": size,
                    "method": name,
                    "median_ms": result.median_ms,
                    "p25_ms": low,
                    "p75_ms": high,
                    "x_floor": result.median_ms / floor,
                    "x_cnnattn": result.median_ms / cnnattn,
                    "repeats": len(result.seconds),
                }
            )
    return rows


def threads(explainer: Explainer, counts: list[int], size: int, repeats: int, warmup: int) -> list[dict]:
    """The floor and cnnattn at each intra-op thread count, interleaved round by round: on a busy
    machine more threads can be much slower, because every small op waits for all its threads."""
    previous = torch.get_num_threads()
    inputs = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(size)).to(explainer.device)
    timed, releases = methods(explainer, inputs)
    for release in releases:
        release()

    def at(count: int, method):
        def call():
            torch.set_num_threads(count)
            return method()

        return call

    chosen = {(count, name): at(count, timed[name]) for count in counts for name in (FLOOR, CNNATTN)}
    try:
        samples = interleaved(chosen, repeats, warmup, synchronizer(explainer.device))
    finally:
        torch.set_num_threads(previous)
    return [
        {"threads": count, "size": size, "method": name, "median_ms": result.median_ms}
        for (count, name), result in samples.items()
    ]
