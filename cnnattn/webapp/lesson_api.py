"""The Lesson tab's events, by name: scripts pass named parameters with defaults (`head=`,
`temperature=`, ...), handlers receive one checked `LessonSettings`; the page fills the parameters from
the browser view (READ_SETTINGS), so the view's controls never ask the server. Handlers answer
{output name: value} (`in_order`), and the browser's js-only events are asked for outputs by name
(`write_texts`)."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable

import gradio as gr

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

# The settings the browser view holds, as its settings() names them: they replace the hidden inputs of
# the same name in every lesson event's request; the rest come from gradio's own components.
FROM_VIEW = {
    "head": "s.head",
    "temperature": "s.head_temperature",
    "query_x": "s.query[0]",
    "query_y": "s.query[1]",
    "colormap": "s.colormap",
    "opacity": "s.opacity",
}
# js= of every lesson event: the settings are the event's last inputs, in PARAMETERS' order
# (LessonTab.settings_inputs), each replaced by name where the view holds it.
READ_SETTINGS = f"""(...values) => {{
  const view = window.cnnattn && window.cnnattn.view("lesson");
  if (!view || !view.payload()) return values;
  const s = view.settings();
  const shown = {{ {", ".join(f"{name}: {value}" for name, value in FROM_VIEW.items())} }};
  const names = {json.dumps(list(PARAMETERS))};
  const first = values.length - names.length;
  return values.map((value, i) => (i >= first && names[i - first] in shown ? shown[names[i - first]] : value));
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


def in_order(handler: Callable, names: tuple[str, ...]) -> Callable:
    """`handler` answers {output name: value}; gradio gets the values in `names`' order, and an output the
    answer does not name keeps what it shows (gradio's own rule for a dict answer)."""

    @functools.wraps(handler)
    def ordered(*args):
        values = handler(*args)
        if unknown := set(values) - set(names):
            raise KeyError(f"{handler.__name__} answers outputs this event does not have: {sorted(unknown)}")
        return tuple(values.get(name, gr.skip()) for name in names)

    return ordered


def write_texts(names: tuple[str, ...]) -> str:
    """js= of a browser-only event: the texts static/lesson/ writes, in the order of the outputs `names`."""
    return f"() => window.cnnattnLessonTexts.outputs({json.dumps(list(names))})"
