"""The browser-side attention view: a gr.HTML whose JavaScript (static/view/, in the page's one script:
cnnattn/webapp/scripts.py) draws every head's map from the payload, with the colormap tables and the
interface strings it needs sent once as props. The script comes with the page (launch's head): a demo
launched without cnnattn.webapp.launch must pass head=scripts.page_head() itself."""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

import gradio as gr

from cnnattn.heads import ClassMap, Head
from cnnattn.i18n import catalogue, languages
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP, lookup_table
from cnnattn.webapp.scripts import MOUNT_VIEW

# Absolute colour mode: colour = weight x H*W (multiples of the uniform weight) on 0..ABSOLUTE_MAX.
ABSOLUTE_MAX = 8.0


@cache
def static_text(name: str) -> str:
    return resources.files("cnnattn.webapp").joinpath("static", name).read_text(encoding="utf-8")


def lookup_tables() -> dict[str, str]:
    """Each colormap's 256-entry RGB table (cnnattn.render's), flattened, as base64 of its 768 bytes:
    gradio copies a component's props element by element on every loading-status update, so seven
    768-number lists cost the page far more than seven short strings."""
    return {name: base64.b64encode(lookup_table(name).tobytes()).decode("ascii") for name in COLORMAPS}


def browser_strings() -> dict[str, dict[str, str]]:
    """The catalogue entries the view's JavaScript shows ("view.*"), in every language: {code: {key: words}}."""
    return {
        language: {k: v for k, v in catalogue(language).items() if k.startswith("view.")} for language in languages()
    }


def view_options(temperatures: dict[str, float], **options) -> dict:
    """What a view starts from (static/view/view.js createView's options), on the gradio page as gr.HTML's
    props and on any other page as they are: the colormap tables, the interface strings, the controls'
    ranges and starting values. `options` adds the lesson's `single_head`, `notify` and `fixed_temperature`."""
    return dict(
        luts=lookup_tables(),
        strings=browser_strings(),
        colormaps=list(COLORMAPS),
        colormap=DEFAULT_COLORMAP,
        opacity=0.5,
        temperatures=temperatures,
        learned_temperature=1.0,
        class_temperature_range=list(ClassMap.temperature_range),
        learned_temperature_range=list(Head.temperature_range),  # every head but the class map
        absolute_max=ABSOLUTE_MAX,
        language="en",
        **options,
    )


def attention_view(name: str, temperatures: dict[str, float], elem_id: str, **options) -> gr.HTML:
    """One attention view; the page finds it by `name` as window.cnnattn.view(name), for buttons and tests
    (static/view/gradio.js, the view's gradio adapter). `options`: see view_options."""
    return gr.HTML(
        value=None,
        html_template='<div class="cv-root"></div>',
        css_template=static_text("view/view.css"),
        js_on_load=MOUNT_VIEW,
        elem_id=elem_id,
        name=name,
        **view_options(temperatures, **options),
    )
