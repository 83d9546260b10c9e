r"""The attention maths step by step, from cached backbone features: what classroom mode shows.

Pooling heads (the class map and SimpleAttention), as in the seed article:

.. math:: s_p = w^\top x_p + b, \qquad a_p = \frac{e^{s_p / T}}{\sum_q e^{s_q / T}}, \qquad z = \sum_p a_p x_p

SelfAttention, one query cell i:

.. math:: a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big), \qquad o_i = \sum_j a_{ij} v_j

Everything here is cheap (no backbone) except `gradcam_grid`, `occlusion` and `deletion_curve`,
which need the photo's pixels. Nothing here changes the shared model: variants are built on copies.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnattn.explain import DEFAULT_CLASS_TEMPERATURE, grid_cell
from cnnattn.model import AttentionModel

# Self-attention with no learned projections: Q = K = V = x (d_k = C), so a query attends to the
# positions whose features resemble its own. The lesson's self head until trained ones exist.
FEATURE_SELF = "self/features"
# The backbone layer whose output is the feature map the heads see, for Grad-CAM.
GRADCAM_LAYERS = {"efficientnet_lite0": "bn2", "resnet50": "layer4", "convnext_tiny": "stages.3"}


def head_names(model: AttentionModel) -> list[str]:
    """Heads a lesson can step through: the class map, each SimpleAttention head, each self head."""
    names = ["class"]
    if model.simple is not None:
        names += [f"simple/{k}" for k in range(model.simple.num_heads)]
    if model.self_attention is not None:
        names += [f"self/{h}" for h in range(model.self_attention.num_heads)]
    return names + [FEATURE_SELF]  # always there: the baseline with no learned projections


FINAL = "final"  # the last feature map (the one every head and the classifier see)


def layer_names(model: AttentionModel) -> list[str]:
    """Layers the feature self-attention can run on: the last feature map, then earlier stages."""
    return [FINAL, *model.backbone.stages]


def layer_features(encoded, layer: str, head: str = FEATURE_SELF) -> torch.Tensor:
    """(1, C, H, W) features of `layer` from an encoding. Only the parameter-free self-attention
    has no learned weights tied to the last map's 1280 channels, so other heads always get FINAL."""
    if layer == FINAL or head != FEATURE_SELF:
        return encoded.features
    if layer not in encoded.stages:
        raise ValueError(f"Layer {layer!r} is not kept for this photo; choose one of {[FINAL, *encoded.stages]}.")
    return encoded.stages[layer]


def is_query_head(head: str) -> bool:
    return head.startswith("self/")


def default_temperature(head: str) -> float:
    return DEFAULT_CLASS_TEMPERATURE if head == "class" else 1.0


@dataclass(frozen=True)
class PoolingLesson:
    """Steps 1-3 of a pooling head on one photo."""

    head: str  # "class" or "simple/k"
    class_index: int  # class map: the class whose classifier row scores positions; else the top-1 of z
    temperature: float  # T dividing the scores before the softmax
    scores: np.ndarray  # (h, w) step 1: s_p = w^T x_p + b
    weights: np.ndarray  # (h, w) step 2: softmax(s / T), sums to 1
    pooled: np.ndarray  # (C,) step 3: z = sum_p a_p x_p
    logits: np.ndarray  # (classes,) the backbone's classifier applied to z
    average_logits: np.ndarray  # (classes,) the backbone's own prediction (plain average pooling)


