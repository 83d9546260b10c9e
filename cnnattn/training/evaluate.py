"""`cnnattn evaluate`: the figures of the trained heads on any labelled folder, as on their cards.

For the photos of one split of the folder (`--split`, default the held-out one; `all` for a folder
that training never saw), through the app's own loading and preprocessing:

1. top-1 of the backbone, of each trained head kind's classifier, and of each SimpleAttention head
   alone (its pooled vector through the frozen classifier);
2. SimpleAttention maps: entropy / log(H*W), share of maps with more than 90% on one cell, mean
   pairwise Jensen-Shannon divergence between the K heads, weight on the predicted class's evidence;
   SelfAttention rows: the same;
3. RISE insertion / deletion AUC (cnnattn.analysis.faithfulness, one protocol for every map) of
   each SimpleAttention head, their mean, the class map, Grad-CAM, a random and a centred map;
4. with `--coco`: SelfAttention rows queried on COCO objects (issue 12's definition, see
   cnnattn.training.coco), and each SimpleAttention head's weight on objects against their area.

Every figure is also summarised over the first 20 photos (insertion/deletion over the first 5):
that "check" block is what tests/test_cards.py recomputes.
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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from cnnattn.analysis.faithfulness import PerturbationSetup, curves_of
from cnnattn.analysis.gradcam import gradcam
from cnnattn.analysis.metrics import centred_gaussian
from cnnattn.backbones import DEFAULT_BACKBONE
from cnnattn.explain import Explainer
from cnnattn.heads import MapOptions, position_weights
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, checkpoint_paths
from cnnattn.image.loading import load_image
from cnnattn.maps import upsample
from cnnattn.training import objectives as O
from cnnattn.training.coco import COCO_STUFF_FIRST_ID, coco_photos, coco_queries, object_ratios
from cnnattn.training.data import find_labelled_images
from cnnattn.training.options import CHECK_IMAGES
from cnnattn.training.splits import SPLITS, split_of

CHECK_PERTURBATION_IMAGES = 5  # ... and insertion/deletion over the first 5 (each costs ~300 backbone passes)
EVIDENCE_QUANTILE = 0.75  # "evidence cells": the quarter of cells with the largest w_c . x_p for the predicted class
COLLAPSE = 0.9  # a map with more than this on one cell counts as collapsed
CENTRE_BOX = 0.5  # "centre": the middle half of the width and of the height (a quarter of the area)


@dataclass(frozen=True)
class EvalConfig:
    data: Path  # labelled folder: <wnid>_<name>.JPEG files or an ImageFolder tree
    split: str = "held_out"  # train | validation | held_out | all
    checkpoints: Path = DEFAULT_CHECKPOINT_DIR
    backbone: str = DEFAULT_BACKBONE
    short_side: int | None = None  # default: the app's (calibrated) default
    coco: Path | None = None  # coco128-style folder with semantic masks; None skips the COCO figures
    max_images: int | None = None  # the first N photos of the split
    perturbation_images: int = 100  # insertion/deletion on the first N photos of the split
    coco_images: int | None = None  # the first N COCO photos of the split
    steps: int = 16  # insertion/deletion steps per curve
    check_images: int = CHECK_IMAGES
    check_perturbation_images: int = CHECK_PERTURBATION_IMAGES
    references: bool = True  # insertion/deletion also of the class map, the heads' mean, random and centred maps
    device: str = "cpu"


# --- per photo ----------------------------------------------------------------------------------


def _upper_mask(h: int, w: int) -> torch.Tensor:
    """1 on the upper half of the grid, 0.5 on a middle row, 0 below: a uniform map puts 50% there."""
    centres = (torch.arange(h) + 0.5) / h
    rows = torch.where(centres < 0.5, 1.0, torch.where(centres > 0.5, 0.0, 0.5))
    return rows[:, None].expand(h, w).flatten()


def _centre_mask(h: int, w: int) -> torch.Tensor:
    ys = (torch.arange(h) + 0.5) / h
    xs = (torch.arange(w) + 0.5) / w
    inside = lambda t: (t >= 0.5 - CENTRE_BOX / 2) & (t <= 0.5 + CENTRE_BOX / 2)  # noqa: E731
    return (inside(ys)[:, None] & inside(xs)[None, :]).flatten().float()


@torch.inference_mode()
def photo_record(explainer: Explainer, photo: Image.Image, label: int | None) -> tuple[dict, object]:
    """Top-1, entropy, divergence and evidence figures of one photo; also returns its encoding."""
    encoded = explainer.encode(photo)
    features = encoded.features  # (1, C, h, w)
    h, w = features.shape[-2:]
    predicted = int(encoded.logits.argmax())
    record: dict = {"predicted": predicted, "label": label, "grid": [h, w]}
    if label is not None:
        record["backbone_correct"] = predicted == label
    class_head = explainer.head("class")
    class_inputs = class_head.map_inputs(encoded, MapOptions(predicted))
    class_scores = class_inputs.scores  # (1, h, w): w_c . x_p + b_c
    class_weights = position_weights(class_inputs, class_head.default_temperature)
    record["class_entropy_ratio"] = float(O.entropy_ratio(class_weights.flatten(1).double())[0])
    evidence = class_scores.flatten()
    top = (evidence >= evidence.quantile(EVIDENCE_QUANTILE)).double()
    centre = _centre_mask(h, w).double().to(evidence.device)
    simple = explainer.head("simple")
    if simple is not None:
        pooled, weights = simple.module(features)  # (1, K, C), (1, K, h, w)
        maps = weights.flatten(2)[0].double()  # (K, n)
        logits = explainer.backbone.classify_pooled(pooled.mean(1))
        per_head = explainer.backbone.classify_pooled(pooled[0])  # (K, classes)
        record["simple"] = {
            "predicted": int(logits.argmax()),
            "head_predicted": per_head.argmax(-1).tolist(),
            "entropy_ratio": O.entropy_ratio(maps).tolist(),
            "peak": maps.max(-1).values.tolist(),
            "pairwise_js": float(O.pairwise_js(maps[None])[0]),
            "evidence_mass": (maps @ top.to(maps)).tolist(),
            "evidence_spearman": O.spearman(maps, evidence.double()[None].expand_as(maps)).tolist(),
            "centre_mass": (maps @ centre.to(maps)).tolist(),
            "upper_mass": (maps @ _upper_mask(h, w).to(maps)).tolist(),
        }
    self_head = explainer.head("self")
    if self_head is not None:
        _, rows = self_head.module(features)  # (1, heads, n, n)
        logits = self_head.logits(features)
        rows = rows[0].double()
        record["self"] = {
            "predicted": int(logits.argmax()),
            "entropy_ratio": float(O.entropy_ratio(rows).mean()),
            "collapsed": float((rows.max(-1).values > COLLAPSE).double().mean()),
            "pairwise_js": float(O.pairwise_js(rows.transpose(0, 1)).mean()),  # heads compared per query
        }
    return record, encoded


def saliency_maps(
    explainer: Explainer, encoded, inputs: torch.Tensor, class_index: int, seed: int, references: bool = True
) -> dict:
    """Every compared map for one photo at input resolution (H, W): each SimpleAttention head and
    Grad-CAM, with `references` also the heads' mean, the class map, a random and a centred map."""
    H, W = inputs.shape[-2:]
    maps = {}
    with torch.inference_mode():
        simple = explainer.head("simple")
        if simple is not None:
            _, weights = simple.module(encoded.features)  # (1, K, h, w)
            for k, grid in enumerate(weights[0]):
                maps[f"simple/{k}"] = upsample(grid, H, W)
            if references:
                maps["simple (mean of heads)"] = upsample(weights[0].mean(0), H, W)
    maps["Grad-CAM (reference)"] = gradcam(explainer.backbone, inputs, class_index)
    if references:
        maps |= reference_maps(explainer, encoded, (H, W), class_index, seed)
    return {name: torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32)) for name, m in maps.items()}


