"""Encoding several photos in one backbone pass without changing any photo's result."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from cnnattn.backbones import Backbone, Encoded


def encode_grouped(
    backbone: Backbone, inputs: Sequence[torch.Tensor], sizes: Sequence[tuple[int, int]], device: torch.device
) -> list[Encoded]:
    """Encode preprocessed photos (3, H, W), one backbone pass per distinct input shape.

    Photos are never padded to a common size (padding would change their features), so a pass
    holds only photos of the same shape and each result equals a batch of one (to float rounding:
    logits within ~1e-6 on CPU). Results come back on the CPU, ready to travel."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for index, tensor in enumerate(inputs):
        groups.setdefault(tuple(tensor.shape), []).append(index)
    results: list[Encoded | None] = [None] * len(inputs)
    with torch.inference_mode():
        for members in groups.values():
            batch = torch.stack([inputs[i] for i in members]).to(device)  # (B, 3, H, W)
            encoded = backbone.encode(batch, sizes[members[0]])
            for row, index in enumerate(members):
                results[index] = cpu_encoded(encoded, row, sizes[index])
    return results


def cpu_encoded(encoded: Encoded, row: int = 0, size: tuple[int, int] | None = None) -> Encoded:
    """Photo `row` of a batch's encoding as its own (1, ...) CPU tensors.

    Cloned, because pickling a view ships the whole batch's storage."""

    def one(t: torch.Tensor) -> torch.Tensor:
        return t[row : row + 1].cpu().clone()

    stages = {name: one(t) for name, t in encoded.stages.items()}
    return Encoded(one(encoded.features), one(encoded.logits), tuple(size or encoded.size), stages)
