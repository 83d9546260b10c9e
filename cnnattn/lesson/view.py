"""What the lesson shows for one photo and one set of settings: texts, tables, images, the link.

Built from cached features with `cnnattn.lesson` (no backbone run), drawn with the pure render
helpers, worded with `cnnattn.i18n`. No gradio: the Lesson tab only places these on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import numpy as np
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.explain import Encoded, grid_cell
from cnnattn.heads import Head, HeadId, MapForm
from cnnattn.i18n import STRINGS, text
from cnnattn.labels import LANGUAGES, class_names
from cnnattn.lesson import steps as lesson
from cnnattn.lesson.render import draw_grid, draw_region, mark_cell, score_overlay
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP, fit_within, mark_query, overlay

TOP1 = -1  # class_index meaning "the top-1 predicted class"
MAX_SIDE = 768  # display size of the lesson's images, in pixels on the longer side
TEMPERATURE_RANGE = (0.1, 20.0)


@dataclass(frozen=True)
class LessonSettings:
    head: str = "class"  # a head id as text, e.g. "class", "simple/0" (lesson.head_ids)
    temperature: float = 4.0  # softmax temperature T (the class map's default)
    query: tuple[float, float] = (0.5, 0.5)  # clicked cell, (x, y) fractions of width and height
    colormap: str = DEFAULT_COLORMAP
    opacity: float = 0.5  # heatmap over the photo, 0..1
    shared_scale: bool = False  # compared maps share one absolute colour scale
    share: float = 0.5  # mass share inside the contour (smallest region holding it)
    top_k: int = 5  # k of the top-k mass readout
    language: str = "en"
    class_index: int = TOP1  # the class map's class (its classifier row scores the positions)
    layer: str = lesson.FINAL  # feature self-attention only: lesson.layer_names, e.g. "blocks.4"

    def checked(self, heads: list[str]) -> LessonSettings:
        """Raise ValueError with a fix-it message for anything out of range."""
        if self.head not in heads:
            raise ValueError(f"Unknown head {self.head!r}; choose one of {', '.join(heads)}.")
        low, high = TEMPERATURE_RANGE
        if not low <= self.temperature <= high:
            raise ValueError(f"Temperature must be between {low} and {high}.")
        if not all(0.0 <= v <= 1.0 for v in self.query):
            raise ValueError("The query must be fractions of width and height in [0, 1].")
        if self.colormap not in COLORMAPS:
            raise ValueError(f"Unknown colormap {self.colormap!r}; choose one of {', '.join(COLORMAPS)}.")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError("Opacity must be between 0 and 1.")
        if not 0.0 < self.share <= 1.0:
            raise ValueError("The share of mass must be in (0, 1].")
        if self.top_k < 1:
            raise ValueError("k must be at least 1.")
        if self.language not in LANGUAGES:
            raise ValueError(f"Unknown language {self.language!r}; choose one of {', '.join(LANGUAGES)}.")
        classes = len(class_names(self.language))
        if not TOP1 <= self.class_index < classes:
            raise ValueError(f"Class must be {TOP1} (top-1) or an index from 0 to {classes - 1}.")
        return self


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list]  # one list per table row, first column is the row label


@dataclass(frozen=True)
class LessonView:
    head_text: str  # markdown: what this head is, and its formula (LaTeX)
    step_texts: tuple[str, str, str]  # markdown for steps 1, 2, 3
    images: tuple[Image.Image, Image.Image]  # step 1 scores, step 2 weights with the contour
    scores: Table  # step 1 numbers on the grid
    weights: Table  # step 2 numbers on the grid, sum to 1
    step3: Table  # pooling: predictions with average vs attention pooling; self: heaviest cells
    cell_text: str  # markdown: the arithmetic of the clicked cell
    readout_text: str  # markdown: entropy, exp(H), top-k mass, contour, summary
    summary: str  # one plain sentence, also the images' alt text
    weights_grid: np.ndarray  # (h, w) the step 2 weights, for comparisons
    class_index: int  # the class the lesson is about (class map's class, or the top-1)


def grid_table(values: np.ndarray, decimals: int, row_label: str) -> Table:
    h, w = values.shape
    rows = [[f"{row_label} {r}"] + [round(float(v), decimals) for v in values[r]] for r in range(h)]
    return Table([""] + [str(c) for c in range(w)], rows)


def cell_query(row: int, col: int, grid: tuple[int, int]) -> tuple[float, float]:
    """Centre of grid cell (row, col) as (x, y) fractions: what a click on a table cell selects."""
    h, w = grid
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"Cell ({row}, {col}) is outside the {h} x {w} grid.")
    return (col + 0.5) / w, (row + 0.5) / h


def _head_key(prefix: str, head: Head) -> str:
    """The i18n key describing a head kind, or the form's generic one for kinds without their own text."""
    key = f"{prefix}.head.{head.kind}"
    return key if key in STRINGS["en"] else f"{prefix}.head.generic"


