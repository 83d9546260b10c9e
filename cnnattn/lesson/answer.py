"""The lesson's answer for one photo's encoding and one set of settings: texts, tables, names, and the
weights the checks compare (`lesson_answer`). Not the browser's attention view, which draws the maps.

Built from cached features with `cnnattn.lesson` (no backbone run), worded with `cnnattn.i18n`; the
browser's static/lesson/ writes the same texts from the payload's lesson block. No gradio: the Lesson
tab only places these on the page.
Settings live in `lesson.settings`, tables in `lesson.tables`, links in `lesson.links` (re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.errors import UserError
from cnnattn.explain import Encoded, grid_cell
from cnnattn.heads import Head, HeadId, MapForm
from cnnattn.i18n import count, has, text
from cnnattn.labels import class_names
from cnnattn.lesson import steps as lesson
from cnnattn.lesson.cards import accuracy_text
from cnnattn.lesson.links import link_note, link_params, parse_params
from cnnattn.lesson.settings import TEMPERATURE_RANGE, TOP1, LessonSettings
from cnnattn.lesson.tables import (
    Table,
    cell_weight,
    format_percent,
    format_weight,
    grid_table,
    softmax64,
    weight_table,
)
from cnnattn.names import head_name, layer_name
from cnnattn.render import fit_within, overlay

__all__ = [
    "MAX_SIDE", "TEMPERATURE_RANGE", "TOP1", "LessonSettings", "LessonAnswer", "Table", "cell_query",
    "compare_images", "lesson_answer", "link_note", "link_params", "parse_params", "readout_text",
]  # fmt: skip

MAX_SIDE = 768  # display size of `compare_images`, in pixels on the longer side
STEP3_ROWS = 5  # classes (pooling) or cells (query rows) in the step 3 table


@dataclass(frozen=True)
class LessonAnswer:
    head_text: str  # markdown: what this head is, and its formula (LaTeX)
    step_texts: tuple[str, str, str]  # markdown for steps 1, 2, 3 (step 3: what the network really does)
    scores: Table  # step 1 numbers on the grid (query rows: unscaled dot products), titled
    weights: Table  # step 2 numbers on the grid, sum to 1, no positive weight shown as 0
    step3: Table  # pooling: predictions with average vs attention pooling; self: heaviest cells
    cell_text: str  # markdown: the arithmetic of the clicked cell
    readout_text: str  # markdown: entropy, exp(H), top-k mass, contour, summary
    summary: str  # one plain sentence
    weights_grid: np.ndarray  # (h, w) the step 2 weights (the head's float32 softmax), for comparisons
    class_index: int  # the class the lesson is about (class map's class, or the top-1)
    head_name: str = ""  # the head in the view's language, e.g. "SimpleAttention head 1"
    class_label: str = ""  # name of `class_index` in the view's language
    cell: tuple[int, int] = (0, 0)  # (row, col) of the selected cell, 0-based


def cell_query(row: int, col: int, grid: tuple[int, int]) -> tuple[float, float]:
    """Centre of grid cell (row, col) as (x, y) fractions: what a click on a table cell selects."""
    h, w = grid
    if not (0 <= row < h and 0 <= col < w):
        raise UserError("error.settings.cell", row=row + 1, col=col + 1, h=h, w=w)
    return (col + 0.5) / w, (row + 0.5) / h


def _head_key(prefix: str, head: Head) -> str:
    """The i18n key describing a head kind, or the form's generic one for kinds without their own text."""
    key = f"{prefix}.head.{head.kind}"
    return key if has(key) else f"{prefix}.head.generic"


