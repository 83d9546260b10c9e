"""Links that reopen a lesson view: settings and example <-> URL query parameters.

Only the example photos can come back from a link (the server keeps no uploads); `link_note` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode

from cnnattn.backbones import FINAL
from cnnattn.i18n import languages, text
from cnnattn.lesson.settings import TOP1, LessonSettings

# Shareable state: short URL parameter names for the settings.
_PARAMS = {
    "head": "head", "t": "temperature", "cmap": "colormap", "alpha": "opacity", "share": "share", "k": "top_k",
    "cls": "class_index",
}  # fmt: skip


def link_params(settings: LessonSettings, example: str | None) -> str:
    """URL query string that reopens this view, e.g. ``example=cheetah&head=class&qx=0.3&qy=0.6&t=2&lang=zh``."""
    params = {"view": "lesson"}
    if example:
        params["example"] = example
    params.update(head=settings.head, qx=f"{settings.query[0]:.3f}", qy=f"{settings.query[1]:.3f}")
    params.update(t=f"{settings.temperature:g}", lang=settings.language, cmap=settings.colormap)
    params.update(alpha=f"{settings.opacity:g}", shared=str(int(settings.shared_scale)))
    params.update(share=f"{settings.share:g}", k=str(settings.top_k))
    if settings.class_index != TOP1:
        params["cls"] = str(settings.class_index)
    if settings.layer != FINAL:
        params["layer"] = settings.layer
    return urlencode(params)


def parse_params(
    params: Mapping[str, str],
    base: LessonSettings,
    heads: list[str],
    examples: list[str],
    layers: tuple[str, ...] | list[str] = (FINAL,),
    default_temperatures: Mapping[str, float] | None = None,
) -> tuple[LessonSettings, str | None]:
    """Settings and example from URL parameters; anything missing or invalid keeps `base`'s value.

    Links travel between people, so a bad value must never break the page: it is ignored.
    """
    settings = base
    example = params.get("example") if params.get("example") in examples else None
    if params.get("head") in heads:
        kind = params["head"].partition("/")[0]
        settings = replace(settings, head=params["head"], temperature=(default_temperatures or {}).get(kind, 1.0))
    for key, field in _PARAMS.items():
        if key == "head" or key not in params:
            continue
        kind = type(getattr(base, field))
        try:
            candidate = replace(settings, **{field: kind(params[key])}).checked(heads)
        except (TypeError, ValueError):
            continue
        settings = candidate
    try:
        query = (float(params.get("qx", settings.query[0])), float(params.get("qy", settings.query[1])))
        settings = replace(settings, query=query).checked(heads)
    except ValueError:
        pass
    if params.get("shared") in ("0", "1"):
        settings = replace(settings, shared_scale=params["shared"] == "1")
    if params.get("lang") in languages():
        settings = replace(settings, language=params["lang"])
    if params.get("layer") in layers:
        settings = replace(settings, layer=params["layer"])
    return settings, example


def link_note(example: str | None, language: str = "en") -> str:
    """Empty for an example photo; for an uploaded one, why the link opens the settings without it."""
    return "" if example else text("link.upload", language)
