"""The validation runs behind the chosen objectives: `python -m cnnattn.training.ablation DATA`.

Each run changes the chosen configuration (cnnattn.training.train.CHOSEN) in one way, trains on
the train split from cached features and scores the validation split with the cheap measures of
cnnattn.training.simple_objective and self_objective (insertion/deletion is left to `cnnattn evaluate`,
which costs minutes per photo). The held-out split is never read. docs/HEADS.md shows the table this writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from cnnattn.backbones import DEFAULT_BACKBONE, create_backbone
from cnnattn.training.data import FeatureExtractor, default_cache_dir, find_labelled_images
from cnnattn.training.features import ViewSpec, load_dataset, preprocessing_for
from cnnattn.training.train import CHOSEN, fit_and_score, machine, trainable_kinds, validation_coco

VERSION_1_SIMPLE = {  # what shipped before: CE on labels only, 4 heads, a gentle optimiser
    "num_heads": 4,
    "classification_weight": 1.0,
    "kl_weight": 0.0,
    "mosaic_weight": 0.0,
    "diversity_weight": 0.0,
    "evidence_weight": 0.0,
    "epochs": 8,
    "lr": 1e-3,
}

# (kind, label, changes to the chosen configuration)
RUNS: list[tuple[str, str, dict]] = [
    ("simple", "chosen", {}),
    ("simple", "version 1 objective (labels only, K = 4, lr 1e-3, 8 epochs)", VERSION_1_SIMPLE),
    ("simple", "no mosaics", {"mosaic_weight": 0.0}),
    ("simple", "no diversity term", {"diversity_weight": 0.0}),
    ("simple", "no evidence term on head 0", {"evidence_weight": 0.0}),
    ("simple", "labels instead of distillation (CE 1, KL 0)", {"classification_weight": 1.0, "kl_weight": 0.0}),
    ("simple", "plus entropy hinge (5 x above 0.7)", {"entropy_weight": 5.0}),
    ("simple", "K = 3", {"num_heads": 3}),
    ("simple", "K = 8", {"num_heads": 8}),
    ("self", "chosen", {}),
    ("self", "version 1 objective (CE 1 + KL 2, nothing on the rows)", {"affinity_weight": 0.0}),
    ("self", "2 heads", {"num_heads": 2}),
]


def run_all(data: Path, coco: Path | None, out: Path, only: str | None = None, log=print) -> list[dict]:
    backbone = create_backbone(DEFAULT_BACKBONE)
    extractor = FeatureExtractor(backbone, preprocessing_for(backbone), torch.device("cpu"))
    images = find_labelled_images(data)
    dataset = load_dataset(data, images, extractor, ViewSpec(), 0, default_cache_dir())
    photos = validation_coco(coco, extractor, default_cache_dir())
    done = {(r["kind"], r["label"]) for r in _read(out)}
    for kind, label, changes in RUNS:
        if (only and kind != only) or (kind, label) in done:
            continue
        objective = dataclasses.replace(CHOSEN[kind], **changes)
        started = time.perf_counter()
        _, _, scores = fit_and_score(kind, objective, dataset, extractor, photos, log=lambda text: None)
        record = {
            "kind": kind,
            "label": label,
            "changes": changes,
            "settings": dataclasses.asdict(objective),
            "validation": scores,
            "seconds": round(time.perf_counter() - started, 1),
            "machine": machine(),
            "input_short_side": dataset.short_side,
        }
        with out.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
        log(f"{kind} | {label} | {json.dumps({k: v for k, v in scores.items() if k != 'mosaic'})}")
    return _read(out)


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def table(records: list[dict]) -> str:
    """Markdown tables of the validation runs (one per kind)."""
    lines = []
    simple = [r for r in records if r["kind"] == "simple"]
    if simple:
        lines += [
            "| run | top-1 (backbone) | entropy / log(HW) | > 90% on one cell | pairwise JS | "
            "best head's weight on evidence cells | mosaic: matched head right |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in simple:
            v = r["validation"]
            lines.append(
                f"| {r['label']} | {v['top1']:.3f} ({v['backbone_top1']:.3f}) | {v['entropy_ratio']:.3f} | "
                f"{100 * v['collapsed_share']:.1f}% | {v['pairwise_js']:.3f} | "
                f"{100 * max(v['evidence_top_quarter_mass']):.0f}% | {100 * v['mosaic']['matched_top1']:.0f}% |"
            )
    selfs = [r for r in records if r["kind"] == "self"]
    if selfs:
        lines += [
            "",
            "| run | top-1 (backbone) | row entropy / log(HW) | rows > 90% on one cell | "
            "COCO objects (things / stuff) |",
            "|---|---|---|---|---|",
        ]
        for r in selfs:
            v = r["validation"]
            coco = v.get("coco", {})
            objects = (
                f"{coco['object_over_share_mean']:.2f} ({coco['things']['object_over_share_mean']:.2f} / "
                f"{coco['stuff']['object_over_share_mean']:.2f})"
                if coco.get("queries")
                else "-"
            )
            lines.append(
                f"| {r['label']} | {v['top1']:.3f} ({v['backbone_top1']:.3f}) | {v['entropy_ratio']:.3f} | "
                f"{100 * v['collapsed_share']:.1f}% | {objects} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnattn.training.ablation", description=__doc__)
    parser.add_argument("data", type=Path, help="labelled folder the heads are trained on")
    parser.add_argument("--coco", type=Path, help="coco128-style folder: the SelfAttention COCO figure")
    parser.add_argument("--out", type=Path, required=True, help="JSON lines file of runs (appended; done runs skipped)")
    parser.add_argument("--kind", choices=[kind.kind for kind in trainable_kinds()], help="only these runs")
    parser.add_argument("--table", action="store_true", help="print the markdown table of --out and stop")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not args.table:
        run_all(args.data, args.coco, args.out, args.kind)
    print(table(_read(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
