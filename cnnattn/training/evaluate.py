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
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from cnnattn.backbones import DEFAULT_BACKBONE
from cnnattn.explain import Explainer
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, checkpoint_paths
from cnnattn.image.loading import load_image
from cnnattn.training.data import find_labelled_images
from cnnattn.training.eval_records import coco_records, in_split, perturbation_record, photo_record
from cnnattn.training.eval_summary import best_simple_head, summarise, targets
from cnnattn.training.options import CHECK_IMAGES, config_from
from cnnattn.training.splits import SPLITS

CHECK_PERTURBATION_IMAGES = 5  # ... and insertion/deletion over the first 5 (each costs ~300 backbone passes)


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


def report_markdown(result: dict, cards: dict[str, dict] | None = None) -> str:
    from cnnattn.training.report import evaluation_markdown

    return evaluation_markdown(result, cards or {})


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    config = config_from(EvalConfig, args, references=not args.no_references)
    command = "cnnattn " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    result = evaluate(config, command, log=lambda text: print(text, file=sys.stderr))
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps({"config": _jsonable(asdict(config)), **result}, indent=1) + "\n")
    if args.update_cards:
        update_cards(config, result)
    text = report_markdown(result, load_cards(config, shipped_kinds(config)))
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value