@torch.inference_mode()
def reference_maps(explainer: Explainer, encoded, size: tuple[int, int], class_index: int, seed: int) -> dict:
    H, W = size
    h, w = encoded.features.shape[-2:]
    class_head = explainer.head("class")
    scores = class_head.map_inputs(encoded, MapOptions(class_index))
    generator = torch.Generator().manual_seed(seed)
    return {
        "class map (T=4)": upsample(position_weights(scores, class_head.default_temperature)[0], H, W),
        "random (reference)": upsample(torch.rand(h, w, generator=generator), H, W),
        "centred Gaussian (reference)": centred_gaussian(H, W).numpy(),
    }


def perturbation_record(
    explainer: Explainer, photo: Image.Image, encoded, seed: int, steps: int, references: bool = True
) -> dict:
    """{map name: [insertion AUC, deletion AUC]} for the backbone's predicted class."""
    image = explainer.preprocessing(photo).to(explainer.device)  # (3, H, W)
    class_index = int(encoded.logits.argmax())
    setup = PerturbationSetup.create(explainer.backbone, image, class_index)
    result = {}
    for name, saliency in saliency_maps(explainer, encoded, image[None], class_index, seed, references).items():
        curves = curves_of(setup, saliency.to(image.device), steps)
        result[name] = [curves.insertion_auc, curves.deletion_auc]
    return result


