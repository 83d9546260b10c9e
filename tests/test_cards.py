"""The shipped cards' figures are reproducible: `cnnattn evaluate` recomputes them on the first 20
held-out photos (insertion/deletion on the first 5) and matches each card's "check" block.

Tolerances (stated on purpose, for another CPU, BLAS or torch build):
- top-1: exact up to one photo in 20 (0.05);
- entropy ratios, weights on evidence/centre/objects, pairwise JS: 0.01 absolute;
- insertion/deletion AUC: 0.01 absolute;
- COCO weight / area ratios: 2% relative.
"""

import json
import math
import re

import pytest
import torch

from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR
from cnnattn.training.evaluate import EvalConfig, _for_kind, evaluate
from cnnattn.training.naming import name_heads

from .conftest import COCO128, IMAGENET_SAMPLES, require_shared

TOP1 = 0.05 + 1e-9
ABSOLUTE = 0.01
RELATIVE = 0.02


def _cards() -> dict[str, dict]:
    return {
        kind: json.loads((DEFAULT_CHECKPOINT_DIR / f"efficientnet_lite0-{kind}.json").read_text(encoding="utf-8"))
        for kind in ("simple", "self")
    }


def _compare(expected, actual, path: str, problems: list[str]) -> None:
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key in ("images", "labelled_images", "maps", "queries"):
                assert actual[key] == value, f"{path}.{key}: {actual[key]} photos/maps, card {value}"
                continue
            _compare(value, actual[key], f"{path}.{key}", problems)
    elif isinstance(expected, list):
        assert len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _compare(e, a, f"{path}[{i}]", problems)
    elif isinstance(expected, float) and not math.isnan(expected):
        if "top1" in path:
            ok = abs(actual - expected) <= TOP1
        elif "over_share" in path or "over_area" in path:
            ok = abs(actual - expected) <= RELATIVE * abs(expected)
        else:
            ok = abs(actual - expected) <= ABSOLUTE
        if not ok:
            problems.append(f"{path}: recomputed {actual:.4f}, card {expected:.4f}")


def test_cards_carry_the_split_the_figures_and_the_head_names():
    cards = _cards()
    for kind, card in cards.items():
        split = card["data"]["split"]
        assert split["train_images"] + split["validation_images"] + split["held_out_images"] == card["data"]["count"]
        held_out = card["metrics"]["held_out"]
        assert held_out["run"]["split"] == "held_out" and held_out["run"]["date"] and held_out["run"]["machine"]
        assert held_out["targets"], kind
        heads = card["heads"]
        assert [entry["index"] for entry in heads] == list(range(card["head_config"]["num_heads"]))
        for entry in heads:
            assert entry["name"]["en"] and entry["name"]["zh"] and entry["description"]["zh"]
            assert entry["measured"]["split"] == "held_out"
    assert cards["simple"]["best_head"]["index"] in range(cards["simple"]["head_config"]["num_heads"])
    assert "validation" in cards["simple"]["best_head"]["chosen_by"]


def _numbered(name: str) -> tuple[str, int] | None:
    """("Nearby and similar", 2) for "Nearby and similar 2"; None for a name without a number."""
    match = re.fullmatch(r"(.+) (\d+)", name)
    return (match[1], int(match[2])) if match else None


@pytest.mark.parametrize("card_path", sorted(DEFAULT_CHECKPOINT_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_same_named_heads_are_numbered_in_head_order(card_path):
    """The head selector reads "head 2: Nearby and similar 1", "head 3: Nearby and similar 2": numbers of
    a repeated name count 1, 2, 3 ... as the head index grows, in both languages."""
    heads = sorted(json.loads(card_path.read_text(encoding="utf-8"))["heads"], key=lambda entry: entry["index"])
    for language in ("en", "zh"):
        numbers: dict[str, list[int]] = {}
        for entry in heads:
            if (numbered := _numbered(entry["name"][language])) is not None:
                numbers.setdefault(numbered[0], []).append(numbered[1])
        for name, found in numbers.items():
            assert found == list(range(1, len(found) + 1)), (card_path.name, language, name, found)


def test_naming_numbers_repeated_names_in_head_order_whatever_they_measured():
    # Heads 1-3 are all "Nearby and similar"; head 2 measured least, head 3 most (the old order: 2, 3, 1).
    summary = {"coco": {"self_objects": {"per_head": [2.5, 1.6, 1.4, 1.9]}}}
    names = [entry["name"] for entry in name_heads("self", summary, "validation", 4)]
    assert [name["en"] for name in names] == [
        "Same object", "Nearby and similar 1", "Nearby and similar 2", "Nearby and similar 3",
    ]  # fmt: skip
    assert [name["zh"] for name in names] == ["同一物体", "附近相似处 1", "附近相似处 2", "附近相似处 3"]


@pytest.mark.slow
def test_cards_figures_recompute_on_20_held_out_photos():
    data = require_shared(IMAGENET_SAMPLES)
    cards = _cards()
    run = cards["simple"]["metrics"]["held_out"]["run"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = evaluate(
            EvalConfig(
                data=data,
                split="held_out",
                short_side=run["input_short_side"],
                coco=COCO128 if COCO128.is_dir() and run["coco_images"] else None,
                max_images=run["check_images"],
                perturbation_images=run["check_perturbation_images"],
                coco_images=run["check_images"],
                references="--no-references" not in run["command"],  # as the shipped figures were measured
            ),
            log=lambda text: None,
        )
    finally:
        torch.set_num_threads(threads)
    problems: list[str] = []
    for kind, card in cards.items():
        _compare(card["metrics"]["held_out"]["check"], _for_kind(result["summary"], kind), kind, problems)
    assert not problems, "\n".join(problems)
