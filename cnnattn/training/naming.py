"""Names for heads from what they were measured to do, in English and Chinese, for the cards and
the app. `cnnattn evaluate --split validation --update-cards` names the heads (a choice, so on
validation); the held-out run only refreshes the measured figures beside the names.
"""

from __future__ import annotations

UNIFORM_QUARTER = 0.25  # a uniform map's weight on a quarter of the cells


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _simple_entry(index: int, head: dict, objects: dict | None) -> dict:
    evidence, centre = head["evidence_mass"], head["centre_mass"]
    measured = {
        "split": None,
        "evidence_mass": evidence,
        "evidence_spearman": head["evidence_spearman"],
        "centre_mass": centre,
        "entropy_ratio": head["entropy_ratio"],
        "top1_alone": head["top1"],
    }
    for key in ("insertion_auc", "deletion_auc"):
        if key in head:
            measured[key] = head[key]
    things = stuff = None
    if objects:
        things = objects["things"]["per_head_over_area"][index]
        stuff = objects["stuff"]["per_head_over_area"][index]
        measured["coco_things_over_area"], measured["coco_stuff_over_area"] = things, stuff
    facts_en = (
        f"{_pct(evidence)} of its weight on the quarter of cells that raise the predicted class most (uniform: 25%)"
    )
    facts_zh = f"{_pct(evidence)} 的权重落在最支持预测类别的四分之一格子上（均匀分布为 25%）"
    if things is not None:
        facts_en += f"; {things:.1f}x its area share on COCO objects, {stuff:.1f}x on background stuff"
        facts_zh += f"；在 COCO 物体上的权重是其面积占比的 {things:.1f} 倍，在背景（天空、地面等）上是 {stuff:.1f} 倍"
    upper = head.get("upper_mass", 0.5)
    measured["upper_mass"] = upper
    if evidence >= 2 * UNIFORM_QUARTER:
        name = ("Class evidence", "类别证据")
        what = ("Looks where the evidence for the predicted class is", "看向预测类别的证据所在")
    elif evidence <= 0.6 * UNIFORM_QUARTER:
        name = ("Background", "背景")
        what = ("Looks away from the evidence, at the background", "避开证据，看向背景")
    else:
        name = ("Around the object", "物体周边")
        what = ("Spreads over the object's surroundings and weaker evidence", "分布在物体周边和较弱的证据上")
    places = []
    if upper >= 0.62:
        places.append(("top", "上方", "mostly in the upper half of the photo", "主要在照片上半部"))
    elif upper <= 0.38:
        places.append(("bottom", "下方", "mostly in the lower half of the photo", "主要在照片下半部"))
    if centre >= 1.6 * UNIFORM_QUARTER:
        places.append(("centre", "中部", "mostly in the middle of the photo", "主要在照片中部"))
    elif centre <= 0.5 * UNIFORM_QUARTER:
        places.append(("borders", "边缘", "mostly near the borders", "主要在照片边缘"))
    if places and name[0] != "Class evidence":
        name = (f"{name[0]}, {' and '.join(p[0] for p in places)}", f"{name[1]}（{'、'.join(p[1] for p in places)}）")
    where = (
        "".join(f", {p[2]}" for p in places),
        "".join(f"，{p[3]}" for p in places),
    )
    return {
        "index": index,
        "name": {"en": name[0], "zh": name[1]},
        "description": {"en": f"{what[0]}{where[0]}: {facts_en}.", "zh": f"{what[1]}{where[1]}：{facts_zh}。"},
        "measured": measured,
    }


def _unique(entries: list[dict]) -> list[dict]:
    """Number repeated names in head order: the app shows "head 2: Nearby and similar 1" before
    "head 3: Nearby and similar 2", never a 3 before a 1. `entries` come in head order."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        groups.setdefault(entry["name"]["en"], []).append(entry)
    for group in groups.values():
        if len(group) > 1:
            for rank, entry in enumerate(group, start=1):
                entry["name"] = {"en": f"{entry['name']['en']} {rank}", "zh": f"{entry['name']['zh']} {rank}"}
    return entries


def _self_entry(index: int, ratio: float | None, things: float | None) -> dict:
    measured = {"split": None, "coco_object_over_share": ratio}
    if ratio is None:
        return {
            "index": index,
            "name": {"en": f"Head {index}", "zh": f"头 {index}"},
            "description": {"en": "Not measured on COCO.", "zh": "未在 COCO 上测量。"},
            "measured": measured,
        }
    if ratio >= 2.0:
        name = ("Same object", "同一物体")
        what = ("A query on an object looks at the rest of that object", "查询落在物体上时，看向这个物体的其余部分")
    elif ratio >= 1.3:
        name = ("Nearby and similar", "附近相似处")
        what = ("A query looks at similar cells, partly on its own object", "查询看向相似的格子，部分落在自身物体上")
    else:
        name = ("Whole scene", "整个场景")
        what = ("A query spreads over the whole scene", "查询分散到整个场景")
    return {
        "index": index,
        "name": {"en": name[0], "zh": name[1]},
        "description": {
            "en": f"{what[0]}: on COCO, {ratio:.1f}x the object's area share on the queried object (uniform: 1x).",
            "zh": f"{what[1]}：在 COCO 上，对被查询物体的权重是其面积占比的 {ratio:.1f} 倍（均匀分布为 1 倍）。",
        },
        "measured": measured,
    }


def name_heads(kind: str, summary: dict, split: str | None, num_heads: int) -> list[dict]:
    """[{"index", "name": {en, zh}, "description": {en, zh}, "measured": {...}}] per head of `kind`."""
    coco = summary.get("coco", {})
    if kind == "simple":
        heads = summary["simple"]["per_head"]
        entries = [_simple_entry(k, head, coco.get("simple_objects")) for k, head in enumerate(heads)]
    else:
        objects = coco.get("self_objects")
        entries = [_self_entry(k, objects["per_head"][k] if objects else None, None) for k in range(num_heads)]
    for entry in entries:
        entry["measured"]["split"] = split
    return _unique(entries)