def in_split(name: str, split: str) -> bool:
    return split == "all" or split_of(name) == split


@torch.inference_mode()
def coco_records(explainer: Explainer, coco: Path, split: str, count: int | None) -> list[dict]:
    """Per COCO photo of the split: SelfAttention object ratios per query, SimpleAttention weight on
    things / stuff beside their area."""
    photos = [(image, mask) for image, mask in coco_photos(coco) if in_split(image.name, split)][:count]
    records = []
    for image_file, mask_file in tqdm(photos, desc="COCO photos", unit="img"):
        encoded = explainer.encode(load_image(image_file))
        features = encoded.features
        h, w = features.shape[-2:]
        stride = explainer.preprocessing.multiple
        mask = np.array(Image.open(mask_file))
        record: dict = {"name": image_file.name}
        self_head = explainer.head("self")
        if self_head is not None:
            _, rows = self_head.module(features)
            queries = coco_queries(mask, (h * stride, w * stride), stride)
            record["queries"] = [
                {"category": q.category, "ratios": object_ratios(rows[0, :, q.cell].double().cpu(), q).tolist()}
                for q in queries
            ]
        simple = explainer.head("simple")
        if simple is not None:
            _, weights = simple.module(features)
            maps = weights.flatten(2)[0].double().cpu()  # (K, n)
            groups = {"things": (mask > 0) & (mask < COCO_STUFF_FIRST_ID), "stuff": mask >= COCO_STUFF_FIRST_ID}
            for group, inside in groups.items():
                binary = Image.fromarray(inside.astype(np.float32), mode="F")
                fraction = torch.from_numpy(np.array(binary.resize((w, h), Image.Resampling.BOX))).double().flatten()
                record[f"simple_{group}_mass"] = (maps @ fraction).tolist()
                record[f"{group}_area"] = float(fraction.mean())
        records.append(record)
    return records


# --- summaries ----------------------------------------------------------------------------------


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def _stderr(values) -> float:
    values = list(values)
    if len(values) < 2:
        return float("nan")
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values))


