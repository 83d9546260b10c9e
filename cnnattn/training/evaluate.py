"""`python -m cnnattn evaluate`: the numbers each shipped head reports, on its card and in docs/.

1. top-1 of each head's own classifier beside the backbone's, on the held-out images;
2. map entropy beside log(H*W), with min/max so a collapse would show;
3. RISE insertion/deletion AUC of every map kind beside random, centred-Gaussian and Grad-CAM maps;
4. SelfAttention rows queried inside COCO objects: weight on the object vs its area share.
Every image goes through the app's own loading and preprocessing.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from cnnattn.analysis.faithfulness import PerturbationSetup, curves_of
from cnnattn.analysis.gradcam import gradcam
from cnnattn.analysis.metrics import centred_gaussian, entropy, object_share
from cnnattn.backbones import DEFAULT_BACKBONE
from cnnattn.explain import Explainer
from cnnattn.heads import MapOptions, position_weights
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, checkpoint_paths
from cnnattn.image.loading import load_image
from cnnattn.maps import upsample
from cnnattn.training.data import file_list_sha256, find_labelled_images, split_held_out

REPO = Path(__file__).resolve().parents[2]
DEFAULT_COCO = REPO.parent / "shared" / "data" / "coco128"
COCO_STUFF_FIRST_ID = 92  # COCO panoptic ids below this are "things" (objects), from 92 on "stuff"


@dataclass(frozen=True)
class EvalConfig:
    checkpoints: Path = DEFAULT_CHECKPOINT_DIR
    backbone: str = DEFAULT_BACKBONE
    data: Path | None = None  # labelled folder; default: the folder named on the cards
    coco: Path = DEFAULT_COCO
    perturbation_images: int = 32  # held-out images for insertion/deletion (6 maps x 30 forwards each)
    steps: int = 16  # insertion/deletion steps per curve
    coco_images: int = 100  # COCO images with semantic masks
    min_cover: float = 0.75  # a query cell must be at least this much inside its object
    device: str = "cpu"
    doc: Path | None = REPO / "docs" / "EVALUATION.md"
    update_cards: bool = True


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _stderr(values: list[float]) -> float:
    if len(values) < 2:
        return float("nan")
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values))


def _entropy_summary(entropies: list[float], uniform: list[float], peaks: list[float]) -> dict:
    return {
        "maps": len(entropies),
        "entropy_mean": _mean(entropies),
        "entropy_min": min(entropies),
        "entropy_max": max(entropies),
        "uniform_entropy_mean": _mean(uniform),  # log(H*W) averaged over the same maps
        "entropy_ratio_mean": _mean([e / u for e, u in zip(entropies, uniform, strict=True)]),
        "kl_from_uniform_mean": _mean([u - e for e, u in zip(entropies, uniform, strict=True)]),
        "max_weight_mean": _mean(peaks),
        "collapsed_share": _mean([float(p > 0.9) for p in peaks]),  # maps with >90% on one position
    }


class EntropyTally:
    """Entropy, uniform entropy and peak weight of every map of one kind."""

    def __init__(self):
        self.entropies: list[float] = []
        self.uniform: list[float] = []
        self.peaks: list[float] = []

    def add(self, maps: torch.Tensor) -> None:
        """maps: (..., n) distributions over the last axis."""
        flat = maps.reshape(-1, maps.shape[-1]).double()
        self.entropies += entropy(flat).tolist()
        self.uniform += [math.log(maps.shape[-1])] * flat.shape[0]
        self.peaks += flat.max(dim=-1).values.tolist()

    def summary(self) -> dict:
        return _entropy_summary(self.entropies, self.uniform, self.peaks)


def _load_cards(config: EvalConfig, kinds: list[str]) -> dict[str, dict]:
    cards = {}
    for kind in kinds:
        _, card_path = checkpoint_paths(Path(config.checkpoints), config.backbone, kind)
        cards[kind] = json.loads(card_path.read_text(encoding="utf-8"))
    return cards


def _held_out_images(config: EvalConfig, cards: dict[str, dict]):
    splits = {json.dumps([c["data"]["file_list_sha256"], c["data"]["split"]], sort_keys=True) for c in cards.values()}
    if len(splits) != 1:
        raise ValueError("The heads were trained on different data or splits; evaluate them one folder at a time.")
    card = next(iter(cards.values()))
    folder = Path(config.data or card["data"]["folder"])
    if not folder.is_absolute() and not folder.exists():
        folder = REPO / folder
    images = find_labelled_images(folder)[: card["data"]["count"]]
    if file_list_sha256(images, folder) != card["data"]["file_list_sha256"]:
        raise ValueError(f"{folder} does not hold the files the heads were trained on (file-list hash differs).")
    split = card["data"]["split"]
    _, held_ids = split_held_out(len(images), split["held_out_fraction"], split["seed"])
    return folder, [images[i] for i in held_ids]


def saliency_maps(explainer: Explainer, inputs: torch.Tensor, class_index: int, seed: int) -> dict[str, torch.Tensor]:
    """Every map kind for one image at pixel resolution: the heads' maps and the three references."""
    H, W = inputs.shape[-2:]
    with torch.inference_mode():
        encoded = explainer.backbone.encode(inputs, (W, H))
        explanation = explainer.explain_encoded(encoded, class_index=class_index)
    h, w = encoded.features.shape[-2:]
    names = {"class": "class (T=4)", "simple": "simple (mean of heads)", "self": "self (centre row, mean of heads)"}
    maps = {}
    for kind, name in names.items():
        grids = [m.weights for m in explanation.maps if m.kind == kind]
        if grids:
            maps[name] = torch.from_numpy(upsample(np.mean(grids, axis=0), H, W))
    generator = torch.Generator().manual_seed(seed)
    maps["random (reference)"] = torch.from_numpy(upsample(torch.rand(h, w, generator=generator), H, W))
    maps["centred Gaussian (reference)"] = centred_gaussian(H, W)
    maps["Grad-CAM (reference)"] = torch.from_numpy(gradcam(explainer.backbone, inputs, class_index))
    return maps