def _pooling_view(head: Head, index: int, encoded: Encoded, settings: LessonSettings, labels):
    chosen = settings.class_index if head.class_conditional and settings.class_index != TOP1 else None
    L = lesson.pooling_lesson(head, index, encoded, settings.temperature, chosen)
    language, label = settings.language, labels[L.class_index]
    h, w = L.weights.shape
    n, c = h * w, L.pooled.shape[0]
    head_text = text(_head_key("pool", head), language, label=label, head=settings.head)
    head_text += "\n\n" + text("pool.formula", language)
    average = _softmax(L.average_logits)
    attention = _softmax(L.logits)
    steps = (
        text("pool.step1", language, h=h, w=w, n=n, c=c, low=L.scores.min(), high=L.scores.max()),
        text("pool.step2", language, t=L.temperature, total=L.weights.sum(), top=L.weights.max(), n=n, uniform=1 / n),
        text(
            "pool.step3",
            language,
            c=c,
            n=n,
            label=label,
            attention=attention[L.class_index],
            average=average[L.class_index],
        ),
    )
    order = np.argsort(-attention)[:5]
    step3 = Table(
        [text(f"lesson.col.{column}", language) for column in ("class", "average", "attention")],
        [[labels[i], f"{average[i]:.1%}", f"{attention[i]:.1%}"] for i in order],
    )
    row, col = divmod(grid_cell(settings.query, (h, w)), w)
    cell_text = text(
        "pool.cell",
        language,
        row=row,
        col=col,
        score=L.scores[row, col],
        weight=L.weights[row, col],
        ratio=L.weights[row, col] * n,
        n=n,
    )
    return head_text, steps, L.scores, L.weights, step3, cell_text, L.class_index


def _query_view(head: Head, index: int, encoded: Encoded, settings: LessonSettings, labels):
    Q = lesson.query_lesson(head, index, encoded, settings.query, settings.temperature, settings.layer)
    language = settings.language
    head_text = text(_head_key("self", head), language, d=Q.d_k, head=settings.head)
    if head.layers:
        h, w = Q.weights.shape
        stride = head.backbone.stages.get(settings.layer, head.backbone.stride)
        head_text += "\n\n" + text("self.layer", language, layer=settings.layer, h=h, w=w, stride=stride)
    head_text += "\n\n" + text("self.formula", language)
    row, col = Q.cell
    steps = (
        text("self.step1", language, row=row, col=col, low=Q.dots.min(), high=Q.dots.max()),
        text(
            "self.step2",
            language,
            d=Q.d_k,
            root=math.sqrt(Q.d_k),
            low=Q.scaled.min(),
            high=Q.scaled.max(),
            t=Q.temperature,
            total=Q.weights.sum(),
            top=Q.weights.max(),
        ),
        text("self.step3", language, cosine=Q.cosine_to_own_value),
    )
    h, w = Q.weights.shape
    order = np.argsort(-Q.weights.ravel())[:5]
    step3 = Table(
        ["cell", "q·k", "q·k/√d_k", "a"],
        [
            [
                f"({i // w}, {i % w})",
                round(float(Q.dots.flat[i]), 2),
                round(float(Q.scaled.flat[i]), 3),
                round(float(Q.weights.flat[i]), 4),
            ]
            for i in order
        ],
    )
    cell_text = text(
        "self.cell",
        language,
        row=row,
        col=col,
        dot=Q.dots[row, col],
        scaled=Q.scaled[row, col],
        weight=Q.weights[row, col],
    )
    class_index = int(encoded.logits[0].argmax())
    return head_text, steps, Q.scaled, Q.weights, step3, cell_text, class_index


