"""The cases node's unit tests (tests/js/*.test.js) check the browser modules against: inputs, and what the
Python twin of each module gives for them. Run from the checkout's root after changing a twin:

    python -m tests.js.make_cases

tests/test_js.py checks that the committed cases are what this writes now, then runs the node tests.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.i18n import count, text
from cnnattn.lesson.answer import readout_text
from cnnattn.lesson.block import TEMPLATES, browser_words
from cnnattn.lesson.guess import guess_text, score_guess
from cnnattn.lesson.links import link_params
from cnnattn.lesson.outputs import TABLE_OUTPUTS, TEXT_OUTPUTS
from cnnattn.lesson.settings import TOP1, LessonSettings
from cnnattn.lesson.tables import (
    cell_weight,
    format_percent,
    format_ratio,
    format_weight,
    plain_weight,
    scientific,
    softmax64,
)
from cnnattn.maps import grid_cell, upsample
from cnnattn.payload import weights_from_payload
from cnnattn.render import COLORMAPS, overlay
from cnnattn.render.overlays import lookup_table
from cnnattn.webapp.view import ABSOLUTE_MAX, lookup_tables

CASES = Path(__file__).resolve().parent / "cases"
LANGUAGES = ("en", "zh")
SEED = 19  # issue 19: every random input below comes from this one generator
# Numbers chosen to meet each formatting rule's edges: halfway values (Python rounds them to even, toFixed
# away from zero), the bounds of scientific notation and of the tiny-weight words, 0 and negatives.
NUMBERS = [
    0.0, 1.0, -1.0, 0.5, 2.5, 0.125, 0.375, -0.125, 0.0625, 0.1, 0.2, 1 / 3, 2 / 3, 0.25, 0.9995, 0.99949,
    0.0005, 0.00049, 0.001, 0.000999, 1e-6, 9.99e-7, 1e-9, 3.7e-35, 1e-300, 12.3456, 123456.789, 4.0, 0.05,
    0.01, 0.00999, 0.015, 1.005, 7.125, 96.0, 0.0104166,
]  # fmt: skip


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _base64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, "<f4").tobytes()).decode("ascii")


def softmax_cases(random: np.random.Generator) -> dict:
    """The one softmax against numpy (float64: weights_from_payload, tables.softmax64) and torch (float32)."""
    scores = [random.normal(0, 3, n).astype(np.float32) for n in (1, 2, 6, 96)]
    scores.append(np.array([0.0, -80.0, -2000.0, 5.0], dtype=np.float32))  # float32 underflows to exactly 0
    cases = []
    for values in scores:
        for temperature in (0.1, 1.0, 4.0):
            logits = values.astype(np.float64) / temperature  # as weights_from_payload divides
            plain = np.exp(logits - logits.max())
            own = torch.softmax(torch.from_numpy(values) / temperature, dim=-1).numpy()
            cases.append(
                {
                    "scores": _floats(values),
                    "temperature": temperature,
                    "softmax": _floats(plain / plain.sum()),  # softmax(scores / T)
                    "softmax64": _floats(softmax64(values, temperature)),
                    "softmax32": _floats(own),
                }
            )
    return {"cases": cases}


def _entries(random: np.random.Generator) -> list[dict]:
    """One payload entry of each form and encoding cnnattn.payload.head_payload writes."""
    scores = random.normal(0, 2, (2, 3, 4)).astype(np.float32)
    position = {"form": "position", "grid": [3, 4], "shape": [2, 3, 4], "scores": _base64(scores)}
    rows = random.normal(0, 2, (1, 6, 6)).astype(np.float32)
    by_rows = {"form": "query_row", "grid": [2, 3], "scale": 0.25, "encoding": "rows", "shape": [1, 6, 6]}
    queries = random.normal(0, 1, (2, 6, 4)).astype(np.float32)
    keys = random.normal(0, 1, (2, 6, 4)).astype(np.float32)
    by_qk = {"form": "query_row", "grid": [3, 2], "scale": 0.5, "encoding": "qk", "shape": [2, 6, 4]}
    return [
        position,
        by_rows | {"rows": _base64(rows)},
        by_qk | {"queries": _base64(queries), "keys": _base64(keys)},
        by_qk | {"queries": _base64(queries)},  # Q = K: no keys sent
    ]


def weights_cases(random: np.random.Generator) -> dict:
    """headWeights and gridCell against cnnattn.payload.weights_from_payload and cnnattn.maps.grid_cell."""
    cases = []
    for entry in _entries(random):
        for index in range(entry["shape"][0]):
            for temperature, query in ((1.0, (0.5, 0.5)), (0.3, (0.0, 1.0)), (2.5, (0.99, 0.01))):
                weights = weights_from_payload(entry, index, temperature, query).astype(np.float32)
                cases.append({"entry": entry, "index": index, "temperature": temperature, "query": list(query),
                              "weights": _floats(weights)})  # fmt: skip
    queries = [(0.0, 0.0), (1.0, 1.0), (0.5, 0.5), (1 / 3, 2 / 3), (0.999999, 0.25), (0.125, 0.875)]
    grids = [(1, 1), (2, 2), (3, 4), (8, 12), (7, 5)]
    cells = [{"query": list(q), "grid": list(g), "cell": grid_cell(q, g)} for q in queries for g in grids]
    return {"weights": cases, "cells": cells}


def upsample_cases(random: np.random.Generator) -> dict:
    """upsample against cnnattn.maps.upsample (torch's bilinear interpolation), float32 for float32."""
    sizes = [((1, 1), (3, 2)), ((2, 2), (5, 3)), ((3, 4), (7, 9)), ((1, 3), (4, 10)), ((5, 5), (5, 5)),
             ((8, 12), (31, 45)), ((6, 6), (4, 3))]  # fmt: skip
    cases = []
    for (h, w), (height, width) in sizes:
        grid = random.random((h, w)).astype(np.float32)
        cases.append({"grid": _floats(grid), "h": h, "w": w, "height": height, "width": width,
                      "upsampled": _floats(upsample(grid, height, width))})  # fmt: skip
    return {"cases": cases}


def colour_cases(random: np.random.Generator) -> dict:
    """Colour tables and whole overlays against cnnattn.render.overlay: upsample, lutIndices and the blend."""
    sent = lookup_tables()  # the view's props: base64, decoded by the browser
    tables = {name: {"base64": sent[name], "rgb": lookup_table(name).ravel().tolist()} for name in COLORMAPS}
    overlays = []
    for colormap, alpha, absolute in (("inferno", 0.5, True), ("viridis", 0.35, False), ("turbo", 1.0, False),
                                      ("gray", 0.0, True), ("cividis", 0.05, False)):  # fmt: skip
        photo = random.integers(0, 256, (7, 9, 3), dtype=np.uint8)
        grid = random.dirichlet(np.ones(6)).astype(np.float32).reshape(2, 3)
        vmax = ABSOLUTE_MAX / grid.size if absolute else None
        blended = np.asarray(overlay(Image.fromarray(photo), grid, colormap, alpha, vmax))
        overlays.append({"photo": photo.ravel().tolist(), "width": 9, "height": 7, "grid": _floats(grid), "h": 2,
                         "w": 3, "colormap": colormap, "alpha": alpha, "top": float(vmax or grid.max()),
                         "rgb": blended.ravel().tolist()})  # fmt: skip
    return {"tables": tables, "overlays": overlays}


def _sample_values(template: str, numbers: list[float]) -> dict:
    """A value for every {name} of a template: a float where it has a format spec, else a whole number."""
    values = {}
    for i, (name, spec) in enumerate(re.findall(r"(?<!\{)\{(\w+)(?::([^}]*))?\}", template)):
        values[name] = numbers[i % len(numbers)] if spec else 3 + i
    return values


def format_cases() -> dict:
    """Every number shown the way Python writes it: format specs, the tables' numbers and the templates."""
    positive = [v for v in NUMBERS if v >= 0]
    specs = {spec: [format(v, spec) for v in NUMBERS] for spec in (".0f", ".1f", ".2f", ".3f", ".4f", ".0%", ".1%")}
    general = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 0.05, 1e-5, 0.0001, 123456.0, 1234567.0, 0.35, 1.75, 3.14159265]
    numbers = {
        # only below 0.01 (weights below 10⁻³, ratios below 0.01), where no value is halfway at one decimal
        "scientific": [[v, scientific(v)] for v in positive if 0 < v < 0.01],
        "weight": [[v, format_weight(v)] for v in NUMBERS],
        "ratio": [[v, format_ratio(v)] for v in NUMBERS],
        "percent": [[v, format_percent(v)] for v in positive if v <= 1],
    }
    words = {language: browser_words(language)["templates"] for language in LANGUAGES}
    plain = {language: [[v, plain_weight(v, language)] for v in positive] for language in LANGUAGES}
    cells = {
        language: [[w, n, cell_weight(w, n, language)] for w in positive if w <= 1 for n in (1, 96, 384)]
        for language in LANGUAGES
    }
    templates = []
    for language in LANGUAGES:
        for offset, key in enumerate(TEMPLATES):
            template = words[language][key]
            values = _sample_values(template, NUMBERS[offset:] + NUMBERS[:offset])
            templates.append({"template": template, "values": values, "text": text(key, language, **values)})
    plurals = [
        {"template": words[language][key], "n": n, "text": count(key, n, language)}
        for language in LANGUAGES
        for key in ("count.position", "count.neighbour")
        for n in (0, 1, 2, 3, 8, 21, 96)
    ]
    return {
        "numbers": NUMBERS,
        "specs": specs,
        "general": [[v, f"{v:g}"] for v in general],
        "tables": numbers,
        "plain": plain,
        "cells": cells,
        "templates": templates,
        "plurals": plurals,
        "round": [[v, round(v)] for v in (0.5, 1.5, 2.5, 3.49, 3.51, 7.0, 12.5, 95.5)],
    }