def perturbation_scores(explainer: Explainer, held_out, count: int, steps: int) -> dict[str, dict]:
    """Mean RISE insertion/deletion AUC per map kind on the first `count` held-out images."""
    aucs: dict[str, dict[str, list[float]]] = {}
    for index, item in enumerate(tqdm(held_out[:count], desc="insertion/deletion", unit="img")):
        image = explainer.preprocessing(load_image(item.path))  # (3, H, W)
        with torch.inference_mode():
            class_index = int(explainer.backbone.model(image[None]).argmax())
        setup = PerturbationSetup.create(explainer.backbone, image, class_index)
        for name, saliency in saliency_maps(explainer, image[None], class_index, seed=index).items():
            curves = curves_of(setup, saliency, steps)
            record = aucs.setdefault(name, {"insertion": [], "deletion": []})
            record["insertion"].append(curves.insertion_auc)
            record["deletion"].append(curves.deletion_auc)
    return {
        name: {
            "images": len(r["insertion"]),
            "insertion_auc": _mean(r["insertion"]),
            "insertion_auc_stderr": _stderr(r["insertion"]),
            "deletion_auc": _mean(r["deletion"]),
            "deletion_auc_stderr": _stderr(r["deletion"]),
        }
        for name, r in aucs.items()
    }


def held_out_scores(explainer: Explainer, held_out) -> dict[str, dict]:
    """Top-1 of each trained head's classifier beside the backbone's, and entropy of every map."""
    trained = [head for head in explainer.heads if head.trained]
    class_map = explainer.head("class")
    correct = {"backbone": 0} | {head.kind: 0 for head in trained}
    tallies = {"class": EntropyTally()} | {head.kind: EntropyTally() for head in trained}
    for item in tqdm(held_out, desc="held-out top-1 and entropy", unit="img"):
        encoded = explainer.encode(load_image(item.path))
        predicted = int(encoded.logits.argmax())
        correct["backbone"] += int(predicted == item.class_index)
        with torch.inference_mode():
            scores = class_map.map_inputs(encoded, MapOptions(predicted))
            tallies["class"].add(position_weights(scores, class_map.default_temperature).flatten(1))
            for head in trained:
                weights, head_logits = head.training_outputs(encoded.features)
                correct[head.kind] += int(head_logits.argmax() == item.class_index)
                tallies[head.kind].add(weights)
    n = len(held_out)
    result = {"backbone": {"images": n, "top1": correct["backbone"] / n, "entropy": tallies["class"].summary()}}
    for head in trained:
        result[head.kind] = {"images": n, "top1": correct[head.kind] / n, "entropy": tallies[head.kind].summary()}
    return result


def object_fractions(mask: torch.Tensor, category: int, stride: int) -> torch.Tensor:
    """(H, W) category mask at input resolution -> (h, w) share of each grid cell inside the category."""
    inside = (mask == category).float()[None, None]
    return F.avg_pool2d(inside, kernel_size=stride)[0, 0]