def summarise(photos: list[dict], perturbations: list[dict], coco: list[dict]) -> dict:
    """Every figure over the given per-photo records."""
    labelled = [p for p in photos if p["label"] is not None]
    result: dict = {"images": len(photos), "labelled_images": len(labelled)}
    top1 = {"backbone": _mean(p["backbone_correct"] for p in labelled)}
    if photos and "simple" in photos[0]:
        K = len(photos[0]["simple"]["peak"])
        top1["simple"] = _mean(p["simple"]["predicted"] == p["label"] for p in labelled)
        top1["simple_per_head"] = [
            _mean(p["simple"]["head_predicted"][k] == p["label"] for p in labelled) for k in range(K)
        ]
        per_map = [v for p in photos for v in p["simple"]["entropy_ratio"]]
        peaks = [v for p in photos for v in p["simple"]["peak"]]
        result["simple"] = {
            "maps": len(per_map),
            "entropy_ratio": _mean(per_map),
            "collapsed_share": _mean(v > COLLAPSE for v in peaks),
            "pairwise_js": _mean(p["simple"]["pairwise_js"] for p in photos),
            "per_head": [
                {
                    "entropy_ratio": _mean(p["simple"]["entropy_ratio"][k] for p in photos),
                    "evidence_mass": _mean(p["simple"]["evidence_mass"][k] for p in photos),
                    "evidence_spearman": _mean(p["simple"]["evidence_spearman"][k] for p in photos),
                    "centre_mass": _mean(p["simple"]["centre_mass"][k] for p in photos),
                    "upper_mass": _mean(p["simple"]["upper_mass"][k] for p in photos),
                    "top1": top1["simple_per_head"][k],
                }
                for k in range(K)
            ],
        }
    if photos and "self" in photos[0]:
        top1["self"] = _mean(p["self"]["predicted"] == p["label"] for p in labelled)
        result["self"] = {
            "entropy_ratio": _mean(p["self"]["entropy_ratio"] for p in photos),
            "collapsed_share": _mean(p["self"]["collapsed"] for p in photos),
            "pairwise_js": _mean(p["self"]["pairwise_js"] for p in photos),
        }
    result["class_map_entropy_ratio"] = _mean(p["class_entropy_ratio"] for p in photos)
    result["top1"] = top1
    if perturbations:
        result["insertion_deletion"] = {
            name: {
                "images": len(perturbations),
                "insertion_auc": _mean(r[name][0] for r in perturbations),
                "insertion_auc_stderr": _stderr(r[name][0] for r in perturbations),
                "deletion_auc": _mean(r[name][1] for r in perturbations),
                "deletion_auc_stderr": _stderr(r[name][1] for r in perturbations),
            }
            for name in perturbations[0]
        }
        if "simple" in result:
            for k, entry in enumerate(result["simple"]["per_head"]):
                scores = result["insertion_deletion"][f"simple/{k}"]
                entry["insertion_auc"], entry["deletion_auc"] = scores["insertion_auc"], scores["deletion_auc"]
    if coco:
        result["coco"] = summarise_coco(coco)
    return result


def summarise_coco(coco: list[dict]) -> dict:
    result: dict = {"images": len(coco)}
    queries = [q for c in coco for q in c.get("queries", [])]
    if queries:
        table = torch.tensor([q["ratios"] for q in queries], dtype=torch.float64)  # (queries, heads)
        things = torch.tensor([q["category"] < COCO_STUFF_FIRST_ID for q in queries])
        result["self_objects"] = {
            "queries": len(queries),
            "object_over_share": float(table.mean()),
            "per_head": table.mean(0).tolist(),
            "beats_uniform_share": float((table > 1).double().mean()),
            "things": {"queries": int(things.sum()), "object_over_share": float(table[things].mean())},
            "stuff": {"queries": int((~things).sum()), "object_over_share": float(table[~things].mean())},
        }
    if coco and "simple_things_mass" in coco[0]:
        K = len(coco[0]["simple_things_mass"])
        groups = {}
        for group in ("things", "stuff"):
            area = _mean(c[f"{group}_area"] for c in coco)
            groups[group] = {
                "area_share": area,
                "per_head_mass": [_mean(c[f"simple_{group}_mass"][k] for c in coco) for k in range(K)],
            }
            groups[group]["per_head_over_area"] = [m / area for m in groups[group]["per_head_mass"]]
        result["simple_objects"] = groups
    return result


