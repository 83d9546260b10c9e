"""Names for heads from what they were measured to do, in every language of the catalogues ("naming.*"
entries), for the cards and the app. `cnnattn evaluate --split validation --update-cards` names the heads
(a choice, so on validation); the held-out run only refreshes the measured figures beside the names.
"""

from __future__ import annotations

from cnnattn.i18n import ENGLISH, languages, text

UNIFORM_QUARTER = 0.25  # a uniform map's weight on a quarter of the cells


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _worded(key: str, **values) -> dict[str, str]:
    """One catalogue entry in every language: a card names its heads in each ({"en": ..., "zh": ...})."""
    return {language: text(key, language, **values) for language in languages()}


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
    upper = head.get("upper_mass", 0.5)
    measured["upper_mass"] = upper
    if evidence >= 2 * UNIFORM_QUARTER:
        kind = "class_evidence"
    elif evidence <= 0.6 * UNIFORM_QUARTER:
        kind = "background"
    else:
        kind = "around"
    places = []
    if upper >= 0.62:
        places.append("top")
    elif upper <= 0.38:
        places.append("bottom")
    if centre >= 1.6 * UNIFORM_QUARTER:
        places.append("centre")
    elif centre <= 0.5 * UNIFORM_QUARTER:
        places.append("borders")
    facts = {"evidence": _pct(evidence)} | ({"things": things, "stuff": stuff} if things is not None else {})
    return {
        "index": index,
        "name": {language: _simple_name(kind, places, language) for language in languages()},
        "description": {language: _simple_description(kind, places, facts, language) for language in languages()},
        "measured": measured,
    }


def _simple_name(kind: str, places: list[str], language: str) -> str:
    """e.g. "Background, top and borders": the kind, and where it looks unless it follows the evidence."""
    name = text(f"naming.simple.{kind}", language)
    if not places or kind == "class_evidence":
        return name
    joined = text("naming.places.and", language).join(text(f"naming.place.{place}", language) for place in places)
    return text("naming.places", language, name=name, places=joined)


def _simple_description(kind: str, places: list[str], facts: dict, language: str) -> str:
    where = "".join(text("naming.where", language, where=text(f"naming.place.{p}.where", language)) for p in places)
    measured = text("naming.simple.evidence", language, evidence=facts["evidence"])
    if "things" in facts:
        measured += text("naming.simple.objects", language, things=facts["things"], stuff=facts["stuff"])
    what = text(f"naming.simple.{kind}.what", language)
    return text("naming.description", language, what=what, where=where, facts=measured)


def _unique(entries: list[dict]) -> list[dict]:
    """Number repeated names in head order: the app shows "head 2: Nearby and similar 1" before
    "head 3: Nearby and similar 2", never a 3 before a 1. `entries` come in head order."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        groups.setdefault(entry["name"][ENGLISH], []).append(entry)
    for group in groups.values():
        if len(group) > 1:
            for rank, entry in enumerate(group, start=1):
                entry["name"] = {
                    language: text("naming.numbered", language, name=name, rank=rank)
                    for language, name in entry["name"].items()
                }
    return entries


def _self_entry(index: int, ratio: float | None, things: float | None) -> dict:
    measured = {"split": None, "coco_object_over_share": ratio}
    if ratio is None:
        return {
            "index": index,
            "name": _worded("naming.self.unmeasured", index=index),
            "description": _worded("naming.self.unmeasured.what"),
            "measured": measured,
        }
    kind = "same_object" if ratio >= 2.0 else "nearby" if ratio >= 1.3 else "whole_scene"
    return {
        "index": index,
        "name": _worded(f"naming.self.{kind}"),
        "description": {language: _self_description(kind, ratio, language) for language in languages()},
        "measured": measured,
    }


def _self_description(kind: str, ratio: float, language: str) -> str:
    what = text(f"naming.self.{kind}.what", language)
    return text("naming.self.description", language, what=what, ratio=ratio)


def name_heads(kind: str, summary: dict, split: str | None, num_heads: int) -> list[dict]:
    """[{"index", "name": {language: ...}, "description": {language: ...}, "measured": {...}}] per head of `kind`."""
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
