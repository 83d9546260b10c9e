"""Per-photo records of `cnnattn evaluate` (`cnnattn.training.evaluate`): top-1, entropy, divergence
and evidence figures of each photo, its insertion/deletion AUCs and its COCO object figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from cnnattn.analysis.faithfulness import PerturbationSetup, curves_of
from cnnattn.analysis.gradcam import gradcam
from cnnattn.analysis.metrics import centred_gaussian
from cnnattn.explain import Explainer
from cnnattn.heads import MapOptions, position_weights
from cnnattn.image.loading import load_image
from cnnattn.maps import upsample
from cnnattn.training import objectives as O
from cnnattn.training.coco import COCO_STUFF_FIRST_ID, coco_photos, coco_queries, object_ratios
from cnnattn.training.splits import split_of

EVIDENCE_QUANTILE = 0.75  # "evidence cells": the quarter of cells with the largest w_c . x_p for the predicted class
COLLAPSE = 0.9  # a map with more than this on one cell counts as collapsed
CENTRE_BOX = 0.5  # "centre": the middle half of the width and of the height (a quarter of the area)


def _upper_mask(h: int, w: int) -> torch.Tensor:
    """1 on the upper half of the grid, 0.5 on a middle row, 0 below: a uniform map puts 50% there."""
    centres = (torch.arange(h) + 0.5) / h
    rows = torch.where(centres < 0.5, 1.0, torch.where(centres > 0.5, 0.0, 0.5))
    return rows[:, None].expand(h, w).flatten()


def _centre_mask(h: int, w: int) -> torch.Tensor:
    ys = (torch.arange(h) + 0.5) / h
    xs = (torch.arange(w) + 0.5) / w
    inside = lambda t: (t >= 0.5 - CENTRE_BOX / 2) & (t <= 0.5 + CENTRE_BOX / 2)  # noqa: E731
    return (inside(ys)[:, None] & inside(xs)[None, :]).flatten().float()


@torch.inference_mode()
def photo_record(explainer: Explainer, photo: Image.Image, label: int | None) -> tuple[dict, object]:
    """Top-1, entropy, divergence and evidence figures of one photo; also returns its encoding."""
    encoded = explainer.encode(photo)
    features = encoded.features  # (1, C, h, w)
    h, w = features.shape[-2:]
    predicted = int(encoded.logits.argmax())
    record: dict = {"predicted": predicted, "label": label, "grid": [h, w]}
    if label is not None:
        record["backbone_correct"] = predicted == label
    class_head = explainer.head("class")
    class_inputs = class_head.map_inputs(encoded, MapOptions(predicted))
    class_scores = class_inputs.scores  # (1, h, w): w_c . x_p + b_c
    class_weights = position_weights(class_inputs, class_head.default_temperature)
    record["class_entropy_ratio"] = float(O.entropy_ratio(class_weights.flatten(1).double())[0])
    evidence = class_scores.flatten()
    top = (evidence >= evidence.quantile(EVIDENCE_QUANTILE)).double()
    centre = _centre_mask(h, w).double().to(evidence.device)
    simple = explainer.head("simple")
    if simple is not None:
        pooled, weights = simple.module(features)  # (1, K, C), (1, K, h, w)
        maps = weights.flatten(2)[0].double()  # (K, n)
        logits = explainer.backbone.classify_pooled(pooled.mean(1))
        per_head = explainer.backbone.classify_pooled(pooled[0])  # (K, classes)
        record["simple"] = {
            "predicted": int(logits.argmax()),
            "head_predicted": per_head.argmax(-1).tolist(),
            "entropy_ratio": O.entropy_ratio(maps).tolist(),
            "peak": maps.max(-1).values.tolist(),
            "pairwise_js": float(O.pairwise_js(maps[None])[0]),
            "evidence_mass": (maps @ top.to(maps)).tolist(),
            "evidence_spearman": O.spearman(maps, evidence.double()[None].expand_as(maps)).tolist(),
            "centre_mass": (maps @ centre.to(maps)).tolist(),
            "upper_mass": (maps @ _upper_mask(h, w).to(maps)).tolist(),
        }
    self_head = explainer.head("self")
    if self_head is not None:
        _, rows = self_head.module(features)  # (1, heads, n, n)
        logits = self_head.logits(features)
        rows = rows[0].double()
        record["self"] = {
            "predicted": int(logits.argmax()),
            "entropy_ratio": float(O.entropy_ratio(rows).mean()),
            "collapsed": float((rows.max(-1).values > COLLAPSE).double().mean()),
            "pairwise_js": float(O.pairwise_js(rows.transpose(0, 1)).mean()),  # heads compared per query
        }
    return record, encoded


def saliency_maps(
    explainer: Explainer, encoded, inputs: torch.Tensor, class_index: int, seed: int, references: bool = True
) -> dict:
    """Every compared map for one photo at input resolution (H, W): each SimpleAttention head and
    Grad-CAM, with `references` also the heads' mean, the class map, a random and a centred map."""
    H, W = inputs.shape[-2:]
    maps = {}
    with torch.inference_mode():
        simple = explainer.head("simple")
        if simple is not None:
            _, weights = simple.module(encoded.features)  # (1, K, h, w)
            for k, grid in enumerate(weights[0]):
                maps[f"simple/{k}"] = upsample(grid, H, W)
            if references:
                maps["simple (mean of heads)"] = upsample(weights[0].mean(0), H, W)
    maps["Grad-CAM (reference)"] = gradcam(explainer.backbone, inputs, class_index)
    if references:
        maps |= reference_maps(explainer, encoded, (H, W), class_index, seed)
    return {name: torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32)) for name, m in maps.items()}


