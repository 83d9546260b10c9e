"""Options of `cnnattn train` and `cnnattn evaluate` (the parser lives in cli.py), declared without torch:
`cnnattn train --help` answers at once, and the training code is imported only when a command runs."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from cnnattn.backbones.specs import DEFAULT_BACKBONE
from cnnattn.shipped import DEFAULT_CHECKPOINT_DIR
from cnnattn.training.splits import SPLITS

# The built-in trained kinds, spelled out because `--help` must answer without torch (the registry
# needs it); `--kind all` trains every registered kind with `trained = True` (cnnattn.training.train
# .trainable_kinds), and tests/test_train_losses.py checks that these names are exactly those.
KINDS = ("simple", "self")
CHECK_IMAGES = 20  # evaluation's check block: every figure over the first 20 photos (and COCO photos)


def config_from(config_type: type, args: argparse.Namespace, **others):
    """A command's config dataclass (`TrainConfig`, `EvalConfig`) from its parsed options: each field from
    the option of its name, `others` for the fields no option is named after."""
    named = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_type) if hasattr(args, f.name)}
    return config_type(**named | others)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="labelled folder (<wnid>_<name>.JPEG files or an ImageFolder tree)")
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all", help="which head to train (default: all)")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE)
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one setting of the chosen objective, e.g. --set num_heads=4 --set diversity_weight=0 "
        "(fields of SimpleObjective / SelfObjective in cnnattn/training/simple_objective.py, self_objective.py); "
        "repeatable",
    )
    parser.add_argument("--short-side", type=int, help="input short side (default: the calibrated default)")
    parser.add_argument("--coco", type=Path, help="coco128 folder with semantic masks: validation figure for self")
    parser.add_argument("--max-images", type=int, help="only the first N files (quick runs)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument(
        "--cache-dir", type=Path, help="feature cache (default: $XDG_CACHE_HOME/cnnattn or ~/.cache/cnnattn)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT_DIR, help="checkpoint folder (default: shipped)")
    parser.add_argument("--threads", type=int, help="torch CPU threads; 1 is fastest on a machine other jobs keep busy")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="labelled folder (<wnid>_<name>.JPEG files or an ImageFolder tree)")
    parser.add_argument(
        "--split",
        default="held_out",
        choices=[*SPLITS, "all"],
        help="which photos of the folder, by the fixed file-name split (default: held_out; use all for a folder "
        "the heads were never trained on)",
    )
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINT_DIR, help="default: the shipped heads")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE)
    parser.add_argument("--short-side", type=int, help="input short side (default: the app's calibrated default)")
    parser.add_argument("--coco", type=Path, help="coco128-style folder with semantic masks (default: skip COCO)")
    parser.add_argument("--max-images", type=int, help="only the first N photos of the split")
    parser.add_argument("--perturbation-images", type=int, default=100, help="photos for insertion/deletion (100)")
    parser.add_argument("--coco-images", type=int, help="only the first N COCO photos of the split")
    parser.add_argument("--steps", type=int, default=16, help="insertion/deletion steps per curve (16)")
    parser.add_argument("--check-images", type=int, default=CHECK_IMAGES, help="size of the check block (20)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--report", type=Path, help="write a markdown report here (default: print it only)")
    parser.add_argument("--json", type=Path, dest="json_path", help="write every figure and per-photo record here")
    parser.add_argument("--update-cards", action="store_true", help="write the figures into the checkpoints' cards")
    parser.add_argument(
        "--no-references",
        action="store_true",
        help="insertion/deletion of the heads and Grad-CAM only (not the class map, mean, random, centred maps)",
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads; 1 is fastest on a machine other jobs keep busy")