def coco_object_scores(explainer: Explainer, coco: Path, count: int, min_cover: float) -> dict:
    """For each labelled segment, query the cell most inside it; weight of the row on the segment
    (mean of heads and each head) beside the segment's area share."""
    masks_dir = coco / "semantic_segmentation" / "masks" / "train2017"
    images_dir = coco / "images" / "train2017"
    mask_files = sorted(masks_dir.glob("*.png"))[:count]
    preprocessing = explainer.preprocessing
    self_head = explainer.head("self")
    stride = preprocessing.multiple
    records: dict[str, list[dict]] = {"things": [], "stuff": []}
    for mask_file in tqdm(mask_files, desc="COCO object queries", unit="img"):
        photo = load_image(images_dir / f"{mask_file.stem}.jpg")
        inputs = preprocessing(photo)[None]
        W, H = inputs.shape[-1], inputs.shape[-2]
        mask = torch.from_numpy(np.array(Image.open(mask_file).resize((W, H), Image.NEAREST)))
        with torch.inference_mode():
            features = explainer.backbone.forward_features(inputs)
            weights, _ = self_head.training_outputs(features)  # (1, heads, hw, hw)
        h, w = features.shape[-2:]
        for category in mask.unique().tolist():
            if category == 0:
                continue
            fraction = object_fractions(mask, category, stride)  # (h, w)
            cover, cell = fraction.flatten().max(dim=0)
            if cover < min_cover:
                continue
            rows = weights[0, :, int(cell)].view(-1, h, w)  # (heads, h, w)
            share, area = object_share(rows.mean(0), fraction)
            per_head = [object_share(row, fraction)[0] for row in rows]
            group = "things" if category < COCO_STUFF_FIRST_ID else "stuff"
            records[group].append({"share": share, "area": area, "per_head": per_head})
    summary = {}
    for group, rows in records.items():
        if not rows:
            continue
        heads = len(rows[0]["per_head"])
        summary[group] = {
            "queries": len(rows),
            "share_on_object_mean": _mean([r["share"] for r in rows]),
            "area_share_mean": _mean([r["area"] for r in rows]),
            "share_over_area_mean": _mean([r["share"] / r["area"] for r in rows]),
            "beats_uniform_share": _mean([float(r["share"] > r["area"]) for r in rows]),
            "per_head_share_mean": [_mean([r["per_head"][k] for r in rows]) for k in range(heads)],
        }
    summary["images"] = len(mask_files)
    return summary


def evaluate(config: EvalConfig, command: str = "") -> dict:
    """Run every measurement, update the cards, write the doc; return the results."""
    started = time.perf_counter()
    torch.manual_seed(0)
    explainer = Explainer.load(backbone=config.backbone, device=config.device, checkpoint_dir=config.checkpoints)
    for note in explainer.notes:
        print(f"note: {note}", file=sys.stderr)
    kinds = [head.kind for head in explainer.heads if head.trained]
    if not kinds:
        raise ValueError(f"No trained heads load from {config.checkpoints}; run `python -m cnnattn train` first.")
    cards = _load_cards(config, kinds)
    folder, held_out = _held_out_images(config, cards)

    results: dict = {"held_out": held_out_scores(explainer, held_out)}
    results["insertion_deletion"] = perturbation_scores(explainer, held_out, config.perturbation_images, config.steps)
    if "self" in kinds and config.coco.is_dir():
        results["coco_self_attention"] = coco_object_scores(
            explainer, config.coco, config.coco_images, config.min_cover
        )
    seconds = time.perf_counter() - started
    results["run"] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.platform()}; {os.cpu_count()} CPUs; {torch.get_num_threads()} torch threads; "
        f"device {explainer.device}",
        "command": command,
        "seconds": round(seconds, 1),
        "data": str(folder),
        "held_out_images": len(held_out),
        "perturbation_images": min(config.perturbation_images, len(held_out)),
        "steps": config.steps,
    }
    if config.update_cards:
        _update_cards(config, cards, results)
    if config.doc is not None:
        config.doc.parent.mkdir(parents=True, exist_ok=True)
        config.doc.write_text(render_markdown(results, cards), encoding="utf-8")
    return results


def _map_kind_for(kind: str) -> Callable[[str], bool]:
    return lambda name: name.startswith(kind) or "reference" in name or name.startswith("class")


