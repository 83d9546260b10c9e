"""Golden outputs of the CLI, the Explore payload and the Lesson's block for the five example photos.

    PYTHONPATH=ROOT python tests/golden/make_outputs.py --source ROOT

rewrites the fixtures beside this file from the cnnattn code at ROOT (default: this checkout), so they
can be made from a clean copy of a commit while the working tree is being edited (README.md).
tests/test_golden_outputs.py compares the working tree's outputs with them byte for byte.

Only cnnattn's public entry points are named here (and in one place each), so a restructure that moves
them changes one import, never a fixture.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import lzma
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parents[1]
QUERY = "0.3,0.6"
BOTH_LANGUAGES = ("cheetah",)  # photos whose payload and lesson block are kept in zh as well as en
# The fixture files, xz-compressed: a fifth smaller than gzip (base64 float arrays and a JPEG dominate).
CLI, PAYLOADS, LESSONS = "explain.jsonl.xz", "payloads.json.xz", "lessons.json.xz"


def photos() -> dict[str, Path]:
    """The web app's example photos (cnnattn.webapp.app.example_photos) where their packages ship them,
    by name; found here, not through the app, whose module may move."""
    import matplotlib
    from gradio.media import get_image

    sklearn = Path(importlib.util.find_spec("sklearn").origin).parent
    paths = [
        Path(get_image("cheetah.jpg")),
        Path(get_image("lion.jpg")),
        Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg",
        Path(get_image("tower.jpg")),
        sklearn / "datasets" / "images" / "flower.jpg",
    ]
    return {path.stem: path for path in paths}


def dumped(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")


def start_cli(source: Path, out: Path) -> subprocess.Popen:
    """`python -m cnnattn explain` on the photos, run from `source` on one thread (deterministic sums)."""
    env = os.environ | {"PYTHONPATH": str(source), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "cnnattn", "explain", *map(str, photos().values())]
    argv += ["--query", QUERY, "--out", str(out), "--threads", "1", "--workers", "0"]
    return subprocess.Popen(argv, cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def cli_lines(out: Path) -> bytes:
    """The CLI's lines with each absolute image path cut to its file name (the only machine-specific
    field); re-dumped as the CLI dumps them, so key order and float text are the CLI's own."""
    lines = []
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record["image"] = Path(record["image"]).name
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines).encode("utf-8")


def languages(name: str) -> tuple[str, ...]:
    return ("en", "zh") if name in BOTH_LANGUAGES else ("en",)


def web_outputs() -> tuple[bytes, bytes]:
    """(payloads, lesson blocks) by photo name and language, made in this process as the app makes them:
    Explore's `pipeline.payload(data, class_index=None, language=...)` for the top-1 class, and the Lesson's
    `browser_texts` (lesson_block) at default LessonSettings with the photo's example name."""
    import torch

    from cnnattn import Explainer
    from cnnattn.lesson import steps
    from cnnattn.lesson.block import lesson_block
    from cnnattn.lesson.settings import LessonSettings
    from cnnattn.pipeline import Pipeline

    torch.set_num_threads(1)
    pipeline = Pipeline(Explainer.load(device="cpu"))
    explainer = pipeline.explainer
    heads = [str(head_id) for head_id in steps.head_ids(explainer.heads)]
    payloads, lessons = {}, {}
    for name, path in photos().items():
        data = path.read_bytes()
        _, _, encoded = pipeline.encode(data)
        payloads[name], lessons[name] = {}, {}
        for language in languages(name):
            payloads[name][language] = pipeline.payload(data, class_index=None, language=language)
            settings = LessonSettings(language=language).checked(heads)
            block = lesson_block(explainer.heads, encoded, settings, name, explainer.calibration_temperature)
            lessons[name][language] = block
    return dumped(payloads), dumped(lessons)


def generate(source: Path = ROOT) -> dict[str, bytes]:
    """Every fixture's uncompressed bytes, from the cnnattn code at `source` (which must be the one imported)."""
    import cnnattn

    imported = Path(cnnattn.__file__).resolve()
    if not imported.is_relative_to(source.resolve()):
        raise SystemExit(f"cnnattn is imported from {imported}, not from {source}: set PYTHONPATH={source}")
    with tempfile.TemporaryDirectory(prefix="cnnattn-golden-") as folder:
        out = Path(folder) / "explain.jsonl"
        cli = start_cli(source, out)  # runs beside the in-process work: one thread each
        payloads, lessons = web_outputs()
        log, _ = cli.communicate()
        if cli.returncode != 0:
            raise RuntimeError(f"cnnattn explain exited {cli.returncode}:\n{log.decode(errors='replace')}")
        return {CLI: cli_lines(out), PAYLOADS: payloads, LESSONS: lessons}


def read_fixture(name: str) -> bytes:
    return lzma.decompress((FOLDER / name).read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="root of the cnnattn code to run")
    parser.add_argument("--check", action="store_true", help="compare with the fixtures instead of writing")
    args = parser.parse_args(argv)
    outputs = generate(args.source)
    for name, data in outputs.items():
        if args.check:
            print(f"{name}: {'same' if read_fixture(name) == data else 'DIFFERENT'}")
        else:
            (FOLDER / name).write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
            print(f"{name}: {len(data):,} bytes, {(FOLDER / name).stat().st_size:,} compressed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
