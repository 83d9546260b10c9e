"""Why the CLI's RSS creeps up on a varied folder: per-input-shape state, not held records.

    python -m bench.shape_memory [--images 400]

Runs the CLI's per-photo work (preprocess, model, explain, JSON record) in process twice: on the
photos' own input sizes, and with every input resized to one shape; prints RSS every 50 photos.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import psutil
import torch

from bench.run_all import SHARED_SAMPLES
from cnnattn.explain import Explainer
from cnnattn.image.discovery import find_images
from cnnattn.image.loading import load_image

FIXED_SHAPE = (256, 320)  # (H, W): a typical landscape input


def trace(explainer: Explainer, files: list, fixed: bool) -> list[tuple[int, int, float]]:
    """(photos done, distinct input shapes so far, RSS MB) every 50 photos."""
    process, shapes, points = psutil.Process(), set(), []
    for done, path in enumerate(files, start=1):
        image = load_image(path)
        inputs = explainer.preprocessing(image)  # (3, H, W)
        if fixed:
            inputs = torch.nn.functional.interpolate(inputs[None], size=FIXED_SHAPE)[0]
        shapes.add(tuple(inputs.shape))
        explainer.explain_encoded(explainer.encode_inputs(inputs, image.size)).to_json(str(path))
        if done % 50 == 0:
            points.append((done, len(shapes), process.memory_info().rss / 2**20))
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--mode", choices=("own", "fixed"), help="one mode in this process (default: both, fresh)")
    args = parser.parse_args()
    if args.mode is None:  # each mode in a fresh process, so neither inherits the other's caches
        for mode in ("own", "fixed"):
            subprocess.run([sys.executable, "-m", "bench.shape_memory", "--images", str(args.images), "--mode", mode])
        return
    torch.set_num_threads(1)
    explainer = Explainer.load(device="cpu")
    files = find_images([str(SHARED_SAMPLES)])[: args.images]
    label = "one input shape" if args.mode == "fixed" else "own input sizes"
    for done, shapes, rss in trace(explainer, files, args.mode == "fixed"):
        print(f"{label}: {done} photos, {shapes} distinct input shapes, RSS {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