def head_text(
    head: Head, index: int, settings: LessonSettings, label: str = "", d_k: int = 0, grid: tuple[int, int] = (0, 0)
) -> str:
    """What the head is, and its formula: `label` names a pooling head's class; a query-row head needs its
    d_k and, when it runs on a chosen layer, that layer's grid. No temperature or query enters it."""
    language, name = settings.language, head_name(head, index, language=settings.language)
    if head.form is not MapForm.QUERY_ROW:
        about = text(_head_key("pool", head), language, label=label, head=name)
        return about + "\n\n" + text("pool.formula", language)
    about = text(_head_key("self", head), language, d=d_k, head=name)
    if head.layers:
        stride = head.backbone.stages.get(settings.layer, head.backbone.stride)
        layer = layer_name(head.backbone, settings.layer, language)
        about += "\n\n" + text("self.layer", language, layer=layer, h=grid[0], w=grid[1], stride=stride)
    return about + "\n\n" + text("self.formula", language)


@dataclass(frozen=True)
class _Built:
    """What the two head forms contribute; `lesson_answer` adds the shared parts."""

    head_text: str
    steps: tuple[str, str, str]
    weights: np.ndarray  # (h, w) float32 weights of the head
    scores: Table
    weights_table: Table
    step3: Table
    cell_text: str
    cell: tuple[int, int]
    class_index: int


def _pooling_view(heads, head: Head, index: int, encoded: Encoded, settings: LessonSettings, calibration: float):
    chosen = settings.class_index if head.class_conditional and settings.class_index != TOP1 else None
    L = lesson.pooling_lesson(head, index, encoded, settings.temperature, chosen)
    language, labels = settings.language, class_names(settings.language)
    label, c = labels[L.class_index], L.class_index
    h, w = L.weights.shape
    n, channels = h * w, L.pooled.shape[0]
    about = head_text(head, index, settings, label=label)
    average = _softmax(L.average_logits / calibration)  # what the CLI and Explore show for the photo
    attention = _softmax(L.logits / calibration)
    step3 = text(
        "pool.step3", language, c=channels, n=n, label=label,
        attention=format_percent(attention[c]), average=format_percent(average[c]),
    )  # fmt: skip
    if head.class_conditional:  # weighted by the class's row, then scored by the same row
        step3 += "\n\n" + text(
            "pool.step3.circular", language, label=label, before=L.average_logits[c], after=L.logits[c]
        )
    if accuracy := accuracy_text(heads, language):
        step3 += "\n\n" + accuracy
    steps = (
        text("pool.step1", language, h=h, w=w, n=n, c=channels, low=L.scores.min(), high=L.scores.max()),
        text("pool.step2", language, t=L.temperature, total=L.weights.sum(), top=L.weights.max(), n=n, uniform=1 / n),
        step3,
    )
    columns = [text(f"lesson.col.{column}", language) for column in ("class", "average", "attention")]
    order = np.argsort(-attention)[:STEP3_ROWS]
    table = Table(
        columns,
        [[labels[i], format_percent(average[i]), format_percent(attention[i])] for i in order],
        text("lesson.step3_table", language),
    )
    shown = softmax64(L.scores, L.temperature)  # the table's weights: float64, no underflow to 0
    row, col = divmod(grid_cell(settings.query, (h, w)), w)
    cell_text = text(
        "pool.cell", language, row=row + 1, col=col + 1, score=L.scores[row, col], n=n,
        **cell_weight(shown[row, col], n, language),
    )  # fmt: skip
    return _Built(
        about, steps, L.weights,
        grid_table(L.scores, language, text("table.scores.position", language)),
        weight_table(shown, language), table, cell_text, (row, col), L.class_index,
    )  # fmt: skip