@dataclass(frozen=True)
class QueryLesson:
    """One row of a SelfAttention head: how query cell i weighs every cell j."""

    head: str  # "self/h" or FEATURE_SELF
    query: tuple[float, float]  # (x, y) fractions of width and height
    cell: tuple[int, int]  # (row, col) of the query cell on the grid
    d_k: int  # key/query dimension; the scores are divided by sqrt(d_k)
    temperature: float
    dots: np.ndarray  # (h, w) q_i . k_j
    scaled: np.ndarray  # (h, w) q_i . k_j / sqrt(d_k)
    weights: np.ndarray  # (h, w) softmax(scaled / T), sums to 1
    value: np.ndarray  # (d_k,) v_i, the query cell's own value
    mixed: np.ndarray  # (d_k,) o_i = sum_j a_ij v_j

    @property
    def cosine_to_own_value(self) -> float:
        """1 when the mix is the query's own value, lower the more other cells contribute."""
        norm = float(np.linalg.norm(self.value) * np.linalg.norm(self.mixed))
        return float(self.value @ self.mixed / norm) if norm > 0 else 0.0


def _check_temperature(temperature: float) -> None:
    if not temperature > 0:
        raise ValueError("Temperature must be positive.")


def _score_row(model: AttentionModel, head: str, class_index: int | None) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """(w (C,), b (), normalise positions?) of a pooling head's 1x1 conv."""
    if head == "class":
        if class_index is None:
            raise ValueError("The class map needs a class index.")
        conv = model.class_attention.score
        return conv.weight[class_index, :, 0, 0], conv.bias[class_index], True
    kind, _, number = head.partition("/")
    if kind != "simple" or model.simple is None or not number.isdigit() or int(number) >= model.simple.num_heads:
        raise ValueError(f"Unknown pooling head {head!r}; choose one of {head_names(model)}.")
    conv = model.simple.score
    return conv.weight[int(number), :, 0, 0], conv.bias[int(number)], False


