r"""The attention maths step by step, from cached backbone features: what classroom mode shows.

Pooling heads (the class map and SimpleAttention), as in the seed article:

.. math:: s_p = w^\top x_p + b, \qquad a_p = \frac{e^{s_p / T}}{\sum_q e^{s_q / T}}, \qquad z = \sum_p a_p x_p

SelfAttention, one query cell i:

.. math:: a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big), \qquad o_i = \sum_j a_{ij} v_j

Every head is reached through the registry's two map forms, so a new head kind gets its lesson
for free. Everything here is cheap (no backbone); the checks that need the photo's pixels (Grad-CAM,
occlusion, the deletion curve) are measurements in `cnnattn.analysis`, the same functions as
`cnnattn evaluate`. Nothing here changes the shared model: variants are built on copies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from cnnattn.backbones import FINAL, Encoded
from cnnattn.errors import UserError
from cnnattn.heads import Head, HeadId, MapForm, MapOptions, PositionScores, position_weights, query_row_dots
from cnnattn.maps import grid_cell

__all__ = ["FINAL"]


def head_ids(heads) -> list[HeadId]:
    """Every head a lesson can step through, in display order (one per registered head)."""
    return [head_id for head in heads for head_id in head.ids()]


def find_head(heads, head_id: HeadId) -> Head:
    """The loaded head of `head_id`'s kind; ValueError lists the choices."""
    for head in heads:
        if head.kind == head_id.kind and 0 <= head_id.index < head.num_heads:
            return head
    raise UserError("error.settings.head", value=str(head_id), choices=", ".join(map(str, head_ids(heads))))


def top1(encoded: Encoded) -> int:
    return int(encoded.logits.argmax(dim=-1)[0])


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
        raise UserError("error.settings.temperature_positive")


@torch.inference_mode()
def pooling_lesson(
    head: Head, index: int, encoded: Encoded, temperature: float | None = None, class_index: int | None = None
) -> PoolingLesson:
    """Steps 1-3 for head `index` of a position-form head on cached features."""
    temperature = head.default_temperature if temperature is None else temperature
    _check_temperature(temperature)
    if head.form is not MapForm.POSITION:
        raise ValueError(f"{head.kind} is not a pooling head.")
    features = encoded.features
    B, C, H, W = features.shape
    scores = head.map_inputs(encoded, MapOptions(top1(encoded) if class_index is None else class_index)).scores[index]
    weights = position_weights_of(scores, temperature)  # (H, W)
    pooled = features[0].flatten(1) @ weights.flatten()  # (C,)
    logits = head.backbone.classify_pooled(pooled[None])[0]  # (classes,)
    if class_index is None:
        class_index = top1(encoded) if head.class_conditional else int(logits.argmax())
    return PoolingLesson(
        head=str(head.ids()[index]),
        class_index=int(class_index),
        temperature=float(temperature),
        scores=scores.float().cpu().numpy(),
        weights=weights.float().cpu().numpy(),
        pooled=pooled.float().cpu().numpy(),
        logits=logits.float().cpu().numpy(),
        average_logits=encoded.logits[0].float().cpu().numpy(),
    )


def position_weights_of(scores: torch.Tensor, temperature: float) -> torch.Tensor:
    """(H, W) softmax of one score grid, by the heads' own function."""
    return position_weights(PositionScores(scores[None]), temperature)[0]


@torch.inference_mode()
def query_lesson(
    head: Head,
    index: int,
    encoded: Encoded,
    query: tuple[float, float],
    temperature: float = 1.0,
    layer: str = FINAL,
) -> QueryLesson:
    """The query cell's row of QK^T, its scaling, softmax and mixed value."""
    _check_temperature(temperature)
    if head.form is not MapForm.QUERY_ROW:
        raise ValueError(f"{head.kind} is not a query-row head.")
    inputs = head.map_inputs(encoded, MapOptions(top1(encoded), layer if head.layers else FINAL))
    H, W = inputs.grid
    cell = grid_cell(query, (H, W))
    dots = query_row_dots(inputs, cell)[index]  # (H*W,)
    scaled = dots * inputs.scale
    weights = F.softmax(scaled / temperature, dim=-1)  # (H*W,)
    values = inputs.values[index] if inputs.values is not None else inputs.keys[index]  # (H*W, d)

    def grid(t: torch.Tensor) -> np.ndarray:
        return t.view(H, W).float().cpu().numpy()

    return QueryLesson(
        head=str(head.ids()[index]),
        query=(float(query[0]), float(query[1])),
        cell=divmod(cell, W),
        d_k=int(inputs.queries.shape[-1]),
        temperature=float(temperature),
        dots=grid(dots),
        scaled=grid(scaled),
        weights=grid(weights),
        value=values[cell].float().cpu().numpy(),
        mixed=(weights @ values).float().cpu().numpy(),
    )


@dataclass(frozen=True)
class MapSettings:
    """What one head's map is drawn at, whatever its form: each form reads the fields it needs."""

    temperature: float
    class_index: int | None = None  # pooling heads: the class (None: the top-1)
    query: tuple[float, float] = (0.5, 0.5)  # query-row heads: (x, y) fractions of width and height
    layer: str = FINAL  # query-row heads that run on earlier stages


def lesson_weights(head: Head, index: int, encoded: Encoded, settings: MapSettings) -> np.ndarray:
    """(h, w) weights of one head as the lesson shows them, whatever its form."""
    if head.form is MapForm.POSITION:
        return pooling_lesson(head, index, encoded, settings.temperature, settings.class_index).weights
    return query_lesson(head, index, encoded, settings.query, settings.temperature, settings.layer).weights


def randomised_weights(head: Head, index: int, encoded: Encoded, settings: MapSettings, seed: int = 0) -> np.ndarray:
    """The head's map with its scoring weights replaced by noise of the same scale (a model
    randomisation sanity check): a map that explains the network should change a lot."""
    if settings.class_index is None and head.class_conditional:
        settings = replace(settings, class_index=top1(encoded))
    return lesson_weights(head.randomised(seed), index, encoded, settings)
