"""The lesson's sanity threshold: how alike are one head's maps of two different photos?

For every head of every registered kind, on photos of a folder (evenly spaced in sorted order):

- **threshold**: the mean Spearman rank correlation between the head's maps of two different photos
  that share a grid (every such pair). What the lesson's sanity check compares against: a map whose
  head's weights were randomised should resemble the real map no more than another photo's map does.
- **randomised**: the Spearman rank correlation between each photo's map and the same head with its
  weights randomised (seed 0, as the lesson does), and the share of photos that pass.

Maps use each kind's default temperature, the class map its photo's top-1 class, query rows the
centre cell; Spearman ranks do not change with the temperature. Prints JSON, writes docs/LESSON.md's
block and the `SANITY_THRESHOLDS` line to paste into `cnnattn/analysis/sanity.py`.

    python -m bench.sanity_threshold [--data ../shared/data/imagenet-samples] [--photos 120] [--no-write]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from bench.timing import machine
from cnnattn import Explainer, load_image
from cnnattn.analysis.readouts import spearman
from cnnattn.image.discovery import images_in
from cnnattn.lesson import steps

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "imagenet-samples"
DOC = ROOT / "docs" / "LESSON.md"
BEGIN, END = "<!-- bench:sanity_threshold -->", "<!-- /bench:sanity_threshold -->"
CENTRE = (0.5, 0.5)


def evenly_spaced(paths: list[Path], count: int) -> list[Path]:
    step = max(len(paths) / count, 1.0)
    return [paths[int(i * step)] for i in range(min(count, len(paths)))]


def measure(explainer: Explainer, photos: list[Path]) -> dict:
    heads = [(head, head.randomised(0), index) for head in explainer.heads for index in range(head.num_heads)]
    maps: dict[str, list[tuple[tuple[int, int], np.ndarray]]] = defaultdict(list)  # kind -> (grid, map)
    randomised: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    for path in photos:
        encoded = explainer.encode(load_image(path))
        top1 = steps.top1(encoded)
        for head, random_head, index in heads:
            shown = steps.MapSettings(head.default_temperature, top1, CENTRE)
            real = steps.lesson_weights(head, index, encoded, shown)
            random = steps.lesson_weights(random_head, index, encoded, shown)
            maps[f"{head.kind}/{index}"].append((real.shape, real))
            randomised[head.kind].append(spearman(real, random))
    pairs: dict[str, list[float]] = defaultdict(list)
    for name, entries in maps.items():
        for (grid_a, a), (grid_b, b) in itertools.combinations(entries, 2):
            if grid_a == grid_b:
                pairs[name.partition("/")[0]].append(spearman(a, b))
    kinds = {}
    for kind, rhos in randomised.items():
        threshold = float(np.mean(pairs[kind]))
        kinds[kind] = {
            "threshold": round(threshold, 3),
            "pairs": len(pairs[kind]),
            "pair_rho_sd": round(float(np.std(pairs[kind])), 3),
            "randomised_rho_mean": round(float(np.mean(rhos)), 3),
            "passed_share": round(float(np.mean(np.asarray(rhos) <= threshold)), 3),
            "maps": len(rhos),
        }
    return {"photos": len(photos), "seconds": round(time.perf_counter() - started, 1), "kinds": kinds}


def markdown(result: dict, command: str) -> str:
    lines = [
        BEGIN,
        f"Measured {result['date']} on {result['machine']['cpu']} ({result['machine']['cores']} cores, torch "
        f"threads {result['machine']['torch_threads']}): `{command}`, {result['photos']} photos of "
        f"`{result['data']}` ({result['seconds']} s).",
        "",
        "| head kind | threshold: mean ρ, two photos | pairs | sd | mean ρ, real vs randomised | passed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        lines.append(
            f"| {kind} | {row['threshold']:.3f} | {row['pairs']} | {row['pair_rho_sd']:.3f} | "
            f"{row['randomised_rho_mean']:.3f} | {row['passed_share']:.0%} of {row['maps']} |"
        )
    return "\n".join(lines + [END])


def write_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text:
        before, rest = text.split(BEGIN, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/LESSON.md alone")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    explainer = Explainer.load(device="cpu")
    photos = evenly_spaced(images_in(args.data), args.photos)
    if len(photos) < 2:
        parser.error(f"{args.data} holds fewer than two images.")
    result = measure(explainer, photos)
    result.update(data=args.data.name, date=time.strftime("%Y-%m-%d"), machine=machine(explainer.device))
    print(json.dumps(result, indent=2))
    thresholds = {kind: row["threshold"] for kind, row in result["kinds"].items()}
    print(f"SANITY_THRESHOLDS: dict[str, float] = {thresholds}")
    if not args.no_write:
        write_doc(markdown(result, f"python -m bench.sanity_threshold --photos {args.photos}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