@torch.inference_mode()
def pooling_lesson(
    model: AttentionModel,
    features: torch.Tensor,
    head: str = "class",
    temperature: float | None = None,
    class_index: int | None = None,
    row: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> PoolingLesson:
    """Steps 1-3 for a pooling head; `row` = (w, b) overrides the head's 1x1 conv (sanity check)."""
    temperature = default_temperature(head) if temperature is None else temperature
    _check_temperature(temperature)
    B, C, H, W = features.shape
    if class_index is None and head == "class":
        class_index = int(model.backbone.forward_head(features).argmax(dim=-1)[0])
    weight, bias, normalise = _score_row(model, head, class_index)
    if row is not None:
        weight, bias = row
    positions = (model.backbone.position_norm(features) if normalise else features)[0].flatten(1)  # (C, H*W)
    scores = weight @ positions + bias  # (H*W,)
    weights = F.softmax(scores / temperature, dim=-1)  # (H*W,)
    pooled = features[0].flatten(1) @ weights  # (C,)
    logits = model.backbone.classify_pooled(pooled[None])[0]  # (classes,)
    average_logits = model.backbone.forward_head(features)[0]
    if class_index is None:
        class_index = int(logits.argmax())
    return PoolingLesson(
        head=head,
        class_index=int(class_index),
        temperature=float(temperature),
        scores=scores.view(H, W).float().cpu().numpy(),
        weights=weights.view(H, W).float().cpu().numpy(),
        pooled=pooled.float().cpu().numpy(),
        logits=logits.float().cpu().numpy(),
        average_logits=average_logits.float().cpu().numpy(),
    )


def _projections(model: AttentionModel, features: torch.Tensor, head: str):
    """(q, k, v) each (H*W, d_k) for one self-attention head."""
    x = features[0].flatten(1).T  # (H*W, C)
    if head == FEATURE_SELF:
        return x, x, x
    kind, _, number = head.partition("/")
    attention = model.self_attention
    if kind != "self" or attention is None or not number.isdigit() or int(number) >= attention.num_heads:
        raise ValueError(f"Unknown self-attention head {head!r}; choose one of {head_names(model)}.")
    h, d = int(number), attention.head_dim

    def project(conv):
        return conv(features)[0, h * d : (h + 1) * d].flatten(1).T  # (H*W, d_k)

    return project(attention.query_conv), project(attention.key_conv), project(attention.value_conv)


@torch.inference_mode()
def query_lesson(
    model: AttentionModel,
    features: torch.Tensor,
    head: str,
    query: tuple[float, float],
    temperature: float = 1.0,
    key_override: torch.Tensor | None = None,
) -> QueryLesson:
    """The query cell's row of QK^T, its scaling, softmax and mixed value.

    `key_override` (H*W, d_k) replaces the keys (sanity check with randomised projections)."""
    _check_temperature(temperature)
    B, C, H, W = features.shape
    cell = grid_cell(query, (H, W))
    q, k, v = _projections(model, features, head)  # (H*W, d_k) each
    if key_override is not None:
        k = key_override
    d_k = q.shape[-1]
    dots = k @ q[cell]  # (H*W,)
    scaled = dots / math.sqrt(d_k)
    weights = F.softmax(scaled / temperature, dim=-1)  # (H*W,)
    mixed = weights @ v  # (d_k,)

    def grid(t: torch.Tensor) -> np.ndarray:
        return t.view(H, W).float().cpu().numpy()

    return QueryLesson(
        head=head,
        query=(float(query[0]), float(query[1])),
        cell=divmod(cell, W),
        d_k=int(d_k),
        temperature=float(temperature),
        dots=grid(dots),
        scaled=grid(scaled),
        weights=grid(weights),
        value=v[cell].float().cpu().numpy(),
        mixed=mixed.float().cpu().numpy(),
    )


def random_like(tensor: torch.Tensor, seed: int) -> torch.Tensor:
    """Gaussian noise with the tensor's mean and spread: weights with the same scale but no training."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float32)
    std = tensor.float().std() if tensor.numel() > 1 else tensor.float().abs()
    return (noise * std + tensor.float().mean()).to(tensor)


@torch.inference_mode()
def randomised_weights(
    model: AttentionModel,
    features: torch.Tensor,
    head: str,
    temperature: float,
    class_index: int | None = None,
    query: tuple[float, float] = (0.5, 0.5),
    seed: int = 0,
) -> np.ndarray:
    """The head's map with its score weights replaced by noise of the same scale (a model
    randomisation sanity check): a map that explains the network should change a lot."""
    if not is_query_head(head):
        if head == "class" and class_index is None:
            class_index = int(model.backbone.forward_head(features).argmax(dim=-1)[0])
        weight, bias, _ = _score_row(model, head, class_index)
        return pooling_lesson(
            model, features, head, temperature, class_index, row=(random_like(weight, seed), bias)
        ).weights
    if head == FEATURE_SELF:
        # No weights to randomise: compare with keys from a random projection of the features.
        x = features[0].flatten(1).T  # (H*W, C)
        generator = torch.Generator().manual_seed(seed)
        projection = torch.randn(x.shape[1], x.shape[1], generator=generator) / math.sqrt(x.shape[1])  # (C, C)
        return query_lesson(model, features, head, query, temperature, key_override=x @ projection.to(x)).weights
    key_conv = copy.deepcopy(model.self_attention.key_conv)  # a copy: the shared model is never touched
    key_conv.weight.copy_(random_like(key_conv.weight, seed))
    head_index, d_k = int(head.partition("/")[2]), model.self_attention.head_dim
    keys = key_conv(features)[0, head_index * d_k : (head_index + 1) * d_k].flatten(1).T  # (H*W, d_k)
    return query_lesson(model, features, head, query, temperature, key_override=keys).weights


def to_grid(cam: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Average a (H_in, W_in) map over the grid's cells and normalise it to sum to 1."""
    h, w = grid
    H, W = cam.shape
    pooled = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(cam, dtype=np.float32))[None], (h, w))[0]
    pooled = pooled.clamp_min(0).numpy()
    total = float(pooled.sum())
    return pooled / total if total > 0 else np.full((h, w), 1.0 / (h * w), dtype=np.float32)