def weight_maps(random: np.random.Generator) -> list[np.ndarray]:
    """Weight grids: one heavy block in each place, nearly flat, scattered, uniform, and random ones."""
    grids = []
    for rows, cols in ((slice(0, 2), slice(0, 2)), (slice(3, 5), slice(5, 7)), (slice(6, 8), slice(10, 12)),
                       (slice(3, 4), slice(7, 8)), (slice(0, 2), slice(5, 7))):  # fmt: skip
        grid = np.full((8, 12), 1e-4)
        grid[rows, cols] = 1.0
        grids.append(grid / grid.sum())
    grids.append(np.full((8, 8), 1 / 64))
    flat = 1 + 0.01 * random.random((8, 12))
    grids.append(flat / flat.sum())
    scattered = np.full((8, 12), 1e-4)
    scattered[0, 0] = scattered[7, 11] = scattered[0, 11] = scattered[7, 0] = 1.0
    grids.append(scattered / scattered.sum())
    grids += [random.dirichlet(np.full(h * w, 0.3)).reshape(h, w) for h, w in ((8, 12), (3, 3), (1, 5), (16, 24))]
    return grids


def readout_cases(maps: list[np.ndarray]) -> dict:
    """readout and its text against cnnattn.analysis.readouts (read, summary) and lesson.answer.readout_text."""
    cases = []
    for index, grid in enumerate(maps):
        for share, k in ((0.5, 5), (0.9, 1)):
            reading = readouts.read(grid, share, k)
            cases.append(
                {
                    "map": index,
                    "share": share,
                    "k": k,
                    "entropy": reading.entropy,
                    "effective": reading.effective_positions,
                    "mass": reading.top_k_mass,
                    "summary": {language: readouts.summary(reading, language) for language in LANGUAGES},
                    "text": {language: readout_text(reading, language) for language in LANGUAGES},
                }
            )
    return {"cases": cases}


