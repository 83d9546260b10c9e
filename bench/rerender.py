"""Re-rendering from cached features vs a full request on the same photo, and where a request's
time goes. Mirrors the app's handler with the same library calls (app.py is wiring only)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from bench.timing import interleaved, synchronizer
from cnnattn.cache import content_key
from cnnattn.explain import Explainer
from cnnattn.image.loading import load_image
from cnnattn.render.outputs import RenderOptions, render_overlays, write_outputs

DEFAULT_OPTIONS = dict(queries=[(0.5, 0.5)], class_index=None, temperature=1.0)
# What a user changes after the first request; each re-renders from the cached encoding.
CHANGES = {
    "temperature 2.0": (dict(DEFAULT_OPTIONS, temperature=2.0), "inferno"),
    "class 291 (lion)": (dict(DEFAULT_OPTIONS, class_index=291), "inferno"),
    "query click (0.2, 0.7)": (dict(DEFAULT_OPTIONS, queries=[(0.2, 0.7)]), "inferno"),
    "colormap viridis": (DEFAULT_OPTIONS, "viridis"),
}
STAGES = ("read + hash", "decode", "preprocess", "model", "explain", "render", "write files")


def run(explainer: Explainer, photo: Path, repeats: int, warmup: int) -> dict:
    """Full request vs each change re-rendered from the cached encoding, twice: maps only
    (explain + render, what the target is about) and as the app answers (plus writing files)."""
    sync = synchronizer(explainer.device)
    output_dir = Path(tempfile.mkdtemp(prefix="cnnattn-bench-"))
    cached_image = load_image(photo.read_bytes())
    cached = explainer.encode(cached_image)

    def respond(options: dict, colormap: str, from_cache: bool, files: bool):
        data = photo.read_bytes()
        content_key(data)  # the app's cache key; a hit skips decode and the backbone
        image = cached_image if from_cache else load_image(data)
        encoded = cached if from_cache else explainer.encode(image)
        explanation = explainer.explain_encoded(encoded, **options)
        overlays = render_overlays(image, explanation, RenderOptions(colormap, 0.5, False))
        return write_outputs(output_dir, overlays, explanation, photo.name) if files else overlays

    results = {}
    for files, key in ((False, "maps"), (True, "files")):
        timed = {"full request": lambda f=files: respond(DEFAULT_OPTIONS, "inferno", False, f)}
        for name, (options, colormap) in CHANGES.items():
            timed[f"re-render: {name}"] = lambda o=options, c=colormap, f=files: respond(o, c, True, f)
        samples = interleaved(timed, repeats, warmup, sync)
        full = samples["full request"].median_ms
        rows = [{"what": n, "median_ms": s.median_ms, "of_full": s.median_ms / full} for n, s in samples.items()]
        results[key] = {"rows": rows}
    results["stages"] = stages(explainer, photo, output_dir, repeats, warmup)
    results["baseline_stages"] = baseline_stages(photo, explainer.device, repeats, warmup)
    results["encoders"] = encoders(explainer, photo, repeats, warmup)
    results["photo"] = photo.name
    return results


def stages(explainer: Explainer, photo: Path, output_dir: Path, repeats: int, warmup: int) -> list[dict]:
    """Each stage of one request timed on its own, on the same photo (a profiling run)."""
    sync = synchronizer(explainer.device)
    data = photo.read_bytes()
    image = load_image(data)
    inputs = explainer.preprocessing(image).unsqueeze(0).to(explainer.device)
    encoded = explainer.encode(image)
    explanation = explainer.explain_encoded(encoded, **DEFAULT_OPTIONS)
    overlays = render_overlays(image, explanation, RenderOptions("inferno", 0.5, False))

    def model():
        with torch.inference_mode():
            return explainer.model(inputs)

    timed = {
        "read + hash": lambda: content_key(photo.read_bytes()),
        "decode": lambda: load_image(data),
        "preprocess": lambda: explainer.preprocessing(image).unsqueeze(0).to(explainer.device),
        "model": model,
        "explain": lambda: explainer.explain_encoded(encoded, **DEFAULT_OPTIONS),
        "render": lambda: render_overlays(image, explanation, RenderOptions("inferno", 0.5, False)),
        "write files": lambda: write_outputs(output_dir, overlays, explanation, photo.name),
    }
    samples = interleaved(timed, repeats, warmup, sync)
    size = f"{image.width}x{image.height}, {len(explanation.maps)} maps, grid {tuple(encoded.features.shape[-2:])}"
    return [{"stage": name, "median_ms": samples[name].median_ms, "detail": size} for name in STAGES]


def baseline_stages(photo: Path, device: torch.device, repeats: int, warmup: int) -> list[dict]:
    """The Grad-CAM app's stages with its own functions: gradio's PIL decode, the CAM, the
    overlay, and the WebP encode gradio applies to a returned PIL image."""
    import io

    from PIL import Image, ImageOps

    from bench.gradcam_app import GradCamOverlay

    baseline = GradCamOverlay(str(device))
    image = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    inputs = baseline.prepare(image)
    cam = baseline.grayscale_cam(inputs)
    overlay = baseline.render(image, cam)
    timed = {
        "decode": lambda: ImageOps.exif_transpose(Image.open(photo)).convert("RGB"),
        "preprocess": lambda: baseline.prepare(image),
        "model (Grad-CAM)": lambda: baseline.grayscale_cam(inputs),
        "render": lambda: baseline.render(image, cam),
        "encode (WebP, as gradio)": lambda: overlay.save(io.BytesIO(), format="WEBP"),
    }
    samples = interleaved(timed, repeats, warmup, synchronizer(device))
    return [{"stage": name, "median_ms": s.median_ms} for name, s in samples.items()]


def encoders(explainer: Explainer, photo: Path, repeats: int, warmup: int) -> list[dict]:
    """Encoding one request's overlays in the formats a gallery could use (downloads stay PNG)."""
    import io

    from cnnattn.render.outputs import png_bytes

    image = load_image(photo.read_bytes())
    explanation = explainer.explain_encoded(explainer.encode(image), **DEFAULT_OPTIONS)
    overlays = render_overlays(image, explanation, RenderOptions("inferno", 0.5, False))

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