def lesson_view(heads, photo: Image.Image, encoded: Encoded, settings: LessonSettings) -> LessonView:
    """Everything the lesson shows for one of the loaded `heads`, from cached features: no backbone run."""
    settings = settings.checked([str(i) for i in lesson.head_ids(heads)])
    head_id = HeadId.parse(settings.head)
    head = lesson.find_head(heads, head_id)
    layers = head.backbone.layer_names()
    if settings.layer not in layers:
        raise ValueError(f"Unknown layer {settings.layer!r}; choose one of {', '.join(layers)}.")
    labels = class_names(settings.language)
    is_query = head.form is MapForm.QUERY_ROW
    build = _query_view if is_query else _pooling_view
    head_text, steps, first, weights, step3, cell_text, class_index = build(
        head, head_id.index, encoded, settings, labels
    )
    readout = readouts.read(weights, settings.share, settings.top_k)
    summary = readouts.summary(readout, settings.language)
    grid = weights.shape
    cell = divmod(grid_cell(settings.query, grid), grid[1])
    shown = fit_within(photo, MAX_SIDE)

    def marked(image: Image.Image) -> Image.Image:
        image = draw_grid(image, grid)
        if is_query:
            return mark_query(image, cell_query(*cell, grid))
        return mark_cell(image, cell, grid)

    images = (
        marked(score_overlay(shown, first, settings.colormap, settings.opacity)),
        marked(draw_region(overlay(shown, weights, settings.colormap, settings.opacity), readout.region)),
    )
    readout_text = text(
        "readout",
        settings.language,
        entropy=readout.entropy,
        effective=readout.effective_positions,
        n=readout.positions,
        k=readout.top_k,
        mass=readout.top_k_mass,
        share=readout.share,
        cells=int(readout.region.sum()),
        summary=summary,
    )
    row_label = text("lesson.row", settings.language)
    return LessonView(
        head_text=head_text,
        step_texts=steps,
        images=images,
        scores=grid_table(first, 3, row_label),
        weights=grid_table(weights, 4, row_label),
        step3=step3,
        cell_text=cell_text,
        readout_text=readout_text,
        summary=summary,
        weights_grid=weights,
        class_index=class_index,
    )


def compare_images(
    photo: Image.Image, maps: list[np.ndarray], settings: LessonSettings, outline: np.ndarray | None = None
) -> list[Image.Image]:
    """Overlays of maps shown side by side; with `shared_scale` they share one absolute colour scale."""
    shown = fit_within(photo, MAX_SIDE)
    vmax = max(float(m.max()) for m in maps) if settings.shared_scale else None
    images = [overlay(shown, m, settings.colormap, settings.opacity, vmax) for m in maps]
    if outline is not None:
        images = [draw_region(image, outline) for image in images]
    return images


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


# Shareable state: short URL parameter names for the settings.
_PARAMS = {
    "head": "head", "t": "temperature", "cmap": "colormap", "alpha": "opacity", "share": "share", "k": "top_k",
    "cls": "class_index",
}  # fmt: skip


def link_params(settings: LessonSettings, example: str | None) -> str:
    """URL query string that reopens this view, e.g. ``example=cheetah&head=class&qx=0.3&qy=0.6&t=2&lang=zh``."""
    params = {"view": "lesson"}
    if example:
        params["example"] = example
    params.update(head=settings.head, qx=f"{settings.query[0]:.3f}", qy=f"{settings.query[1]:.3f}")
    params.update(t=f"{settings.temperature:g}", lang=settings.language, cmap=settings.colormap)
    params.update(alpha=f"{settings.opacity:g}", shared=str(int(settings.shared_scale)))
    params.update(share=f"{settings.share:g}", k=str(settings.top_k))
    if settings.class_index != TOP1:
        params["cls"] = str(settings.class_index)
    if settings.layer != lesson.FINAL:
        params["layer"] = settings.layer
    return urlencode(params)


def parse_params(
    params: Mapping[str, str],
    base: LessonSettings,
    heads: list[str],
    examples: list[str],
    layers: tuple[str, ...] | list[str] = (lesson.FINAL,),
    default_temperatures: Mapping[str, float] | None = None,
) -> tuple[LessonSettings, str | None]:
    """Settings and example from URL parameters; anything missing or invalid keeps `base`'s value.

    Links travel between people, so a bad value must never break the page: it is ignored.
    """
    settings = base
    example = params.get("example") if params.get("example") in examples else None
    if params.get("head") in heads:
        kind = params["head"].partition("/")[0]
        settings = replace(settings, head=params["head"], temperature=(default_temperatures or {}).get(kind, 1.0))
    for key, field in _PARAMS.items():
        if key == "head" or key not in params:
            continue
        kind = type(getattr(base, field))
        try:
            candidate = replace(settings, **{field: kind(params[key])}).checked(heads)
        except (TypeError, ValueError):
            continue
        settings = candidate
    try:
        query = (float(params.get("qx", settings.query[0])), float(params.get("qy", settings.query[1])))
        settings = replace(settings, query=query).checked(heads)
    except ValueError:
        pass
    if params.get("shared") in ("0", "1"):
        settings = replace(settings, shared_scale=params["shared"] == "1")
    if params.get("lang") in LANGUAGES:
        settings = replace(settings, language=params["lang"])
    if params.get("layer") in layers:
        settings = replace(settings, layer=params["layer"])
    return settings, example