def _query_view(heads, head: Head, index: int, encoded: Encoded, settings: LessonSettings, calibration: float):
    Q = lesson.query_lesson(head, index, encoded, settings.query, settings.temperature, settings.layer)
    language = settings.language
    h, w = Q.weights.shape
    about = head_text(head, index, settings, d_k=Q.d_k, grid=(h, w))
    row, col = Q.cell
    step3 = text("self.step3", language, cosine=Q.cosine_to_own_value)
    step3 += "\n\n" + text("self.step3.trained" if head.trained else "self.step3.untrained", language)
    if accuracy := accuracy_text([head], language):
        step3 += "\n\n" + accuracy
    steps = (
        text("self.step1", language, row=row + 1, col=col + 1, low=Q.dots.min(), high=Q.dots.max()),
        text(
            "self.step2", language, d=Q.d_k, root=math.sqrt(Q.d_k), low=Q.scaled.min(), high=Q.scaled.max(),
            t=Q.temperature, total=Q.weights.sum(), top=Q.weights.max(),
        ),
        step3,
    )  # fmt: skip
    shown = softmax64(Q.scaled, Q.temperature)
    order = np.argsort(-Q.weights.ravel(), kind="stable")[:STEP3_ROWS]
    table = Table(
        [text(key, language) for key in ("table.cell", "lesson.col.dot", "lesson.col.scaled", "lesson.col.weight")],
        [
            [
                f"({i // w + 1}, {i % w + 1})",
                f"{Q.dots.flat[i]:.2f}",
                f"{Q.scaled.flat[i]:.3f}",
                format_weight(shown.flat[i]),
            ]
            for i in order
        ],
        text("table.step3.query", language),
    )
    cell_text = text(
        "self.cell", language, row=row + 1, col=col + 1, dot=Q.dots[row, col], scaled=Q.scaled[row, col],
        **cell_weight(shown[row, col], h * w, language),
    )  # fmt: skip
    return _Built(
        about, steps, Q.weights,
        grid_table(Q.dots, language, text("table.scores.query", language), lambda v: f"{v:.2f}"),
        weight_table(shown, language), table, cell_text, (row, col), int(encoded.logits[0].argmax()),
    )  # fmt: skip


def lesson_answer(
    heads, encoded: Encoded, settings: LessonSettings, calibration_temperature: float = 1.0
) -> LessonAnswer:
    """Everything the lesson shows for one of the loaded `heads`, from cached features: no backbone run.

    `calibration_temperature` divides the logits before the step 3 probabilities (pass the explainer's,
    so the lesson's probability for the photo equals the CLI's and Explore's)."""
    settings = settings.checked([str(i) for i in lesson.head_ids(heads)])
    head_id = HeadId.parse(settings.head)
    head = lesson.find_head(heads, head_id)
    layers = head.backbone.layer_names()
    if settings.layer not in layers:
        raise UserError("error.settings.layer", value=settings.layer, choices=", ".join(layers))
    language = settings.language
    build = _query_view if head.form is MapForm.QUERY_ROW else _pooling_view
    built = build(heads, head, head_id.index, encoded, settings, calibration_temperature)
    weights = built.weights
    readout = readouts.read(weights, settings.share, settings.top_k)
    summary = readouts.summary(readout, language)
    return LessonAnswer(
        head_text=built.head_text,
        step_texts=built.steps,
        scores=built.scores,
        weights=built.weights_table,
        step3=built.step3,
        cell_text=built.cell_text,
        readout_text=readout_text(readout, language),
        summary=summary,
        weights_grid=weights,
        class_index=built.class_index,
        head_name=head_name(head, head_id.index, language),
        class_label=class_names(language)[built.class_index],
        cell=built.cell,
    )


def readout_text(readout: readouts.Readout, language: str) -> str:
    """The readout under step 2 (static/lesson/readout.js writes the same): the summary and the top-k
    mass in plain words, entropy and exp(H) in a closed "exact numbers" block."""
    return text(
        "readout",
        language,
        entropy=readout.entropy,
        effective=readout.effective_positions,
        n=readout.positions,
        k=readout.top_k,
        mass=readout.top_k_mass,
        share=readout.share,
        positions=count("count.position", int(readout.region.sum()), language),
        summary=readouts.summary(readout, language),
    )


def compare_images(photo: Image.Image, maps: list[np.ndarray], settings: LessonSettings) -> list[Image.Image]:
    """Overlays of maps shown side by side; with `shared_scale` they share one absolute colour scale."""
    shown = fit_within(photo, MAX_SIDE)
    vmax = max(float(m.max()) for m in maps) if settings.shared_scale else None
    return [overlay(shown, m, settings.colormap, settings.opacity, vmax) for m in maps]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()
