"""The fixed three-way split of a labelled folder: train / validation / held-out.

A file's split depends only on its name (relative path), never on the folder's other files or a
seed, so adding photos never moves existing ones and every tool (training, calibration,
evaluation) agrees on which photos were never used for fitting or choosing.
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "held_out")
# Tenths of the hash space: 6 train, 2 validation (every choice), 2 held-out (reporting only).
_TENTHS = {"train": range(0, 6), "validation": range(6, 8), "held_out": range(8, 10)}


def split_of(name: str) -> str:
    """'train', 'validation' or 'held_out' for a file name such as 'n01440764_tench.JPEG'."""
    tenth = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % 10
    return next(split for split, tenths in _TENTHS.items() if tenth in tenths)


def split_names(names: list[str]) -> dict[str, list[str]]:
    """Group names by split, each group in the given order."""
    groups: dict[str, list[str]] = {split: [] for split in SPLITS}
    for name in names:
        groups[split_of(name)].append(name)
    return groups
