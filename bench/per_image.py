"""Per image, same backbone, input and device: the bare forward (the floor) vs cnnattn with every
head vs the library's Grad-CAM and TorchCAM's gradient- and activation-based maps."""

from __future__ import annotations

import copy

import torch
from torch import nn

from bench.timing import Samples, interleaved, synchronizer
from cnnattn.analysis.gradcam import gradcam
from cnnattn.explain import Explainer

FLOOR = "backbone forward (floor)"
CNNATTN = "cnnattn, all heads"
GRADCAM = "Grad-CAM (cnnattn.analysis.gradcam)"
NETWORK_COPY = "deep copy of the network (part of Grad-CAM)"
TORCHCAM_GRADCAM = "TorchCAM GradCAM"
TORCHCAM_CAM = "TorchCAM CAM"


def _copy(net: nn.Module) -> nn.Module:
    """A private copy with the same weights, every parameter requiring grad as a freshly loaded
    model does (how the tools are used); its hooks never slow another method."""
    return copy.deepcopy(net).eval().requires_grad_(True)


def _name_of(net: nn.Module, module: nn.Module) -> str:
    return next(name for name, candidate in net.named_modules() if candidate is module)


def methods(explainer: Explainer, inputs: torch.Tensor) -> tuple[dict, list]:
    """Callables, one map (or logits for the floor) per call, and the hooks to release afterwards."""
    from torchcam import methods as torchcam

    backbone = explainer.backbone
    net = backbone.model
    _, _, height, width = inputs.shape
    with torch.inference_mode():
        class_index = int(net(inputs).argmax())  # the class the library's Grad-CAM explains: the top-1

    def floor():
        with torch.inference_mode():
            return net(inputs)

    def cnnattn():
        return explainer.explain_encoded(explainer.encode_inputs(inputs[0], (width, height)))

    tc_grad_net, tc_cam_net = _copy(net), _copy(net)
    tc_gradcam = torchcam.GradCAM(tc_grad_net, target_layer=backbone.feature_layer)
    tc_cam = torchcam.CAM(tc_cam_net, target_layer=backbone.feature_layer, fc_layer=_name_of(net, backbone.classifier))

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
        GRADCAM: lambda: gradcam(backbone, inputs, class_index),
        NETWORK_COPY: lambda: copy.deepcopy(net),
        TORCHCAM_GRADCAM: torchcam_gradcam,
        TORCHCAM_CAM: torchcam_cam,
    }
    return timed, [tc_gradcam.remove_hooks, tc_cam.remove_hooks]


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
