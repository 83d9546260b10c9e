"""Re-rendering from cached features vs a full request on the same photo, and where a request's
time goes. A request takes the Explore tab handler's steps: the library's `Pipeline.explain`
(hash, single-flight encodings cache, explain) with the app's `head_temperatures`, then render and write."""

from __future__ import annotations

import io
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.timing import interleaved, synchronizer
from cnnattn.explain import Explainer, Explanation, MapRequest
from cnnattn.heads import ClassMap
from cnnattn.image.loading import load_image
from cnnattn.maps import CENTRE
from cnnattn.pipeline import Pipeline
from cnnattn.render import DEFAULT_COLORMAP, fit_within, mark_query, overlay
from cnnattn.render.outputs import png_bytes
from cnnattn.webapp.app import head_temperatures

# The Explore tab's controls at their defaults (opacity 0.5, own colour scale per map).
DEFAULT_REQUEST = dict(
    class_index=None,
    query=CENTRE,
    temperature=1.0,
    class_temperature=ClassMap.default_temperature,
    colormap=DEFAULT_COLORMAP,
)
# What a user changes after the first request; each re-renders from the cached encoding.
CHANGES = {
    "temperature 2.0": dict(DEFAULT_REQUEST, temperature=2.0),
    "class 291 (lion)": dict(DEFAULT_REQUEST, class_index=291),
    "query click (0.2, 0.7)": dict(DEFAULT_REQUEST, query=(0.2, 0.7)),
    "colormap viridis": dict(DEFAULT_REQUEST, colormap="viridis"),
}
STAGES = ("read + hash", "decode", "preprocess", "model", "explain", "render", "write files")


@dataclass(frozen=True)
class RenderOptions:
    colormap: str  # matplotlib colormap name
    alpha: float  # heatmap opacity over the photo, 0..1
    shared_scale: bool  # one absolute colour scale for all maps instead of each map's own maximum
    max_side: int = 768  # display size: overlays need no more pixels than a screen shows


def render_overlays(image: Image.Image, explanation: Explanation, options: RenderOptions) -> list[Image.Image]:
    """Every map drawn over the photo on the server (the app now draws them in the browser)."""
    shown = fit_within(image, options.max_side)
    vmax = max(float(m.weights.max()) for m in explanation.maps) if options.shared_scale else None
    overlays = []
    for attention_map in explanation.maps:
        rendered = overlay(shown, attention_map.weights, options.colormap, options.alpha, vmax)
        if attention_map.query is not None:
            rendered = mark_query(rendered, attention_map.query)
        overlays.append(rendered)
    return overlays


def _write_atomic(path: Path, data: bytes) -> Path:
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    staging.write_bytes(data)
    os.replace(staging, path)
    return path


def write_outputs(
    directory: Path, overlays: list[Image.Image], explanation: Explanation, image_name: str
) -> tuple[list[Path], list[Path]]:
    """Write overlay PNGs, weights.json and weights.npy (maps stacked in JSON order) to a fresh folder."""
    folder = directory / uuid.uuid4().hex
    folder.mkdir(parents=True)
    pngs = [
        _write_atomic(folder / f"{str(m.head).replace('/', '-')}-{i}.png", png_bytes(img))
        for i, (m, img) in enumerate(zip(explanation.maps, overlays, strict=True))
    ]
    record = json.dumps(explanation.to_json(image_name), ensure_ascii=False).encode("utf-8")
    stacked = io.BytesIO()
    np.save(stacked, np.stack([m.weights for m in explanation.maps]))
    data_files = [
        _write_atomic(folder / "weights.json", record),
        _write_atomic(folder / "weights.npy", stacked.getvalue()),
    ]
    return pngs, data_files


def map_request(explainer: Explainer, request: dict) -> MapRequest:
    """The Explore tab's controls as the maps `explain_encoded` computes."""
    return MapRequest(
        queries=[request["query"]],
        class_index=request["class_index"],
        temperatures=head_temperatures(explainer, request["temperature"], request["class_temperature"]),
    )


def respond(pipeline: Pipeline, photo: Path, request: dict, output_dir: Path | None):
    """The Explore handler's work for one request: overlays, and with an `output_dir` what it writes.
    A fresh `pipeline` misses the encodings cache (decode and backbone), a warm one hits it."""
    image, explanation = pipeline.explain(photo.read_bytes(), request=map_request(pipeline.explainer, request))
    overlays = render_overlays(image, explanation, RenderOptions(request["colormap"], 0.5, False))
    return overlays if output_dir is None else write_outputs(output_dir, overlays, explanation, photo.name)