@torch.inference_mode()
def reference_maps(explainer: Explainer, encoded, size: tuple[int, int], class_index: int, seed: int) -> dict:
    H, W = size
    h, w = encoded.features.shape[-2:]
    class_head = explainer.head("class")
    scores = class_head.map_inputs(encoded, MapOptions(class_index))
    generator = torch.Generator().manual_seed(seed)
    return {
        "class map (T=4)": upsample(position_weights(scores, class_head.default_temperature)[0], H, W),
        "random (reference)": upsample(torch.rand(h, w, generator=generator), H, W),
        "centred Gaussian (reference)": centred_gaussian(H, W).numpy(),
    }


def perturbation_record(
    explainer: Explainer, photo: Image.Image, encoded, seed: int, steps: int, references: bool = True
) -> dict:
    """{map name: [insertion AUC, deletion AUC]} for the backbone's predicted class."""
    image = explainer.preprocessing(photo).to(explainer.device)  # (3, H, W)
    class_index = int(encoded.logits.argmax())
    setup = PerturbationSetup.create(explainer.backbone, image, class_index)
    result = {}
    for name, saliency in saliency_maps(explainer, encoded, image[None], class_index, seed, references).items():
        curves = curves_of(setup, saliency.to(image.device), steps)
        result[name] = [curves.insertion_auc, curves.deletion_auc]
    return result


def in_split(name: str, split: str) -> bool:
    return split == "all" or split_of(name) == split


@torch.inference_mode()
def coco_records(explainer: Explainer, coco: Path, split: str, count: int | None) -> list[dict]:
    """Per COCO photo of the split: SelfAttention object ratios per query, SimpleAttention weight on
    things / stuff beside their area."""
    photos = [(image, mask) for image, mask in coco_photos(coco) if in_split(image.name, split)][:count]
    records = []
    for image_file, mask_file in tqdm(photos, desc="COCO photos", unit="img"):
        encoded = explainer.encode(load_image(image_file))
        features = encoded.features
        h, w = features.shape[-2:]
        stride = explainer.preprocessing.multiple
        mask = np.array(Image.open(mask_file))
        record: dict = {"name": image_file.name}
        self_head = explainer.head("self")
        if self_head is not None:
            _, rows = self_head.module(features)
            queries = coco_queries(mask, (h * stride, w * stride), stride)
            record["queries"] = [
                {"category": q.category, "ratios": object_ratios(rows[0, :, q.cell].double().cpu(), q).tolist()}
                for q in queries
            ]
        simple = explainer.head("simple")
        if simple is not None:
            _, weights = simple.module(features)
            maps = weights.flatten(2)[0].double().cpu()  # (K, n)
            groups = {"things": (mask > 0) & (mask < COCO_STUFF_FIRST_ID), "stuff": mask >= COCO_STUFF_FIRST_ID}
            for group, inside in groups.items():
                binary = Image.fromarray(inside.astype(np.float32), mode="F")
                fraction = torch.from_numpy(np.array(binary.resize((w, h), Image.Resampling.BOX))).double().flatten()
                record[f"simple_{group}_mass"] = (maps @ fraction).tolist()
                record[f"{group}_area"] = float(fraction.mean())
        records.append(record)
    return records