def guess_cases(maps: list[np.ndarray]) -> dict:
    """scoreGuess and guessText against cnnattn.lesson.guess (score_guess, guess_text)."""
    clicks = [(0.0, 0.0), (1.0, 1.0), (0.5, 0.5), (0.01, 0.5), (0.5, 0.99), (0.7, 0.3), (0.99, 0.01)]
    cases = []
    for index, grid in enumerate(maps):
        for click in clicks:
            guess = score_guess(grid, click)
            cases.append(
                {
                    "map": index,
                    "click": list(click),
                    "cell": list(guess.cell),
                    "neighbours": guess.neighbours,
                    "mass": guess.mass,
                    "uniform": guess.uniform,
                    "ratio": guess.ratio,
                    "rank": guess.rank,
                    "text": {language: guess_text(guess, language) for language in LANGUAGES},
                }
            )
    return {"cases": cases}


def link_cases() -> dict:
    """link against cnnattn.lesson.links.link_params."""
    variants = [
        ({}, None),
        (dict(head="self/0", temperature=0.1, query=(0.3125, 0.0625), language="zh"), "cheetah"),
        (dict(head="simple/2", temperature=2.5, opacity=0.35, colormap="turbo", shared_scale=False), "grace_hopper"),
        (dict(class_index=291, layer="blocks.4", share=0.75, top_k=3, temperature=1e-05), None),
        (dict(query=(0.0005, 0.9995), opacity=1.0, temperature=4.0, class_index=TOP1), "lion"),
    ]
    cases = []
    for changes, example in variants:
        settings = LessonSettings(**changes)
        view = {"head": settings.head, "query": list(settings.query), "head_temperature": settings.temperature,
                "colormap": settings.colormap, "opacity": settings.opacity}  # fmt: skip
        fixed = {"example": example or "", "language": settings.language, "shared_scale": settings.shared_scale,
                 "share": settings.share, "top_k": settings.top_k, "class_index": settings.class_index,
                 "layer": settings.layer}  # fmt: skip
        cases.append({"settings": view, "fixed": fixed, "link": f"?{link_params(settings, example)}"})
    return {"cases": cases}


