"""Downloads built on request from the cached encoding and the settings the browser shows now."""

from __future__ import annotations

import io
import json
import math
import uuid
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from cnnattn.errors import UserError
from cnnattn.explain import Explainer, Explanation, MapRequest
from cnnattn.heads import ClassMap, Head, HeadId
from cnnattn.payload import display_photo
from cnnattn.pipeline import Pipeline
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP, mark_query, overlay
from cnnattn.render.outputs import png_bytes
from cnnattn.webapp.view import ABSOLUTE_MAX

MODES = ("absolute", "per_map")
# Zip entries carry this fixed date, so the same maps make the same zip: gradio's cache, which names files
# by their content hash, then keeps one copy per photo and settings instead of one per download.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


MAX_SETTINGS_CHARS = 2000
MAX_HEAD_CHARS = 64


def within(value: float, slider: tuple[float, float, float]) -> bool:
    """A finite number inside a temperature slider's (low, high, step) range (NaN and infinity are not)."""
    return math.isfinite(float(value)) and slider[0] <= float(value) <= slider[1]


@dataclass(frozen=True)
class ViewSettings:
    """What the attention view shows now; the browser sends it as JSON with a download request."""

    colormap: str = DEFAULT_COLORMAP
    opacity: float = 0.5  # heatmap over the photo, 0..1
    mode: str = "absolute"  # "absolute": colour = weight x H*W on 0..ABSOLUTE_MAX; "per_map": own maximum
    head: str = "all"  # "all" or one head id, e.g. "simple/2"
    query: tuple[float, float] = (0.5, 0.5)  # query-row heads' query, (x, y) fractions of width and height
    class_temperature: float = 4.0  # softmax temperature of class-conditional maps
    temperature: float = 1.0  # softmax temperature of every other head

    @classmethod
    def from_json(cls, text: str | None) -> ViewSettings:
        """Parse and check the browser's settings; anything malformed is one translated sentence."""
        if len(text or "") > MAX_SETTINGS_CHARS:  # a real view's settings are ~200 characters
            raise UserError("error.bad_settings")
        try:
            raw = json.loads(text or "{}")
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in raw.items() if k in known}
            if "query" in values:
                values["query"] = tuple(float(v) for v in values["query"])
            settings = cls(**values)
            valid = (
                settings.colormap in COLORMAPS
                and settings.mode in MODES
                and 0.0 <= float(settings.opacity) <= 1.0
                and len(settings.query) == 2
                and all(0.0 <= v <= 1.0 for v in settings.query)
                and within(settings.class_temperature, ClassMap.temperature_range)
                and within(settings.temperature, Head.temperature_range)
                and isinstance(settings.head, str)
                and len(settings.head) <= MAX_HEAD_CHARS
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise UserError("error.bad_settings") from exc
        if not valid:
            raise UserError("error.bad_settings")
        return settings

    def temperatures(self, explainer: Explainer) -> dict[str, float]:
        return {
            head.kind: float(self.class_temperature if head.class_conditional else self.temperature)
            for head in explainer.heads
        }


def explain_as_shown(pipeline: Pipeline, data: bytes, settings: ViewSettings, class_index: int | None, language: str):
    """(display photo, explanation) for the settings shown: re-encodes an evicted photo, never 'expired'."""
    _, photo, encoded = pipeline.encode(data)
    temperatures = settings.temperatures(pipeline.explainer)
    request = MapRequest(queries=[settings.query], class_index=class_index, temperatures=temperatures)
    explanation = pipeline.explainer.explain_encoded(encoded, request, language=language)
    return display_photo(photo), explanation


def file_stem(head: HeadId) -> str:
    """A map's file name, its head counted from 1 as on screen: "class", "simple-1" (JSON keeps 0-based ids)."""
    return head.kind if head.single else f"{head.kind}-{head.index + 1}"


def write_downloads(folder: Path, shown, explanation: Explanation, settings: ViewSettings, name: str) -> list[Path]:
    """Overlay PNGs of the maps shown, weights.json (with the settings) and weights.npy, plus one zip of all."""
    folder = folder / uuid.uuid4().hex
    folder.mkdir(parents=True)
    chosen = [m for m in explanation.maps if settings.head in ("all", str(m.head))]
    files: dict[str, bytes] = {}
    for attention_map in chosen:
        h, w = attention_map.weights.shape
        vmax = ABSOLUTE_MAX / (h * w) if settings.mode == "absolute" else None
        image = overlay(shown, attention_map.weights, settings.colormap, settings.opacity, vmax)
        if attention_map.query is not None:
            image = mark_query(image, attention_map.query)
        files[f"{file_stem(attention_map.head)}.png"] = png_bytes(image)
    record = explanation.to_json(name) | {"settings": asdict(settings)}
    record["maps"] = [m.to_json() for m in chosen]
    files["weights.json"] = json.dumps(record, ensure_ascii=False, allow_nan=False).encode("utf-8")  # JSON only
    if len({m.weights.shape for m in chosen}) == 1:
        stacked = io.BytesIO()
        np.save(stacked, np.stack([m.weights for m in chosen]))  # (maps, h, w) in weights.json's order
        files["weights.npy"] = stacked.getvalue()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file_name, content in files.items():
            bundle.writestr(zipfile.ZipInfo(file_name, ZIP_DATE), content, zipfile.ZIP_DEFLATED)
    files["cnnattn-maps.zip"] = archive.getvalue()
    paths = []
    for file_name, content in files.items():
        path = folder / file_name
        path.write_bytes(content)
        paths.append(path)
    return paths
