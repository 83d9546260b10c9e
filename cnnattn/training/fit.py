"""One training loop for every trained head kind, on cached frozen-backbone features
(`cnnattn.training.features.Dataset`). The backbone never changes.

The loop (`train`) owns what all kinds share: batches, augmentation, mosaics (`cnnattn.training.batches`),
the optimiser and its schedule, the history. The kind supplies its module's start and forward
(`TrainedHead.initialise`, `TrainedHead.training_outputs`); its objective (an `Objective` of
`cnnattn.training.objective`: `SimpleObjective`, `SelfObjective` in their own modules) supplies the
loss terms and the validation measures, as a CAM method overrides one hook of its base class.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial

import torch

from cnnattn.backbones import Backbone
from cnnattn.heads.simple import TrainedHead
from cnnattn.training.batches import MosaicSampler, augment, shape_batches, stack
from cnnattn.training.data import TILE_VIEW
from cnnattn.training.objective import BatchContext, Objective


def _cosine(optimizer, lr: float, epoch: int, epochs: int) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def _train_samples(dataset) -> tuple[list[int], list[int]]:
    whole = dataset.samples("train", set(range(TILE_VIEW)))
    tiles = [i for i in dataset.samples("train") if int(dataset.features.view[i]) >= TILE_VIEW]
    return whole, tiles


def train(
    kind: type[TrainedHead],
    objective: Objective,
    dataset,
    backbone: Backbone,
    device,
    log: Callable[[str], None] = print,
) -> tuple[torch.nn.Module, list[dict]]:
    """Fit a fresh module of `kind` on the train split -> (module in eval mode, per-epoch history)."""
    module = objective.build(kind, backbone.num_features).to(device)
    forward = partial(kind.training_outputs, module, backbone)
    optimizer = torch.optim.AdamW(module.parameters(), lr=objective.lr, weight_decay=objective.weight_decay)
    whole, tiles = _train_samples(dataset)
    sampler = MosaicSampler(dataset.features, tiles, objective.mosaic_layouts) if objective.uses_mosaics else None
    history = []
    for epoch in range(objective.epochs):
        started = time.perf_counter()
        _cosine(optimizer, objective.lr, epoch, objective.epochs)
        # One generator per epoch draws batches, augmentation and mosaics in a fixed order: reruns match.
        generator = torch.Generator().manual_seed(objective.seed * 1000 + epoch)
        context = BatchContext(forward, backbone, sampler, generator, device)
        totals: dict[str, float] = {}
        module.train()
        batches = shape_batches(dataset.features, whole, objective.batch_size, generator)
        for batch in batches:
            features, labels = stack(dataset.features, batch, device)
            features = augment(features, objective.flip, objective.crop, generator)
            terms = objective.terms(context, features, labels)
            loss = sum(terms.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for name, value in terms.items():
                totals[name] = totals.get(name, 0.0) + float(value.detach()) / len(batches)
        module.eval()
        record = {"epoch": epoch + 1, "seconds": round(time.perf_counter() - started, 1)}
        record |= {f"loss_{k}": round(v, 4) for k, v in totals.items()}
        history.append(record)
        log(f"{kind.kind} epoch {epoch + 1}/{objective.epochs}: " + ", ".join(f"{k} {v}" for k, v in record.items()))
    return module, history


def objective_record(objective) -> dict:
    return asdict(objective)
