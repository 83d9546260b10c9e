"""The benchmark command runs end to end on tiny settings, so CI keeps it working (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnattn.maps import upsample
from cnnattn.render import overlay

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_writes_report_with_every_section(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    samples = tmp_path / "photos"
    samples.mkdir()
    from gradio.media import get_image

    for name in ("cheetah.jpg", "lion.jpg", "tower.jpg"):
        (samples / name).write_bytes(Path(get_image(name)).read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--data", str(samples)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    headings = ("## Headline", "## Targets", "## Per image", "## Re-rendering", "## Batch", "## Through the server")
    assert all(heading in text for heading in headings)
    assert "GPU figures were not measured" in text or "measured on the GPU" in text
    for plot in ("per_image.png", "stages.png", "batch_memory.png", "server.png"):
        assert (tmp_path / "benchmarks" / plot).stat().st_size > 1000
    results = json.loads((tmp_path / "benchmarks" / "BENCHMARKS.json").read_text())
    assert {r["method"] for r in results["per_image"]} >= {"backbone forward (floor)", "cnnattn, all heads"}
    assert [m["records"] for m in results["batch"]["memory"]] == [2, 3]  # the CLI wrote every record
    assert all(r["failed"] == 0 for r in results["server"]["rows"] if r["app"] == "cnnattn")


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 0.77, 1.0])
@pytest.mark.parametrize("colormap", ["inferno", "gray"])
def test_fast_overlay_matches_the_reference_formula(alpha, colormap):
    """render.overlay blends in place for speed; pixels equal the plain formula bit for bit."""
    import matplotlib

    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    weights = rng.random((5, 7)).astype(np.float32)
    scaled = upsample(weights, photo.height, photo.width) / float(weights.max())
    lut = (matplotlib.colormaps[colormap](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)
    colours = lut[np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)].astype(np.float32)
    expected = (np.asarray(photo, dtype=np.float32) * (1.0 - alpha) + colours * alpha + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(overlay(photo, weights, colormap, alpha)), expected)