def targets(summary: dict, best_head: int | None) -> list[dict]:
    """Issue 12's targets against this summary (None where a figure is missing)."""
    rows = []
    top1 = summary.get("top1", {})
    backbone = top1.get("backbone")
    for kind in ("simple", "self"):
        if kind in top1:
            rows.append(_target(f"top-1 of the {kind} head >= backbone - 0.01", top1[kind], backbone - 0.01, ">="))
    simple = summary.get("simple")
    if simple:
        rows.append(_target("SimpleAttention entropy / log(HW) <= 0.75", simple["entropy_ratio"], 0.75, "<="))
        rows.append(_target("SimpleAttention maps > 90% on one cell < 5%", simple["collapsed_share"], 0.05, "<"))
        rows.append(
            _target("mean pairwise JS between SimpleAttention heads >= 0.15 nats", simple["pairwise_js"], 0.15, ">=")
        )
    scores = summary.get("insertion_deletion")
    if scores and best_head is not None and f"simple/{best_head}" in scores:
        best, reference = scores[f"simple/{best_head}"], scores["Grad-CAM (reference)"]
        for measure, relation in (("insertion", ">="), ("deletion", "<=")):
            key = f"{measure}_auc"
            name = f"{measure} AUC of simple/{best_head} {relation} Grad-CAM"
            rows.append(_target(name, best[key], reference[key], relation))
    objects = summary.get("coco", {}).get("self_objects")
    if objects:
        rows.append(_target("SelfAttention on COCO objects >= 2.0", objects["object_over_share"], 2.0, ">="))
    return rows


def _target(name: str, value: float, bound: float, relation: str) -> dict:
    met = {">=": value >= bound, "<=": value <= bound, "<": value < bound}[relation]
    return {"target": name, "value": value, "bound": bound, "met": bool(met)}


def best_simple_head(summary: dict) -> int | None:
    """The SimpleAttention head with the largest insertion - deletion AUC (used on validation)."""
    scores = summary.get("insertion_deletion", {})
    heads = [k for k in range(len(summary.get("simple", {}).get("per_head", []))) if f"simple/{k}" in scores]
    if not heads:
        return None
    return max(heads, key=lambda k: scores[f"simple/{k}"]["insertion_auc"] - scores[f"simple/{k}"]["deletion_auc"])


# --- the command --------------------------------------------------------------------------------


def split_photos(config: EvalConfig) -> list:
    if config.split not in (*SPLITS, "all"):
        raise ValueError(f"--split must be one of {', '.join((*SPLITS, 'all'))}, not {config.split!r}.")
    images = [image for image in find_labelled_images(config.data) if in_split(image.name, config.split)]
    return images[: config.max_images]


def shipped_kinds(config: EvalConfig) -> list[str]:
    """Kinds with a card in the checkpoint folder."""
    folder = Path(config.checkpoints)
    return [kind for kind in ("simple", "self") if checkpoint_paths(folder, config.backbone, kind)[1].is_file()]


def load_cards(config: EvalConfig, kinds: list[str]) -> dict[str, dict]:
    cards = {}
    for kind in kinds:
        _, card_path = checkpoint_paths(Path(config.checkpoints), config.backbone, kind)
        cards[kind] = json.loads(card_path.read_text(encoding="utf-8"))
    return cards


def evaluate(config: EvalConfig, command: str = "", log=print) -> dict:
    """Every figure on the split's photos; returns {"run", "summary", "check", "targets", "per_photo"}."""
    started = time.perf_counter()
    torch.manual_seed(0)
    explainer = Explainer.load(
        backbone=config.backbone, device=config.device, checkpoint_dir=config.checkpoints, short_side=config.short_side
    )
    for note in explainer.notes:
        log(f"note: {note}")
    kinds = [head.kind for head in explainer.heads if head.trained]
    if not kinds:
        raise ValueError(f"No trained heads load from {config.checkpoints}; run `cnnattn train` first.")
    cards = load_cards(config, kinds)
    images = split_photos(config)
    if not images:
        raise ValueError(f"{config.data} has no photos in the {config.split} split.")
    photos, perturbations = [], []
    for index, item in enumerate(tqdm(images, desc=f"{config.split} photos", unit="img")):
        photo = load_image(item.path)
        record, encoded = photo_record(explainer, photo, item.class_index)
        record["name"] = item.name
        photos.append(record)
        if index < config.perturbation_images:
            perturbations.append(perturbation_record(explainer, photo, encoded, index, config.steps, config.references))
    coco = []
    if config.coco is not None:
        if not Path(config.coco).is_dir():
            raise ValueError(f"--coco {config.coco} is not a folder.")
        coco = coco_records(explainer, Path(config.coco), config.split, config.coco_images)
    check = config.check_images
    best = (cards.get("simple") or {}).get("best_head", {}).get("index")
    summary = summarise(photos, perturbations, coco)
    result = {
        "run": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.platform()}; {os.cpu_count()} CPUs; {torch.get_num_threads()} torch threads; "
            f"device {explainer.device}",
            "command": command,
            "seconds": round(time.perf_counter() - started, 1),
            "data": Path(config.data).name,
            "split": config.split,
            "input_short_side": explainer.preprocessing.short_side,
            "images": len(photos),
            "perturbation_images": len(perturbations),
            "steps": config.steps,
            "coco_images": len(coco),
            "check_images": min(check, len(photos)),
            "check_perturbation_images": min(config.check_perturbation_images, len(perturbations)),
        },
        "summary": summary,
        "check": summarise(photos[:check], perturbations[: config.check_perturbation_images], coco[:check]),
        "targets": targets(summary, best),
        "per_photo": {"photos": photos, "perturbation": perturbations, "coco": coco},
    }
    return result