def outputs_cases() -> dict:
    """The output names (cnnattn.lesson.outputs) and registered steps' texts as LessonAnswers.texts fills
    them: a step's template (here a catalogue entry of the built-in steps) with its values for one head."""
    values = {"h": 7, "w": 7, "n": 49, "c": 768, "low": -3.14159, "high": 12.5}
    block = {"steps": {"toy": {"template": "pool.step1", "values": {"class": values, "self/0": None}}}}
    texts = {
        language: {"class": {"toy": text("pool.step1", language, **values)}, "self/0": {"toy": ""}}
        for language in LANGUAGES
    }
    return {"text_outputs": list(TEXT_OUTPUTS), "table_outputs": list(TABLE_OUTPUTS), "block": block, "texts": texts}


def all_cases() -> dict[str, str]:
    """File name -> its JSON text, every case made afresh (the same every run: one seeded generator)."""
    random = np.random.default_rng(SEED)
    maps = weight_maps(random)
    made = {
        "words.json": {language: browser_words(language) for language in LANGUAGES},  # what the lesson block sends
        "maps.json": [{"weights": _floats(grid), "grid": list(grid.shape)} for grid in maps],
        "softmax.json": softmax_cases(random),
        "weights.json": weights_cases(random),
        "upsample.json": upsample_cases(random),
        "colour.json": colour_cases(random),
        "format.json": format_cases(),
        "readout.json": readout_cases(maps),
        "guess.json": guess_cases(maps),
        "link.json": link_cases(),
        "outputs.json": outputs_cases(),
    }
    return {name: json.dumps(cases, ensure_ascii=False, separators=(",", ":")) + "\n" for name, cases in made.items()}


def main() -> int:
    CASES.mkdir(exist_ok=True)
    for name, written in all_cases().items():
        (CASES / name).write_text(written, encoding="utf-8")
        print(f"{CASES / name}: {len(written):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
