"""Summaries of `cnnattn evaluate` (`cnnattn.training.evaluate`): every figure over the per-photo
records of `cnnattn.training.eval_records`, and issue 12's targets against them."""

from __future__ import annotations

import math

import torch

from cnnattn.training.coco import COCO_STUFF_FIRST_ID
from cnnattn.training.eval_records import COLLAPSE


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
