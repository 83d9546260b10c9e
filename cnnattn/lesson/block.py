"""What the Lesson's browser view needs, beyond Explore's payload, to write the step texts itself when
the head, temperature or query change (cnnattn/webapp/static/lesson/ mirrors `lesson.answer`).

Everything that depends on those three settings is computed in the browser from the payload, except
the pooling heads' step 3: the classifier applied to z = sum_p a_p x_p needs the backbone's classifier,
so its results are computed here for every temperature the view's sliders can show. The rest are the
texts that do not depend on them (worded here, in the answer's language) and the templates the browser
fills with Python's str.format rules, and the values of the registered steps (`lesson.outputs`). No gradio.
"""

from __future__ import annotations

import base64

import numpy as np
import torch

from cnnattn.analysis import readouts
from cnnattn.explain import Encoded
from cnnattn.heads import Head, MapForm, MapOptions
from cnnattn.i18n import template, text
from cnnattn.labels import class_names
from cnnattn.lesson import steps
from cnnattn.lesson.answer import STEP3_ROWS, head_text
from cnnattn.lesson.cards import accuracy_text
from cnnattn.lesson.outputs import registered_steps, step_values
from cnnattn.lesson.settings import TOP1, LessonSettings

# The catalogue entries the browser fills (the answer's language only: a language change asks the server).
TEMPLATES = (
    "pool.step1", "pool.step2", "pool.step3", "pool.step3.circular", "pool.cell",
    "self.step1", "self.step2", "self.step3", "self.cell", "readout", "count.position", "count.neighbour",
    "guess.result", "guess.good", "guess.fair", "guess.miss", "link.upload", "table.corner", "table.row",
    "table.cell", "table.scores.position", "table.scores.query", "table.weights", "table.step3.query",
    "lesson.step3_table", "lesson.col.class", "lesson.col.average", "lesson.col.attention", "lesson.col.dot",
    "lesson.col.scaled", "lesson.col.weight", "weight.tiny.thousand", "weight.tiny.million", "weight.tiny.billion",
    "cell.times_uniform", "cell.below_uniform", "cell.exact",
)  # fmt: skip


def grid(low: float, high: float, step: float) -> list[float]:
    """The values an <input type=range> offers, as the browser reads them (0.1, 0.2, ..., not 0.30000000000000004)."""
    return [round(low + i * step, 6) for i in range(round((high - low) / step) + 1)]


def _short(value: float) -> float:
    """A float32 result at float32's precision: half the characters in JSON, the same number shown."""
    return float(f"{float(value):.8g}")


def _array(values: torch.Tensor) -> str:
    return base64.b64encode(np.ascontiguousarray(values.float().cpu().numpy(), "<f4").tobytes()).decode("ascii")


@torch.inference_mode()
def pooling_step3(head: Head, scores: torch.Tensor, encoded: Encoded, temperatures: list[float], class_index: int,
                  calibration: float) -> list[list]:  # fmt: skip
    """For each of the (K, H, W) score grids, per temperature: [class, its attention probability, its logit,
    top rows [class, attention probability]], from the classifier on z = sum_p a_p x_p: the numbers of
    steps.pooling_lesson and answer._pooling_view, all in one classifier call. What average pooling gives
    does not depend on the head or T: `lesson_block` sends it once per class."""
    weights = torch.stack([steps.position_weights_of(grid, t).flatten() for grid in scores for t in temperatures])
    pooled = weights @ encoded.features[0].flatten(1).T  # (K * T, C)
    logits = head.backbone.classify_pooled(pooled).float().cpu().numpy()  # (K * T, classes)
    results = []
    for row in logits:
        attention = _softmax(row / calibration)
        c = class_index if head.class_conditional else int(row.argmax())
        top = [[int(i), _short(attention[i])] for i in np.argsort(-attention)[:STEP3_ROWS]]
        results.append([c, _short(attention[c]), _short(row[c]), top])
    return [results[k * len(temperatures) : (k + 1) * len(temperatures)] for k in range(len(scores))]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