def gradcam_grid(model: AttentionModel, inputs: torch.Tensor, class_index: int) -> np.ndarray:
    """Grad-CAM (pytorch-grad-cam) of the backbone for one class, on the heads' grid, summing to 1.

    Grad-CAM registers hooks and needs gradients, so it runs on a deep copy of the network: the
    shared model keeps serving other requests unchanged.
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    name = model.backbone.name
    if name not in GRADCAM_LAYERS:
        raise ValueError(f"No Grad-CAM layer is known for backbone {name!r}.")
    network = copy.deepcopy(model.backbone.model).requires_grad_(True).eval()
    with torch.enable_grad(), GradCAM(network, [network.get_submodule(GRADCAM_LAYERS[name])]) as cam:
        maps = cam(inputs.clone(), targets=[ClassifierOutputTarget(class_index)])  # (1, H_in, W_in) in [0, 1]
    H, W = inputs.shape[-2:]
    reduction = model.backbone.stride
    return to_grid(maps[0], (H // reduction, W // reduction))


def occlude(inputs: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """Cover the grid cells in `mask` (h, w) with the mean colour (0 after normalisation)."""
    H, W = inputs.shape[-2:]
    cells = torch.from_numpy(np.asarray(mask, dtype=np.float32))[None, None].to(inputs)  # (1, 1, h, w)
    keep = 1.0 - F.interpolate(cells, size=(H, W), mode="nearest")
    return inputs * keep


@dataclass(frozen=True)
class Occlusion:
    mask: np.ndarray  # (h, w) bool: the covered cells
    inputs: torch.Tensor  # (1, 3, H, W) the occluded network input
    features: torch.Tensor  # (1, C, h, w) backbone features of the occluded input
    logits: torch.Tensor  # (1, classes)


@torch.inference_mode()
def occlusion(model: AttentionModel, inputs: torch.Tensor, mask: np.ndarray) -> Occlusion:
    covered = occlude(inputs, mask)
    features, logits = model(covered)
    return Occlusion(np.asarray(mask, dtype=bool), covered, features, logits)


@dataclass(frozen=True)
class DeletionCurve:
    fractions: np.ndarray  # (steps,) share of grid cells covered, 0..1
    attention: np.ndarray  # (steps,) class probability, cells covered heaviest-weight first
    random: np.ndarray  # (steps,) class probability, cells covered in a seeded random order
    class_index: int

    @staticmethod
    def area(values: np.ndarray, fractions: np.ndarray) -> float:
        """Area under a curve (trapezoids): lower means the first cells removed mattered more."""
        return float(np.sum((values[1:] + values[:-1]) * np.diff(fractions)) / 2)


@torch.inference_mode()
def deletion_curve(
    model: AttentionModel,
    inputs: torch.Tensor,
    weights: np.ndarray,
    class_index: int,
    steps: int = 7,
    seed: int = 0,
    batch: int = 6,
) -> DeletionCurve:
    """Class probability as grid cells are covered heaviest-attention first, against a random order."""
    h, w = weights.shape
    fractions = np.linspace(0.0, 1.0, steps)
    counts = np.round(fractions * h * w).astype(int)
    orders = {
        "attention": np.argsort(-weights.ravel(), kind="stable"),
        "random": np.random.default_rng(seed).permutation(h * w),
    }
    masks = []
    for order in orders.values():
        for count in counts:
            mask = np.zeros(h * w, dtype=bool)
            mask[order[:count]] = True
            masks.append(mask.reshape(h, w))
    probs = []
    for start in range(0, len(masks), batch):  # bounded batches keep memory flat on big photos
        covered = torch.cat([occlude(inputs, m) for m in masks[start : start + batch]])
        _, logits = model(covered)
        probs.append(logits.float().softmax(dim=-1)[:, class_index].cpu().numpy())
    probs = np.concatenate(probs).reshape(len(orders), steps)
    return DeletionCurve(fractions, probs[0], probs[1], class_index)
