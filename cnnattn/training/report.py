"""Markdown report of one `cnnattn evaluate` run (docs/EVALUATION.md is one of these)."""

from __future__ import annotations


def _f(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _head_name(cards: dict, kind: str, index: int) -> str:
    for entry in cards.get(kind, {}).get("heads", []):
        if entry.get("index") == index:
            return entry.get("name", {}).get("en", "")
    return ""


def evaluation_markdown(result: dict, cards: dict[str, dict]) -> str:
    """docs/EVALUATION.md's text from an evaluation result and the heads' cards."""
    run, summary = result["run"], result["summary"]
    best = cards.get("simple", {}).get("best_head", {})
    lines = [
        "# Evaluation of the trained attention heads",
        "",
        f"- Date: {run['date']}",
        f"- Machine: {run['machine']}",
        f"- Command: `{run['command']}`",
        f"- Wall time: {run['seconds']:.0f} s",
        f"- Data: {run['images']} photos of the `{run['split']}` split of `{run['data']}` at input short side "
        f"{run['input_short_side']}; insertion/deletion on the first {run['perturbation_images']} of them, "
        f"{run['steps']} steps per curve; {run['coco_images']} COCO photos of the same split.",
    ]
    if best:
        lines.append(f"- Best SimpleAttention head: simple/{best['index']}, chosen by {best['chosen_by']}.")
    if result.get("targets"):
        lines += ["", "## Targets (issue 12)", "", "| target | value | bound | met |", "|---|---|---|---|"]
        for t in result["targets"]:
            lines.append(f"| {t['target']} | {t['value']:.3f} | {t['bound']:.3f} | {'yes' if t['met'] else 'no'} |")
    top1 = summary["top1"]
    lines += ["", "## 1. Top-1", "", "| classifier | top-1 |", "|---|---|"]
    lines.append(f"| backbone (global average pooling) | {_f(top1.get('backbone'))} |")
    for kind in ("simple", "self"):
        if kind in top1:
            config = cards.get(kind, {}).get("head_config", "")
            lines.append(f"| {kind} head {config} | {_f(top1[kind])} |")
    for k, value in enumerate(top1.get("simple_per_head", [])):
        lines.append(f"| simple/{k} alone ({_head_name(cards, 'simple', k) or 'its pooled vector'}) | {_f(value)} |")
    lines += [
        "",
        "## 2. Maps",
        "",
        "| maps | entropy / log(HW) | > 90% on one cell | mean pairwise JS between heads (nats) |",
        "|---|---|---|---|",
    ]
    for kind, label in (("simple", "SimpleAttention heads"), ("self", "SelfAttention rows (every query)")):
        if kind in summary:
            s = summary[kind]
            figures = f"{_f(s['entropy_ratio'])} | {_pct(s['collapsed_share'])} | {_f(s['pairwise_js'])}"
            lines.append(f"| {label} | {figures} |")
    lines.append(f"| class map (T=4, predicted class), reference | {_f(summary['class_map_entropy_ratio'])} | - | - |")
    if "simple" in summary:
        lines += [
            "",
            "Per SimpleAttention head (evidence cells: the quarter of cells with the largest contribution "
            "w_c . x_p to the predicted class's logit; a uniform map puts 25% there, 25% in the centre box and 50% in "
            "the upper half):",
            "",
            "| head | name | entropy / log(HW) | weight on evidence cells | rank corr. with evidence | "
            "weight in centre box | weight in upper half | top-1 alone | insertion AUC | deletion AUC |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for k, h in enumerate(summary["simple"]["per_head"]):
            lines.append(
                f"| simple/{k} | {_head_name(cards, 'simple', k)} | {_f(h['entropy_ratio'])} | "
                f"{_pct(h['evidence_mass'])} | {_f(h['evidence_spearman'], 2)} | {_pct(h['centre_mass'])} | "
                f"{_pct(h['upper_mass'])} | {_f(h['top1'])} | "
                f"{_f(h.get('insertion_auc'))} | {_f(h.get('deletion_auc'))} |"
            )
    scores = summary.get("insertion_deletion")
    if scores:
        lines += [
            "",
            "## 3. Insertion / deletion AUC (RISE, cnnattn.analysis.faithfulness), probability of the predicted class",
            "",
            "Higher insertion and lower deletion are better; ± is the standard error over photos.",
            "",
            "| map | insertion AUC | deletion AUC |",
            "|---|---|---|",
        ]
        for name, s in scores.items():
            lines.append(
                f"| {name} | {s['insertion_auc']:.3f} ± {s['insertion_auc_stderr']:.3f} | "
                f"{s['deletion_auc']:.3f} ± {s['deletion_auc_stderr']:.3f} |"
            )
    coco = summary.get("coco", {})
    if coco.get("self_objects"):
        o = coco["self_objects"]
        lines += [
            "",
            "## 4. SelfAttention rows queried on COCO objects",
            "",
            f"{coco['images']} COCO photos; queries on a 5x5 grid (0.2 ... 0.8 of width and height) whose pixel lies "
            "on a labelled segment covering at most half the photo; per query and head, the row's weight on the "
            "segment (mask box-averaged to the grid) divided by the segment's share of the grid (uniform = 1).",
            "",
            "| queries | weight / share (mean over queries and heads) | per head | rows above uniform | things "
            "| stuff |",
            "|---|---|---|---|---|---|",
            f"| {o['queries']} | {o['object_over_share']:.2f} | {', '.join(f'{v:.2f}' for v in o['per_head'])} | "
            f"{_pct(o['beats_uniform_share'])} | {o['things']['object_over_share']:.2f} ({o['things']['queries']}) | "
            f"{o['stuff']['object_over_share']:.2f} ({o['stuff']['queries']}) |",
        ]
    if coco.get("simple_objects"):
        g = coco["simple_objects"]
        lines += [
            "",
            "## 5. SimpleAttention weight on COCO things (objects) and stuff (sky, grass, wall...)",
            "",
            f"Area shares: things {_pct(g['things']['area_share'])}, stuff {_pct(g['stuff']['area_share'])} "
            "of the grid.",
            "",
            "| head | weight on things | / area | weight on stuff | / area |",
            "|---|---|---|---|---|",
        ]
        for k, mass in enumerate(g["things"]["per_head_mass"]):
            lines.append(
                f"| simple/{k} | {_pct(mass)} | {g['things']['per_head_over_area'][k]:.2f} | "
                f"{_pct(g['stuff']['per_head_mass'][k])} | {g['stuff']['per_head_over_area'][k]:.2f} |"
            )
    return "\n".join(lines) + "\n"