@torch.inference_mode()
def head_entries(heads, head: Head, encoded: Encoded, settings: LessonSettings, calibration: float) -> dict:
    """Each of one head's ids -> its part of the block: fixed texts, and step 3's data where the browser
    cannot make it (one map_inputs call for all of the head's ids)."""
    language, ids = settings.language, head.ids()
    fixed = {"class_conditional": head.class_conditional, "layers": bool(head.layers)}
    if head.form is MapForm.POSITION:
        chosen = settings.class_index if head.class_conditional and settings.class_index != TOP1 else None
        class_index = steps.top1(encoded) if chosen is None else chosen
        scores = head.map_inputs(encoded, MapOptions(class_index)).scores  # (K, H, W)
        # Only the class map's text names its class (the others' class follows the temperature).
        label = class_names(language)[class_index]
        temperatures = grid(*head.temperature_range)
        if settings.temperature not in temperatures:  # a link's own temperature
            temperatures.append(settings.temperature)
        accuracy = accuracy_text(heads, language)
        fixed |= {
            "channels": int(encoded.features.shape[1]),
            "accuracy": f"\n\n{accuracy}" if accuracy else "",
            "temperatures": temperatures,
        }
        step3 = pooling_step3(head, scores, encoded, temperatures, class_index, calibration)
        return {
            str(i): fixed | {"text": head_text(head, i.index, settings, label=label), "step3": step3[i.index]}
            for i in ids
        }
    inputs = head.map_inputs(encoded, MapOptions(steps.top1(encoded), settings.layer if head.layers else steps.FINAL))
    tail = text("self.step3.trained" if head.trained else "self.step3.untrained", language)
    if accuracy := accuracy_text([head], language):
        tail += "\n\n" + accuracy
    d_k = int(inputs.queries.shape[-1])
    fixed |= {"d_k": d_k, "tail": f"\n\n{tail}"}
    values = inputs.keys if inputs.values is None else inputs.values  # as steps.query_lesson mixes them
    # Q = K = V (the feature self-attention): the payload's queries, or its rows (Q Q^T * scale), suffice.
    own_values = not (torch.equal(values, inputs.queries) and torch.equal(inputs.keys, inputs.queries))
    entries = {}
    for i in ids:
        entries[str(i)] = fixed | {"text": head_text(head, i.index, settings, d_k=d_k, grid=inputs.grid)}
        if own_values:  # (n, d_v): the browser mixes these for step 3's cosine
            entries[str(i)] |= {"values": _array(values[i.index]), "values_shape": list(values[i.index].shape)}
    return entries


def lesson_block(heads, encoded: Encoded, settings: LessonSettings, example: str | None, calibration: float) -> dict:
    """payload["lesson"]: what static/lesson/texts.js needs for every head id of the answer."""
    language = settings.language
    by_id = {}
    for head in heads:
        by_id |= head_entries(heads, head, encoded, settings, calibration)
    shown = {c for entry in by_id.values() for row in entry.get("step3", []) for c in [row[0]] + [r[0] for r in row[3]]}
    names = class_names(language)
    average_logits = encoded.logits[0].float().cpu().numpy()  # the network's own prediction (average pooling)
    average = _softmax(average_logits / calibration)
    return {
        "language": language,
        "example": example or "",
        "settings": {
            "share": settings.share,
            "top_k": settings.top_k,
            "shared_scale": settings.shared_scale,
            "class_index": settings.class_index,
            "layer": settings.layer,
        },  # fmt: skip
        "heads": by_id,
        # Each class step 3 names: its name, probability and logit with average pooling.
        "classes": {str(c): [names[c], _short(average[c]), _short(average_logits[c])] for c in sorted(shown)},
        **browser_words(language),
        # Registered steps (lesson.outputs): only when there are any, so the built-in block stays as it was.
        **({"steps": step_values(heads, encoded, settings)} if registered_steps() else {}),
    }


def browser_words(language: str) -> dict:
    """The templates the browser fills, and the readout's summary and place words, in `language`."""
    keys = TEMPLATES + tuple(step.template for step in registered_steps())
    templates = {key: template(key, language) for key in keys}
    return {"templates": templates, "summary": readouts.SUMMARY[language], "places": readouts.PLACES[language]}