def run(explainer: Explainer, photo: Path, repeats: int, warmup: int) -> dict:
    """Full request vs each change re-rendered from the cached encoding, twice: maps only
    (explain + render, what the target is about) and as the app answers (plus writing files)."""
    sync = synchronizer(explainer.device)
    output_dir = Path(tempfile.mkdtemp(prefix="cnnattn-bench-"))
    warm = Pipeline(explainer)
    warm.encode(photo.read_bytes())

    results = {}
    for out, key in ((None, "maps"), (output_dir, "files")):
        timed = {"full request": lambda o=out: respond(Pipeline(explainer), photo, DEFAULT_REQUEST, o)}
        for name, request in CHANGES.items():
            timed[f"re-render: {name}"] = lambda r=request, o=out: respond(warm, photo, r, o)
        samples = interleaved(timed, repeats, warmup, sync)
        full = samples["full request"].median_ms
        rows = [{"what": n, "median_ms": s.median_ms, "of_full": s.median_ms / full} for n, s in samples.items()]
        results[key] = {"rows": rows}
    results["stages"] = stages(explainer, photo, output_dir, repeats, warmup)
    results["baseline_stages"] = baseline_stages(photo, str(explainer.device), repeats, warmup)
    results["encoders"] = encoders(explainer, photo, repeats, warmup)
    results["photo"] = photo.name
    return results


def stages(explainer: Explainer, photo: Path, output_dir: Path, repeats: int, warmup: int) -> list[dict]:
    """Each stage of one request timed on its own, on the same photo (a profiling run)."""
    sync = synchronizer(explainer.device)
    data = photo.read_bytes()
    image = load_image(data)
    inputs = explainer.preprocessing(image)
    encoded = explainer.encode_inputs(inputs, image.size)
    maps = map_request(explainer, DEFAULT_REQUEST)
    explanation = explainer.explain_encoded(encoded, maps)
    render_options = RenderOptions(DEFAULT_REQUEST["colormap"], 0.5, False)
    overlays = render_overlays(image, explanation, render_options)

    warm = Pipeline(explainer)
    warm.encode(data)
    timed = {
        "read + hash": lambda: warm.encode(photo.read_bytes()),  # the cache hit: read, hash, look up
        "decode": lambda: load_image(data),
        "preprocess": lambda: explainer.preprocessing(image),
        "model": lambda: explainer.encode_inputs(inputs, image.size),
        "explain": lambda: explainer.explain_encoded(encoded, maps),
        "render": lambda: render_overlays(image, explanation, render_options),
        "write files": lambda: write_outputs(output_dir, overlays, explanation, photo.name),
    }
    samples = interleaved(timed, repeats, warmup, sync)
    size = f"{image.width}x{image.height}, {len(explanation.maps)} maps, grid {tuple(encoded.features.shape[-2:])}"
    return [{"stage": name, "median_ms": samples[name].median_ms, "detail": size} for name in STAGES]


def baseline_stages(photo: Path, device: str, repeats: int, warmup: int) -> list[dict]:
    """The Grad-CAM app's stages with its own functions: gradio's PIL decode, the top-1 class, the
    CAM, the overlay, and the WebP encode gradio applies to a returned PIL image."""
    from PIL import ImageOps

    from bench.gradcam_app import GradCamOverlay

    baseline = GradCamOverlay(device)
    image = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    inputs = baseline.prepare(image)
    class_index = baseline.top1(inputs)
    cam = baseline.grayscale_cam(inputs, class_index)
    overlay = baseline.render(image, cam)
    timed = {
        "decode": lambda: ImageOps.exif_transpose(Image.open(photo)).convert("RGB"),
        "preprocess": lambda: baseline.prepare(image),
        "top-1 class (forward)": lambda: baseline.top1(inputs),
        "model (Grad-CAM)": lambda: baseline.grayscale_cam(inputs, class_index),
        "render": lambda: baseline.render(image, cam),
        "encode (WebP, as gradio)": lambda: overlay.save(io.BytesIO(), format="WEBP"),
    }
    samples = interleaved(timed, repeats, warmup, synchronizer(baseline.device))
    return [{"stage": name, "median_ms": s.median_ms} for name, s in samples.items()]


def encoders(explainer: Explainer, photo: Path, repeats: int, warmup: int) -> list[dict]:
    """Encoding one request's overlays in the formats a gallery could use (downloads stay PNG)."""
    image = load_image(photo.read_bytes())
    explanation = explainer.explain_encoded(explainer.encode(image), map_request(explainer, DEFAULT_REQUEST))
    overlays = render_overlays(image, explanation, RenderOptions(DEFAULT_REQUEST["colormap"], 0.5, False))

    def encode(save) -> list[bytes]:
        return [save(overlay) for overlay in overlays]

    def pil(format: str, **options):
        def save(overlay) -> bytes:
            buffer = io.BytesIO()
            overlay.save(buffer, format=format, **options)
            return buffer.getvalue()

        return save

    formats = {
        "PNG, Pillow level 1 (outputs.png_bytes)": png_bytes,
        "WebP quality 80 (gradio's default for PIL)": pil("WEBP"),
        "JPEG quality 90": pil("JPEG", quality=90),
    }
    samples = interleaved({name: lambda s=save: encode(s) for name, save in formats.items()}, repeats, warmup, _no_sync)
    return [
        {
            "format": name,
            "overlays": len(overlays),
            "median_ms": samples[name].median_ms,
            "kb": sum(len(b) for b in encode(save)) / 1024,
        }
        for name, save in formats.items()
    ]


def _no_sync() -> None:
    pass