def update_cards(config: EvalConfig, result: dict) -> None:
    """Write the figures into the cards: `metrics[<split>]`; on validation, also choose the best
    SimpleAttention head and name every head from what it was measured to do."""
    from cnnattn.training.naming import name_heads

    cards = load_cards(config, shipped_kinds(config))
    split = config.split
    summary = result["summary"]
    if split == "validation" and "simple" in cards:
        best = best_simple_head(summary)
        if best is not None:
            cards["simple"]["best_head"] = {
                "index": best,
                "chosen_by": f"largest insertion - deletion AUC on {result['run']['perturbation_images']} "
                "validation photos",
            }
        for kind, card in cards.items():
            card["heads"] = name_heads(kind, summary, split, card["head_config"]["num_heads"])
    for kind, card in cards.items():
        block = {"run": result["run"], "summary": _for_kind(summary, kind), "check": _for_kind(result["check"], kind)}
        if split == "held_out":
            best = cards.get("simple", {}).get("best_head", {}).get("index")
            block["targets"] = [t for t in targets(summary, best) if _target_kind(t, kind)]
        card.setdefault("metrics", {})[split] = block
        if split == "held_out" and card.get("heads"):
            fresh = {entry["index"]: entry for entry in name_heads(kind, summary, split, len(card["heads"]))}
            for entry in card["heads"]:
                entry["measured"] = fresh[entry["index"]]["measured"]
        _, card_path = checkpoint_paths(Path(config.checkpoints), config.backbone, kind)
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _for_kind(summary: dict, kind: str) -> dict:
    """The part of a summary a kind's card carries: its own figures and the references."""
    other = "self" if kind == "simple" else "simple"
    kept = {k: v for k, v in summary.items() if k != other}
    kept["top1"] = {k: v for k, v in summary.get("top1", {}).items() if not k.startswith(other)}
    if "coco" in summary:
        kept["coco"] = {k: v for k, v in summary["coco"].items() if not k.startswith(other)}
    if kind == "self":
        kept.pop("insertion_deletion", None)
    return kept


def _target_kind(target: dict, kind: str) -> bool:
    about_self = "selfattention" in target["target"].lower() or "self head" in target["target"]
    return about_self == (kind == "self")


def render_markdown(result: dict, cards: dict[str, dict] | None = None) -> str:
    from cnnattn.training.report import render

    return render(result, cards or {})


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    config = EvalConfig(
        data=args.data,
        split=args.split,
        checkpoints=args.checkpoints,
        backbone=args.backbone,
        short_side=args.short_side,
        coco=args.coco,
        max_images=args.max_images,
        perturbation_images=args.perturbation_images,
        coco_images=args.coco_images,
        steps=args.steps,
        check_images=args.check_images,
        references=not args.no_references,
        device=args.device,
    )
    command = "cnnattn " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    result = evaluate(config, command, log=lambda text: print(text, file=sys.stderr))
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps({"config": _jsonable(asdict(config)), **result}, indent=1) + "\n")
    if args.update_cards:
        update_cards(config, result)
    text = render_markdown(result, load_cards(config, shipped_kinds(config)))
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value
