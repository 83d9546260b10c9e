"""The Lesson tab's settings at its public endpoints: scripts pass named parameters with defaults
(`head=`, `temperature=`, ...), handlers receive one checked `LessonSettings`; the page fills the
parameters from the browser view (READ_SETTINGS), so the view's controls never ask the server."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from cnnattn.backbones import FINAL
from cnnattn.lesson.settings import TOP1, LessonSettings

_DEFAULTS = LessonSettings()
# The public parameters, in the order of the tab's inputs after the leading ones, with their defaults.
PARAMETERS: dict[str, object] = {
    "head": _DEFAULTS.head,
    "temperature": _DEFAULTS.temperature,
    "query_x": _DEFAULTS.query[0],
    "query_y": _DEFAULTS.query[1],
    "colormap": _DEFAULTS.colormap,
    "opacity": _DEFAULTS.opacity,
    "shared_scale": _DEFAULTS.shared_scale,
    "share": _DEFAULTS.share,
    "top_k": _DEFAULTS.top_k,
    "class_index": TOP1,
    "layer": FINAL,
    "language": "en",
}
_TYPES = {name: type(default) for name, default in PARAMETERS.items()}

# js= of every lesson event: the view's head, its temperature, query, colormap and opacity replace the
# hidden inputs (positions 1..6 after the leading inputs); the rest come from gradio's own components.
READ_SETTINGS = f"""(...values) => {{
  const view = window.cnnattn && window.cnnattn.view("lesson");
  if (!view || !view.payload()) return values;
  const s = view.settings();
  const at = values.length - {len(PARAMETERS)};
  values.splice(at, 6, s.head, s.head_temperature, s.query[0], s.query[1], s.colormap, s.opacity);
  return values;
}}"""


def settings_of(values: dict) -> LessonSettings:
    """One LessonSettings from the endpoint's named values (None means the default)."""
    value = {name: _TYPES[name](PARAMETERS[name] if values.get(name) is None else values[name]) for name in PARAMETERS}
    return LessonSettings(
        head=value["head"],
        temperature=value["temperature"],
        query=(value["query_x"], value["query_y"]),
        colormap=value["colormap"],
        opacity=value["opacity"],
        shared_scale=value["shared_scale"],
        share=value["share"],
        top_k=value["top_k"],
        language=value["language"],
        class_index=value["class_index"],
        layer=value["layer"] or FINAL,
    )


def with_settings(handler: Callable) -> Callable:
    """`handler(*leading, settings)` -> an endpoint `(*leading, head=..., ..., language=...)` whose
    signature gradio reads for the public API's parameter names and defaults."""
    leading = list(inspect.signature(handler).parameters.values())[:-1]
    named = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
        for name, default in PARAMETERS.items()
    ]
    signature = inspect.Signature([*leading, *named])

    @functools.wraps(handler)
    def endpoint(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        settings = settings_of({name: values.pop(name) for name in PARAMETERS})
        return handler(*values.values(), settings)

    endpoint.__signature__ = signature
    del endpoint.__wrapped__  # gradio must read the endpoint's signature, not the handler's
    return endpoint