def _update_cards(config: EvalConfig, cards: dict[str, dict], results: dict) -> None:
    for kind, card in cards.items():
        held = results["held_out"]
        evaluation = {
            "run": results["run"],
            "top1": {"head": held[kind]["top1"], "backbone": held["backbone"]["top1"], "images": held[kind]["images"]},
            "entropy": held[kind]["entropy"],
            "insertion_deletion": {k: v for k, v in results["insertion_deletion"].items() if _map_kind_for(kind)(k)},
        }
        if kind == "self" and "coco_self_attention" in results:
            evaluation["coco_object_share"] = results["coco_self_attention"]
        card.setdefault("metrics", {})["evaluation"] = evaluation
        _, card_path = checkpoint_paths(Path(config.checkpoints), config.backbone, kind)
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def render_markdown(results: dict, cards: dict[str, dict]) -> str:
    run = results["run"]
    held = results["held_out"]
    lines = [
        "# Evaluation of the trained attention heads",
        "",
        f"- Date: {run['date']}",
        f"- Machine: {run['machine']}",
        f"- Command: `{run['command']}`",
        f"- Wall time: {run['seconds']:.0f} s",
        f"- Data: {run['held_out_images']} held-out images of `{Path(run['data']).name}` (never trained on); "
        f"insertion/deletion on the first {run['perturbation_images']} of them, {run['steps']} steps per curve.",
        "",
        "## 1. Top-1 on the held-out images",
        "",
        "| classifier | top-1 |",
        "|---|---|",
        f"| backbone (global average pooling) | {held['backbone']['top1']:.3f} |",
    ]
    for kind in ("simple", "self"):
        if kind in held:
            config = json.dumps(cards[kind]["head_config"])
            lines.append(f"| {kind} head {config} | {held[kind]['top1']:.3f} |")
    lines += [
        "",
        "## 2. Map entropy (nats) beside uniform, log(H*W)",
        "",
        "| maps | count | mean | min | max | log(H*W) | mean / log(H*W) | KL from uniform | mean peak "
        "| >90% on one cell |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {"class": "class map (T=4, predicted class)", "simple": "simple heads", "self": "self-attention rows"}
    for kind in ("simple", "self", "class"):
        source = held["backbone"]["entropy"] if kind == "class" else held.get(kind, {}).get("entropy")
        if source:
            lines.append(
                f"| {labels[kind]} | {source['maps']} | {source['entropy_mean']:.3f} | {source['entropy_min']:.3f} | "
                f"{source['entropy_max']:.3f} | {source['uniform_entropy_mean']:.3f} | "
                f"{source['entropy_ratio_mean']:.3f} | {source['kl_from_uniform_mean']:.3f} | "
                f"{source['max_weight_mean']:.3f} | {source['collapsed_share']:.1%} |"
            )
    lines += [
        "",
        "## 3. Insertion / deletion AUC (RISE), probability of the predicted class",
        "",
        "Higher insertion and lower deletion are better; ± is the standard error over images.",
        "",
        "| map | insertion AUC | deletion AUC |",
        "|---|---|---|",
    ]
    for name, score in results["insertion_deletion"].items():
        lines.append(
            f"| {name} | {score['insertion_auc']:.3f} ± {score['insertion_auc_stderr']:.3f} | "
            f"{score['deletion_auc']:.3f} ± {score['deletion_auc_stderr']:.3f} |"
        )
    coco = results.get("coco_self_attention")
    if coco:
        lines += [
            "",
            "## 4. SelfAttention rows queried inside COCO segments",
            "",
            f"{coco['images']} coco128 images with semantic masks; for each labelled segment the query is the grid "
            "cell most inside it (at least 75% covered). A uniform row's weight on the segment equals its area share.",
            "",
            "| segments | queries | weight on segment (mean of heads) | area share | weight / area | "
            "weight > area | per head |",
            "|---|---|---|---|---|---|---|",
        ]
        for group in ("things", "stuff"):
            if group in coco:
                g = coco[group]
                per_head = ", ".join(f"{v:.3f}" for v in g["per_head_share_mean"])
                lines.append(
                    f"| {group} | {g['queries']} | {g['share_on_object_mean']:.3f} | {g['area_share_mean']:.3f} | "
                    f"{g['share_over_area_mean']:.2f} | {g['beats_uniform_share']:.1%} | {per_head} |"
                )
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    """Options of `python -m cnnattn evaluate` (the parser lives in cli.py)."""
    defaults = EvalConfig()
    parser.add_argument("--checkpoints", type=Path, default=defaults.checkpoints)
    parser.add_argument("--backbone", default=defaults.backbone)
    parser.add_argument("--data", type=Path, help="labelled folder (default: the one named on the cards)")
    parser.add_argument("--coco", type=Path, default=defaults.coco, help="coco128 folder with semantic masks")
    parser.add_argument("--perturbation-images", type=int, default=defaults.perturbation_images)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--coco-images", type=int, default=defaults.coco_images)
    parser.add_argument("--device", default=defaults.device)
    parser.add_argument("--doc", type=Path, default=defaults.doc, help="markdown report to write")
    parser.add_argument("--no-card-update", action="store_true", help="leave the cards' metrics unchanged")
    parser.add_argument(
        "--threads", type=int, help="torch CPU threads; 1 is much faster on a machine other jobs keep busy"
    )


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    config = EvalConfig(
        checkpoints=args.checkpoints,
        backbone=args.backbone,
        data=args.data,
        coco=args.coco,
        perturbation_images=args.perturbation_images,
        steps=args.steps,
        coco_images=args.coco_images,
        device=args.device,
        doc=args.doc,
        update_cards=not args.no_card_update,
    )
    command = "python -m cnnattn " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    results = evaluate(config, command)
    print(render_markdown(results, _load_cards(config, [k for k in ("simple", "self") if k in results["held_out"]])))
    return 0
